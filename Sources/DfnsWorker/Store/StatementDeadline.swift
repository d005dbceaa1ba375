import Synchronization

/// Bounds how long the engine waits for one PostgreSQL statement, including reading its rows.
///
/// PostgresNIO (1.33.2) can lose a query written to a connection that closed just as the pool leased it: the write
/// fails past the handler that would have failed the query, so its answer never comes and the caller waits forever.
/// Seen as a worker that never stopped after a network partition (MoneySafetyTests, "a worker cut off from
/// PostgreSQL…"). Past the deadline the caller gets an error its loop already handles (log, back off, try again) and
/// the lost statement is left behind. A statement that did run after all is harmless: the jobs of a claim come back
/// through the lease rescue, an outcome written twice is found already written, a renewal only extends a lease.
enum StatementDeadline {
    static func run<Value: Sendable>(
        _ timeout: Duration, _ statement: String, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let race = Race<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation, timeout: timeout, statement: statement, operation)
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// The statement against the timer: whichever ends first answers the caller and stops the other.
    private final class Race<Value: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Value, any Error>?
            var tasks: [Task<Void, Never>] = []
            var finished = false
        }

        private let state = Mutex(State())

        func start(
            _ continuation: CheckedContinuation<Value, any Error>, timeout: Duration, statement: String,
            _ operation: @escaping @Sendable () async throws -> Value
        ) {
            let cancelledEarly = state.withLock { state -> Bool in
                if !state.finished { state.continuation = continuation }
                return state.finished
            }
            // Cancelled before it began: answer at once, start nothing.
            if cancelledEarly { return continuation.resume(throwing: CancellationError()) }
            let work = Task {
                do {
                    self.finish(.success(try await operation()))
                } catch {
                    self.finish(.failure(error))
                }
            }
            let timer = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                self.finish(.failure(WorkerError(.database, "PostgreSQL did not answer \(statement) within \(timeout)")))
            }
            let stopNow = state.withLock { state -> Bool in
                state.tasks = [work, timer]
                return state.finished
            }
            if stopNow {
                work.cancel()
                timer.cancel()
            }
        }

        func finish(_ result: Result<Value, any Error>) {
            let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, [Task<Void, Never>]) in
                guard !state.finished else { return (nil, []) }
                state.finished = true
                defer { state.continuation = nil }
                return (state.continuation, state.tasks)
            }
            for task in tasks { task.cancel() }
            continuation?.resume(with: result)
        }
    }
}
