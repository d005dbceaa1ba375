/// Waiting on a condition instead of sleeping a fixed time: the wait lasts as long as the machine needs, however loaded.
public enum Poll {
    /// Checks `condition` every `interval` until it holds or `limit` has passed; returns whether it held. For a wait whose
    /// outcome the test then checks with an expectation of its own; ``waitFor(_:_:)`` throws instead.
    @discardableResult
    public static func until(
        _ limit: Duration, every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: interval)
        }
        return true
    }
}
