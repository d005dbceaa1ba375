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
    /// Keeps end users' logins in their jobs' rows (``EndUserSigning``); nil: jobs that act for an end user fail with
    /// `end_users_not_configured`, nothing sent.
    let seal: TokenSeal?
    let logger: Logger
    private let pause = Mutex<String?>(nil)

    /// - Parameter seal: the key end users' logins are sealed with in the rows (the same on every worker of the
    ///   database, `DFNS_WORKER_SEAL_KEY`); nil when this worker runs no job on behalf of an end user.
    public init(client: DfnsClient, seal: TokenSeal? = nil, logger: Logger) {
        self.client = client
        self.seal = seal
        self.logger = logger
    }

    /// Why the worker is paused (401/403 seen), or nil.
    public var authFailure: String? { pause.withLock { $0 } }

    /// Runs a Dfns call, pausing the worker on an authentication or permission failure.
    /// - Parameter pausingOn: the error codes that pause the worker; a caller that knows a 403 is about one job (an end
    ///   user's login) passes `[.unauthorized]`.
    public func call<Value: Sendable>(
        pausingOn codes: Set<DfnsError.Code> = [.unauthorized, .forbidden], _ operation: @Sendable (DfnsClient) async throws -> Value
    ) async throws -> Value {
        do {
            return try await operation(client)
        } catch let error as DfnsError where codes.contains(error.code) {
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
