/// Runs `body`, throwing a ``TestFailure`` that says `message` when it takes longer than `limit`.
public func withTimeout<Result: Sendable>(
    _ limit: Duration, _ message: String, _ body: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard case let result?? = try await group.next() else { throw TestFailure(message) }
        return result
    }
}
