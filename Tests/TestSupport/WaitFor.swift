/// Polls `condition` every 50 ms until it holds; throws a ``TestFailure`` after `limit`. For what a test needs to have
/// happened before its next step (a job running, a request at the simulator), never a fixed sleep.
public func waitFor(_ limit: Duration, _ condition: () async throws -> Bool) async throws {
    guard try await Poll.until(limit, condition) else { throw TestFailure("condition not met within \(limit)") }
}
