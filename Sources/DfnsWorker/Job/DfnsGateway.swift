import DfnsSDK
import Logging
import Synchronization

/// The one owner of the rate-limited Dfns client every job of the process shares, and of the worker's auth pause.
///
/// A 429 pauses the whole client (inside the SDK's limiter). A 401 or 403 pauses the *worker*: it stops claiming
/// and reports not ready instead of burning every job's attempts, until a probe read succeeds again. A plain type with
/// a lock rather than an actor: every job's Dfns call passes through here, and only the pause is state.
public final class DfnsGateway: Sendable {
    /// The shared client; its limiter paces init, action and real calls together.
    public let client: DfnsClient
    private let logger: Logger
    private let pause = Mutex<String?>(nil)

    public init(client: DfnsClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Why the worker is paused (401/403 seen), or nil.
    public var authFailure: String? { pause.withLock { $0 } }

    /// Runs a Dfns call, pausing the worker on an authentication or permission failure.
    public func call<Value: Sendable>(_ operation: @Sendable (DfnsClient) async throws -> Value) async throws -> Value {
        do {
            return try await operation(client)
        } catch let error as DfnsError where error.code == .unauthorized || error.code == .forbidden {
            let first = pause.withLock { pause in
                let first = pause == nil
                pause = "\(error.code) (HTTP \(error.httpStatus ?? 0)): \(error.message)"
                return first
            }
            if first {
                logger.error(
                    "dfns rejected our credentials; pausing the worker",
                    metadata: ["dfns.status": "\(error.httpStatus ?? 0)", "dfns.error": "\(error.code)"])
            }
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
            pause.withLock { $0 = nil }
            return true
        } catch {
            return false
        }
    }
}
