import Synchronization

/// A one-shot signal: ``wait()`` returns once ``fire()`` was called (before or after), or when the waiting task is
/// cancelled. A running job has one: its handler's end fires it, and so does a stop (timeout, lost lease, shutdown),
/// so the task waiting on it learns of whichever comes first and cancels the handler if it is still running.
final class StopSignal: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    private let state = Mutex(State.idle)

    func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state = .fired }
            if case .waiting(let waiter) = state { return waiter }
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                let fired = state.withLock { state -> Bool in
                    if case .fired = state { return true }
                    state = .waiting(waiter)
                    return false
                }
                if fired { waiter.resume() }
            }
        } onCancel: {
            fire()
        }
    }
}
