import Foundation
import Hummingbird

/// Account recovery with a recovery credential, as Dfns runs it (dfns-auth.md §1.6; dfns-sdk 1.0.4
/// `generated/auth/client.py`; dfns-api-docs `api-docs/authentication/user-recovery/*`; dfns-sdk-ts
/// `examples/sdk/nextjs-delegated-recovery`):
/// - `POST /auth/recover/user/code {username, orgId?}` emails a verification code; `POST /auth/recover/user/init
///   {username, verificationCode, orgId?, credentialId}` opens a recovery session for the user's active recovery
///   credential `credentialId`; a service account opens one without a code, `POST /auth/recover/user/delegated
///   {username, credentialId}` (signed). Both answer a registration challenge with `allowedRecoveryCredentials
///   [{id, encryptedRecoveryKey}]`;
/// - `POST /auth/recover/user {recovery: {kind: RecoveryKey, credentialAssertion}, newCredentials:
///   {firstFactorCredential, secondFactorCredential?, recoveryCredential?}}` with the session's temporary token: the
///   new credentials attest the session's challenge, and the recovery credential signs `key.get` client data whose
///   challenge is base64url of the JSON of `newCredentials` (dfns-sdk 1.0.4 `recover` docstring, dfns-api-docs
///   `credentials/user-credentials.md`, the TypeScript example; compared as JSON values; the docs' one example that
///   signs the session's challenge instead is not followed: the signature must bind the new credentials). Then every
///   older credential is archived for good, the user's logins end and their personal access tokens are archived
///   (dfns-api-docs createUserRecovery.md), and the answer is `{credential, user}`. A credential that is not the
///   user's active recovery credential is Dfns's 401 "Credential cannot be used as a recovery factor", a wrong code
///   its 403 "Invalid code".
extension DfnsSimulator {
    func addRecoveryRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/auth/recover/user/code") { _, context in
            self.emailCode(.recovery, to: try self.publicUser(try Self.object(context.requestBody)), lifetime: .seconds(600))
        }
        api.post("/auth/recover/user/init") { [authFlows] _, context in
            let object = try Self.object(context.requestBody)
            let user = try self.publicUser(object)
            guard let code = object["verificationCode"] as? String else {
                throw APIError.badRequest("verificationCode is required and must be a string")
            }
            let recovery = try self.recoveryCredential(object, of: user)
            guard authFlows.consumeCode(.recovery, orgId: user.orgId, subject: user.username, code: code) else { throw APIError(403, "Invalid code") }
            return APIResponse(
                json: self.openRegistration(for: user, purpose: .recovery(credentialId: recovery.credentialId), recoveryCredentials: [recovery]))
        }
        api.post("/auth/recover/user/delegated") { _, context in
            let user = try self.delegatedUser(context, "username", "recover users on their behalf", operation: "Auth:Recover:Delegated")
            let recovery = try self.recoveryCredential(try Self.object(context.requestBody), of: user)
            return APIResponse(
                json: self.openRegistration(for: user, purpose: .recovery(credentialId: recovery.credentialId), recoveryCredentials: [recovery]))
        }
        api.post("/auth/recover/user") { [accountStore, credentialStore] request, context in
            let (token, session, user) = try self.registrationSession(request, recovery: true)
            guard case .recovery(let recoveryId) = session.purpose else {
                throw APIError(401, "a recovery session's temporaryAuthenticationToken is required")
            }
            let object = try Self.object(context.requestBody)
            guard let newCredentials = object["newCredentials"] as? [String: Any] else {
                throw APIError.badRequest("newCredentials is required and must be an object")
            }
            try self.verifyRecoverySignature(object["recovery"], newCredentials: newCredentials, session: session, recoveryId: recoveryId)
            let kept = try self.keepCredentials(newCredentials, challenge: session.challenge, totpSecret: session.totpSecret, user: user)
            credentialStore.archiveCredentials(ofUser: user.userId, keeping: Set(kept.map(\.credentialUuid)))
            accountStore.revokeAccess(ofUser: user.userId)
            self.authFlows.closeSession(token: token)
            return APIResponse(json: Self.registrationAnswer(kept[0], try accountStore.user(user.userId, orgId: user.orgId)))
        }
    }

    /// The user's active recovery credential named by `credentialId`; 400 otherwise.
    private func recoveryCredential(_ object: [String: Any], of user: AccountStore.User) throws(APIError) -> CredentialStore.Credential {
        guard let credentialId = object["credentialId"] as? String else { throw APIError.badRequest("credentialId is required and must be a string") }
        guard let credential = credentialStore.credential(id: credentialId), credential.userId == user.userId, credential.kind == .recoveryKey,
            credential.isActive
        else { throw APIError(401, "Credential cannot be used as a recovery factor") }
        return credential
    }

    /// Checks `recovery`: the recovery credential's `key.get` signature over the new credentials.
    private func verifyRecoverySignature(_ value: Any?, newCredentials: [String: Any], session: AuthFlowStore.Session, recoveryId: String)
        throws(APIError)
    {
        guard let recovery = value as? [String: Any], recovery["kind"] as? String == "RecoveryKey",
            let assertion = recovery["credentialAssertion"] as? [String: Any], let credentialId = assertion["credId"] as? String,
            let clientDataText = assertion["clientData"] as? String, let signatureText = assertion["signature"] as? String
        else { throw APIError.badRequest("recovery must be {kind: RecoveryKey, credentialAssertion: {credId, clientData, signature}}") }
        guard credentialId == recoveryId, let credential = credentialStore.credential(id: credentialId), credential.isActive,
            case .publicKey(_, let verifier) = credential.material
        else { throw APIError(401, "recovery.credentialAssertion.credId is not the recovery credential this session was opened for") }
        guard let clientData = Base64Text.decodeURL(clientDataText), let client = try? JSONDecoder().decode(ClientData.self, from: Data(clientData)),
            client.type == "key.get", let challenge = client.challenge
        else { throw APIError.badRequest("recovery.credentialAssertion.clientData must be base64url JSON of type key.get") }
        // The signature must cover the new credentials themselves, or whoever holds the temporary token (a service
        // account in a delegated recovery) could put its own in.
        let signed = Base64Text.decodeURL(challenge).flatMap(SimulatorJSON.canonical)
        guard signed != nil, signed == SimulatorJSON.canonical(SimulatorJSON.serialize(newCredentials)) else { throw APIError.challengeInvalid }
        guard let signature = Base64Text.decodeURL(signatureText), verifier.verify(signature: signature, message: clientData) else {
            throw APIError(401, "recovery: invalid signature")
        }
    }
}
