import Logging
import ServiceLifecycle
import Synchronization

/// Bounds how long a part that holds no job may delay the process's exit once it is asked to stop: the database pools,
/// the HTTP server, the pruner (``Service``), the HTTP client's shutdown (``run(_:logger:_:)``). A stop that never
/// ended was seen rarely under load (RELIABILITY.md "Limits") after every part of the worker had ended: nothing was left
/// to write, yet the process waited for the group's escalation. Such a part gets ``limit`` after the stop, is then
/// cancelled, gets ``limit`` again, and is then left behind (it ends with the process), named in the log.
enum StopBound {
    /// How long a part may take to end once asked, and again once cancelled.
    static let limit = Duration.seconds(2)

    /// `inner`, whose run returns when `inner` ends or at most two ``limit``s after a stop (a graceful shutdown or a
    /// cancellation), whatever `inner` does.
    struct Service<Inner: ServiceLifecycle.Service>: ServiceLifecycle.Service {
        let inner: Inner
        let name: String
        let logger: Logger

        init(_ inner: Inner, name: String, logger: Logger) {
            self.inner = inner
            self.name = name
            self.logger = logger
        }

        func run() async throws {
            let race = Race(name: name, logger: logger)
            try await withGracefulShutdownHandler {
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        // Started here, in this task's context: the inner run inherits the graceful-shutdown signal.
                        race.start(continuation) { try await inner.run() }
                    }
                } onCancel: {
                    race.stop(cancelNow: true)
                }
            } onGracefulShutdown: {
                race.stop(cancelNow: false)
            }
        }
    }

    /// Runs `body` (a shutdown) and returns once it ended, or at most two ``limit``s later, naming it in the log then.
    static func run(_ name: String, logger: Logger, _ body: @escaping @Sendable () async -> Void) async {
        let race = Race(name: name, logger: logger)
        try? await withCheckedThrowingContinuation { continuation in
            race.start(continuation) { await body() }
            race.stop(cancelNow: false)
        }
    }

    /// A part's run against the clock after its stop: whichever ends first answers the caller, once.
    private final class Race: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Void, any Error>?
            var running: Task<Void, Never>?
            var stopping = false
        }
        private let state = Mutex(State())
        private let name: String
        private let logger: Logger

        init(name: String, logger: Logger) {
            self.name = name
            self.logger = logger
        }

        func start(_ continuation: CheckedContinuation<Void, any Error>, _ body: @escaping @Sendable () async throws -> Void) {
            state.withLock { $0.continuation = continuation }
            let running = Task {
                do {
                    try await body()
                    self.finish(.success(()))
                } catch {
                    self.finish(.failure(error))
                }
            }
            state.withLock { $0.running = running }
        }

        /// Starts the clock (once): cancels the part after ``limit`` (at once when `cancelNow`), gives up after another.
        func stop(cancelNow: Bool) {
            let running = state.withLock { state -> Task<Void, Never>?? in
                guard !state.stopping else { return nil }
                state.stopping = true
                return .some(state.running)
            }
            guard let running else { return }
            if cancelNow { running?.cancel() }
            Task {
                try? await Task.sleep(for: limit)
                guard self.isRunning else { return }
                if !cancelNow {
                    self.logger.warning("a part did not end within \(limit) of the stop; cancelling it", metadata: ["worker.part": "\(self.name)"])
                    running?.cancel()
                    try? await Task.sleep(for: limit)
                    guard self.isRunning else { return }
                }
                self.logger.error("a part did not end after its cancellation; going on without it", metadata: ["worker.part": "\(self.name)"])
                self.finish(.success(()))
            }
        }

        private var isRunning: Bool { state.withLock { $0.continuation != nil } }

        private func finish(_ result: Result<Void, any Error>) {
            state.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }?.resume(with: result)
        }
    }
}
