import DfnsSDK
import Logging
import PostgresNIO

/// What makes a waiting ``JobSource`` look for due jobs again: a NOTIFY on `dfns_worker_jobs` for one of our queues
/// (from the insert trigger, on a LISTEN connection outside the pool), and the fallback poll. Finished jobs and
/// rescued leases wake it through the same continuation.
struct WakeUps: Sendable {
    let configuration: WorkerConfiguration
    /// Readiness, as the parts learn it.
    let health: HealthBoard
    let logger: Logger
    /// Wakes the source: a finished job, a NOTIFY, the poll, a rescue.
    let wake: AsyncStream<Void>.Continuation
    /// Where the LISTEN connection goes; nil polls only.
    let databaseURL: DatabaseURL?

    /// Polls and listens until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await poll() }
            group.addTask { await listen() }
        }
    }

    private func poll() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.pollInterval)
            wake.yield()
        }
    }

    /// Holds a LISTEN connection and wakes the source on each NOTIFY for our queues; reconnects with backoff.
    private func listen() async {
        guard let databaseURL else { return }
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: databaseURL.connectionConfiguration(), id: 0, logger: logger
                )
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: "dfns_worker_jobs") { notifications in
                    health.update { $0.listenerConnected = true }
                    failures = 0
                    wake.yield()
                    for try await notification in notifications where configuration.queues.contains(notification.payload) {
                        wake.yield()
                    }
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                logger.warning("LISTEN connection lost; reconnecting", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            health.update { $0.listenerConnected = false }
            try? await Task.sleep(for: RetryPolicy.database.delay(afterAttempt: failures))
        }
    }
}
