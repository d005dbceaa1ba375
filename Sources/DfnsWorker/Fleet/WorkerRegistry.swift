import Foundation
import Logging

/// Keeps this worker's row in `dfns_worker.workers` while `run` runs: host, pid, version, queues, when it started, and
/// every `interval` its heartbeat, jobs in flight, and whether it is paused on Dfns's credentials or rate-limited.
/// `status` (and the console) list the workers whose heartbeat is recent; the row goes when the worker stops.
struct WorkerRegistry: Sendable {
    /// What the row says of the worker at one heartbeat.
    struct Heartbeat: Sendable {
        var inFlight: Int
        var paused: String?
        var rateLimited: Bool
    }

    let store: JobStore
    let configuration: WorkerConfiguration
    let logger: Logger
    /// How often the row is refreshed. `status` counts a worker alive for 30 s after its last heartbeat.
    var interval: Duration = .seconds(5)

    /// Writes the row every `interval` until cancelled, then deletes it.
    func run(_ heartbeat: @escaping @Sendable () -> Heartbeat) async {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(ProcessInfo.processInfo.processIdentifier)
        while !Task.isCancelled {
            do {
                try await store.heartbeat(
                    workerId: configuration.workerId, host: host, pid: pid, version: configuration.version, queues: configuration.queues,
                    concurrency: configuration.concurrency, heartbeat()
                )
            } catch {
                logger.debug("worker heartbeat failed", metadata: ["db.error": "\(String(reflecting: error))"])
            }
            guard (try? await Task.sleep(for: interval)) != nil else { break }
        }
        // Cancelled: the worker is stopping. The row goes in a task of its own, as this one is cancelled.
        let store = store
        let workerId = configuration.workerId
        await Task.detached { try? await store.removeWorker(workerId) }.value
    }
}
