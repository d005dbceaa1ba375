import DfnsSDK
import Foundation

/// Asks the end user a job acts for (`on_behalf_of`) to sign its write: what the worker does in place of signing
/// with its own credential. The whole flow, as Dfns's delegated signing goes (dfns-sdk-ts `DfnsDelegatedApiClient`:
/// `xInit` then `xComplete` with the user's signed challenge, one client of the user's token for both, as in
/// dfns-sdk-ts `examples/sdk/auth-delegated-key-credential/server/src/clients.ts`; docs.dfns.co "Delegated signing"):
///
/// 1. No signed challenge yet: the worker's service account reads the user (`GET /auth/users/{id}`) and logs them in
///    (`POST /auth/login/delegated`), the user's login asks for the challenge of exactly this request
///    (`/auth/action/init`), and the job parks (``UserSignatureRequired``) in `awaiting_signature` with the challenge
///    in `user_challenge` and the login sealed in `user_token` (``TokenSeal``).
/// 2. `dfns_worker.sign()` hands the user's signed challenge back and the job is claimed again: the claim takes the
///    signature off the row (it is used at most once), the login trades it for a user-action token (`/auth/action`)
///    and sends the request under the job's usual exactly-once rules (same body, same `externalId`).
///
/// Dfns refusing the user's login, signature or write is the job's error, never the worker's: it fails (or, when Dfns
/// may hold an earlier attempt's operation, keeps looking) with a code of its own, and the worker is not paused.
extension DfnsGateway {
    /// Sends `request`, a write of `job`, as the identity the job acts for: the worker's service account, or the end
    /// user it names, whose signature the job may have to wait for.
    /// - Throws: ``UserSignatureRequired`` when the end user has yet to sign (let it propagate: the engine parks the
    ///   job); ``JobFailure`` when Dfns refuses the user's login or signature; the write's own ``DfnsError``.
    func send<Response>(_ request: DfnsRequest<Response>, for job: ClaimedJob) async throws -> Response {
        guard let user = job.onBehalfOf, request.isSigned else { return try await call { try await $0.send(request) } }
        guard let seal else {
            throw JobFailure(
                code: .endUsersNotConfigured,
                message: "the job acts for end user \(user), but this worker has no seal key to keep their login in the row: "
                    + "set DFNS_WORKER_SEAL_KEY (the same on every worker), then retry the job")
        }
        if let signed = job.signedChallenge, let sealed = job.sealedUserToken {
            guard let token = seal.open(sealed, jobId: job.id) else {
                throw JobFailure(
                    code: .endUsersNotConfigured,
                    message: "the end user's login in the row was sealed with another DFNS_WORKER_SEAL_KEY than this worker's: "
                        + "give every worker the same key, then retry the job (the user signs a new challenge)")
            }
            return try await complete(request, signed: signed, token: token, user: user)
        }
        let token = try await login(user)
        let challenge = try await unpaused(user) { try await client.delegated.acting(withToken: token).initUserAction(for: request) }
        throw UserSignatureRequired(challenge: challenge.raw, sealedToken: try seal.seal(token, jobId: job.id))
    }

    /// Trades the user's signed challenge for a user-action token, then sends the write with it.
    private func complete<Response>(_ request: DfnsRequest<Response>, signed: JSONValue, token: String, user: String) async throws -> Response {
        let signedChallenge: SignedChallenge
        do {
            signedChallenge = try JSONDecoder().decode(SignedChallenge.self, from: Data(signed.jsonBytes()))
        } catch {
            throw JobFailure(code: .signatureRefused, message: "the signed challenge of end user \(user) could not be read: \(error)")
        }
        let userClient = client.delegated.acting(withToken: token)
        let action: String
        do {
            action = try await userClient.authorize(signedChallenge)
        } catch let error as DfnsError where (400..<500).contains(error.httpStatus ?? 0) && error.code != .rateLimited {
            throw JobFailure(
                code: .signatureRefused,
                message: "Dfns refused the signed challenge of end user \(user) (HTTP \(error.httpStatus ?? 0)): \(error.message); "
                    + "nothing was sent, retry() asks for a new challenge")
        }
        return try await unpaused(user) { try await userClient.complete(request, userAction: action) }
    }

    /// The end user's login, by the worker's service account: their username, then a delegated login. A 401 reading
    /// the user is the service account's own (the worker pauses); any refusal of the login itself, the read having
    /// just worked, is about this user or the permission to log users in: the job's failure.
    private func login(_ user: String) async throws -> String {
        let username: String
        do {
            username = try await call(pausingOn: [.unauthorized]) { client in
                guard let username = try await client.send(DfnsAuth.getUser(userId: user))["username"]?.stringValue else {
                    throw DfnsError(code: .decoding, message: "Dfns answered user \(user) without a username")
                }
                return username
            }
        } catch let error as DfnsError where [.notFound, .forbidden, .validation].contains(error.code) {
            throw Self.loginRefused(user, error)
        }
        do {
            return try await call(pausingOn: []) { try await $0.delegatedLogin(username: username) }
        } catch let error as DfnsError where [.notFound, .forbidden, .validation, .unauthorized].contains(error.code) {
            throw Self.loginRefused(user, error)
        }
    }

    private static func loginRefused(_ user: String, _ error: DfnsError) -> JobFailure {
        JobFailure(
            code: .endUserLoginRefused,
            message: "the worker's service account could not log end user \(user) in (HTTP \(error.httpStatus ?? 0)): \(error.message); "
                + "it needs Auth:Login:Delegated, and the user must exist and be an active end user")
    }

    /// Runs a call made with the end user's login: a 401 or 403 there is about the user (a login that ended, a wallet
    /// not delegated to them), so it fails the job instead of pausing the worker.
    private func unpaused<Value>(_ user: String, _ operation: () async throws -> Value) async throws -> Value {
        do {
            return try await operation()
        } catch let error as DfnsError where error.code == .unauthorized || error.code == .forbidden {
            throw JobFailure(
                code: error.code == .forbidden ? .forbidden : .signatureRefused,
                message: "Dfns refused end user \(user)'s request (HTTP \(error.httpStatus ?? 0)): \(error.message)")
        }
    }
}
