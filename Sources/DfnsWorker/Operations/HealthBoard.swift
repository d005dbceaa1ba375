import Synchronization

/// The readiness facts the worker's parts report as they learn them (database reachable, LISTEN connected, stopping),
/// read by `/health/ready` through ``Worker/health``.
final class HealthBoard: Sendable {
    private let facts = Mutex(Worker.Health())

    var current: Worker.Health { facts.withLock { $0 } }

    func update(_ change: (inout Worker.Health) -> Void) {
        facts.withLock { change(&$0) }
    }
}
