import DfnsSDK
import Logging
import PostgresNIO

/// What makes a waiting ``JobSource`` look for due jobs again: a NOTIFY on `dfns_worker_jobs` for one of our queues
/// (from the insert trigger, on a LISTEN connection outside the pool), and the fallback poll. Finished jobs and
/// rescued leases wake it through the same continuation.
struct WakeUps: Sendable {
    let shared: WorkerRun
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
            try? await Task.sleep(for: shared.configuration.pollInterval)
            shared.wake.yield()
        }
    }

    /// Holds a LISTEN connection and wakes the source on each NOTIFY for our queues; reconnects with backoff.
    private func listen() async {
        guard let databaseURL else { return }
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: databaseURL.connectionConfiguration(), id: 0, logger: shared.logger
                )
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: "dfns_worker_jobs") { notifications in
                    shared.health.update { $0.listenerConnected = true }
                    failures = 0
                    shared.wake.yield()
                    for try await notification in notifications where shared.configuration.queues.contains(notification.payload) {
                        shared.wake.yield()
                    }
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                shared.logger.warning("LISTEN connection lost; reconnecting", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            shared.health.update { $0.listenerConnected = false }
            try? await Task.sleep(for: RetryPolicy.database.delay(afterAttempt: failures))
        }
    }
}
