import DfnsSDK
import Logging

/// The one owner of the rate-limited Dfns client every job of the process shares.
///
/// A 429 pauses the whole client (inside the SDK's limiter). A 401 or 403 pauses the *worker*: it stops claiming
/// and reports not ready instead of burning every job's attempts, until a probe read succeeds again.
public actor DfnsGateway {
    /// The shared client; its limiter paces init, action and real calls together.
    public nonisolated let client: DfnsClient
    private let logger: Logger
    /// Why the worker is paused (401/403 seen), or nil.
    public private(set) var authFailure: String?

    public init(client: DfnsClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs a Dfns call, pausing the worker on an authentication or permission failure.
    public func call<Value: Sendable>(_ operation: @Sendable (DfnsClient) async throws -> Value) async throws -> Value {
        do {
            return try await operation(client)
        } catch let error as DfnsError where error.code == .unauthorized || error.code == .forbidden {
            if authFailure == nil {
                logger.error("dfns rejected our credentials; pausing the worker", metadata: ["dfns.status": "\(error.httpStatus ?? 0)", "dfns.error": "\(error.code)"])
            }
            authFailure = "\(error.code) (HTTP \(error.httpStatus ?? 0)): \(error.message)"
            throw error
        }
    }

    /// Tries a cheap read; clears the pause when it succeeds. Returns true when not paused afterwards.
    @discardableResult
    public func probe() async -> Bool {
        guard authFailure != nil else { return true }
        do {
            _ = try await client.listWalletsPage(limit: 1)
            logger.notice("dfns accepts our credentials again; resuming")
            authFailure = nil
            return true
        } catch {
            return false
        }
    }
}
