import Foundation
import Hummingbird

/// A user's credentials, as Dfns manages them (dfns-auth.md §1.3; dfns-sdk 1.0.4 `generated/auth/client.py`;
/// dfns-api-docs `api-docs/authentication/credential-management/*`):
/// - `GET /auth/credentials`: the caller's own credentials (not a personal access token's key);
/// - `POST /auth/credentials/init {kind}` then `POST /auth/credentials {credentialKind, credentialInfo,
///   credentialName, challengeIdentifier, encryptedPrivateKey?}` (signed with an existing credential): a new
///   credential attesting the challenge (``CredentialAttestation``);
/// - the code flow, for a device without a credential: `POST /auth/credentials/code {expiration}` (signed; at most a
///   minute ahead, ISO 8601 or Unix seconds) answers a one-time code; `POST /auth/credentials/code/init
///   {credentialKind, code}` (no token) answers a challenge that only `POST /auth/credentials/code/verify` (no token,
///   the body of `POST /auth/credentials`) takes;
/// - `PUT /auth/credentials/activate|deactivate {credentialUuid}` (signed) answer `{message}`; `DELETE
///   /auth/credentials/{credentialUuid}` (signed) answers `{}`. A user keeps at least one active credential to sign
///   with: deactivating or deleting the last one is refused (400, inferred: Dfns would otherwise lock the user out).
/// - a service account adds keys to itself, `POST /auth/service-accounts/credentials {publicKey, name?}` (signed), and
///   deletes them, `DELETE /auth/service-accounts/credentials/{credentialUuid}` (dfns-sdk 1.0.4 only; answers as
///   `CreateServiceAccountCredentialResponse` and `{}`). dfns-sdk 1.0.4 says the caller must be an OIDC service
///   account, one its identity provider's access token authenticates (`federatedIdentity`); the sources say nothing
///   more of those, so the simulator lets any service account rotate its keys (inferred).
extension DfnsSimulator {
    func addCredentialRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/auth/credentials") { [credentialStore] _, context in
            APIResponse(json: ["items": credentialStore.credentials(ofUser: try context.caller().userId).map(\.json)])
        }
        api.post("/auth/credentials/init") { [accountStore] _, context in
            let principal = try context.caller()
            let kind = try Self.credentialKind(try Self.object(context.requestBody), "kind")
            return APIResponse(
                json: self.credentialChallenge(
                    for: try accountStore.user(principal.userId, orgId: principal.orgId), purpose: .credential(kind, viaCode: false)))
        }
        api.post("/auth/credentials") { _, context in
            APIResponse(json: try self.createCredential(context.requestBody, caller: context.caller(), through: .signed))
        }
        api.post("/auth/credentials/code") { [authFlows, accountStore] _, context in
            let principal = try context.caller()
            let user = try accountStore.user(principal.userId, orgId: principal.orgId)
            let expiration = try Self.codeExpiration(try Self.object(context.requestBody)["expiration"])
            let code = authFlows.issueCode(
                .credential, orgId: user.orgId, subject: user.userId, username: user.username, lifetime: .seconds(expiration.timeIntervalSinceNow),
                email: false)
            return APIResponse(json: ["code": code, "expiration": SimulatedTransfer.format(expiration)])
        }
        api.post("/auth/credentials/code/init") { [authFlows, accountStore] _, context in
            let object = try Self.object(context.requestBody)
            let kind = try Self.credentialKind(object, "credentialKind")
            guard let code = object["code"] as? String else { throw APIError.badRequest("code is required and must be a string") }
            guard let owner = authFlows.consumeCredentialCode(code) else {
                throw APIError(401, "the credential code is not valid (wrong, spent or expired)")
            }
            return APIResponse(
                json: self.credentialChallenge(
                    for: try accountStore.user(owner.userId, orgId: owner.orgId), purpose: .credential(kind, viaCode: true)))
        }
        api.post("/auth/credentials/code/verify") { _, context in
            APIResponse(json: try self.createCredential(context.requestBody, caller: nil, through: .code))
        }
        api.put("/auth/credentials/activate") { [credentialStore] _, context in
            let principal = try context.caller()
            try credentialStore.update(try Self.credentialUuid(context.requestBody), userId: principal.userId) { $0.isActive = true }
            return APIResponse(json: ["message": "credential activated"])
        }
        api.put("/auth/credentials/deactivate") { [credentialStore] _, context in
            let principal = try context.caller()
            let uuid = try Self.credentialUuid(context.requestBody)
            try Self.keepOneActive(credentialStore, principal.userId, besides: uuid)
            try credentialStore.update(uuid, userId: principal.userId) { $0.isActive = false }
            return APIResponse(json: ["message": "credential deactivated"])
        }
        api.delete("/auth/credentials/:credentialUuid") { [credentialStore] _, context in
            let principal = try context.caller()
            let uuid = try Self.parameter(context, "credentialUuid")
            try Self.keepOneActive(credentialStore, principal.userId, besides: uuid)
            try credentialStore.remove(uuid, userId: principal.userId)
            return APIResponse(json: [String: Any]())
        }
        addServiceAccountCredentialRoutes(to: api)
    }

    private func addServiceAccountCredentialRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/auth/service-accounts/credentials") { [credentialStore] _, context in
            let principal = try context.caller()
            try self.requireServiceAccount(principal, "add keys to itself (a user adds credentials with /auth/credentials)")
            let object = try Self.object(context.requestBody)
            guard let publicKey = object["publicKey"] as? String else { throw APIError.badRequest("publicKey is required and must be a PEM string") }
            let verifier = try CredentialStore.verifier(publicKey, "publicKey")
            let uuid = credentialStore.newUuid()
            let credential = CredentialStore.Credential(
                credentialUuid: uuid, credentialId: uuid, kind: .key, userId: principal.userId, orgId: principal.orgId, tokenId: nil,
                material: .publicKey(pem: publicKey, verifier: verifier), encryptedPrivateKey: nil, relyingPartyId: "", origin: "",
                dateCreated: Date(), name: try Self.optionalString(object, "name") ?? "Key")
            try credentialStore.add(credential)
            return APIResponse(json: credential.json)
        }
        api.delete("/auth/service-accounts/credentials/:credentialUuid") { [credentialStore] _, context in
            let principal = try context.caller()
            try self.requireServiceAccount(principal, "delete its keys")
            let uuid = try Self.parameter(context, "credentialUuid")
            try Self.keepOneActive(credentialStore, principal.userId, besides: uuid)
            try credentialStore.remove(uuid, userId: principal.userId)
            return APIResponse(json: [String: Any]())
        }
    }

    /// A credential challenge for `user`, kept for `/auth/credentials` (or, via a code, `/code/verify`; for an OIDC
    /// login's first credential, `/auth/login/oidc/credentials`, shaped as a passkey's).
    func credentialChallenge(for user: AccountStore.User, purpose: AuthFlowStore.ChallengePurpose) -> [String: Any] {
        let issued = authFlows.issueChallenge(userId: user.userId, orgId: user.orgId, purpose: purpose, lifetime: configuration.userActionLifetime)
        let kind: CredentialStore.Kind = if case .credential(let kind, _) = purpose { kind } else { .fido2 }
        return RegistrationChallenge.credential(
            identifier: issued.identifier, challenge: issued.challenge, kind: kind, user: user, relyingPartyId: configuration.relyingPartyId,
            existing: credentialStore.credentials(ofUser: user.userId))
    }

    /// The routes that register a credential, each taking the challenges of its own flow.
    enum CredentialEntry {
        /// `POST /auth/credentials`, signed by the user.
        case signed
        /// `POST /auth/credentials/code/verify`, with a challenge a credential code opened.
        case code
        /// `POST /auth/login/oidc/credentials`, an OIDC user's first credential.
        case oidc
    }

    /// Registers the credential of a `/auth/credentials` body for the user its challenge was issued to (the caller's
    /// own, when authenticated), when that challenge belongs to the flow of `entry`.
    func createCredential(_ body: [UInt8], caller: Principal?, through entry: CredentialEntry) throws(APIError) -> [String: Any] {
        let object = try Self.object(body)
        guard let identifier = object["challengeIdentifier"] as? String, let challenge = authFlows.challenge(identifier),
            caller.map({ $0.userId == challenge.userId }) ?? true
        else { throw APIError.challengeInvalid }
        let slot: [CredentialStore.Kind]
        switch (challenge.purpose, entry) {
        case (.credential(let kind, viaCode: false), .signed), (.credential(let kind, viaCode: true), .code): slot = [kind]
        case (.firstCredential, .oidc):
            guard
                !credentialStore.credentials(ofUser: challenge.userId).contains(where: { $0.isActive && $0.kind != .recoveryKey && $0.kind != .totp })
            else { throw APIError.badRequest("the user already has an active first-factor credential: use /auth/credentials") }
            slot = [.fido2, .key, .passwordProtectedKey, .password]
        default: throw APIError.challengeInvalid
        }
        let attestation = try CredentialAttestation.read(
            object, as: "credential", challenge: challenge.challenge, allowed: slot, relyingPartyId: configuration.relyingPartyId,
            totpSecret: challenge.totpSecret, salt: credentialStore.randomBytes(16))
        guard authFlows.challenge(identifier, consume: true) != nil else { throw APIError.challengeInvalid }
        let credential = attestation.credential(uuid: credentialStore.newUuid(), userId: challenge.userId, orgId: challenge.orgId)
        try credentialStore.add(credential)
        return credential.json
    }

    private static func credentialKind(_ object: [String: Any], _ member: String) throws(APIError) -> CredentialStore.Kind {
        guard let kind = (object[member] as? String).flatMap(CredentialStore.Kind.init(rawValue:)) else {
            throw APIError.badRequest("\(member) must be one of \(CredentialStore.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    private static func credentialUuid(_ body: [UInt8]) throws(APIError) -> String {
        guard let uuid = try object(body)["credentialUuid"] as? String else {
            throw APIError.badRequest("credentialUuid is required and must be a string")
        }
        return uuid
    }

    /// Refuses to leave `userId` without an active credential to sign with once `uuid` stops.
    private static func keepOneActive(_ credentials: CredentialStore, _ userId: String, besides uuid: String) throws(APIError) {
        let others = credentials.credentials(ofUser: userId).filter {
            $0.isActive && $0.kind != .recoveryKey && $0.kind != .totp && $0.credentialUuid != uuid
        }
        guard !others.isEmpty else { throw APIError.badRequest("this is the user's last active credential: add another one first") }
    }

    /// An ISO 8601 date, with or without fractional seconds.
    private static func isoDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// A credential code's `expiration`: an ISO 8601 date or Unix seconds, in the future and at most a minute ahead.
    private static func codeExpiration(_ value: Any?) throws(APIError) -> Date {
        let date: Date? =
            if let text = value as? String { Self.isoDate(text) } else {
                SimulatorJSON.integer(value).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            }
        guard let date, date > Date(), date.timeIntervalSinceNow <= 61 else {
            throw APIError.badRequest("expiration is required: an ISO 8601 date or Unix seconds, in the future and at most one minute ahead")
        }
        return date
    }
}
