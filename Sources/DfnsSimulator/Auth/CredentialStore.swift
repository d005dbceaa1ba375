import Foundation
import Synchronization

/// The credentials users sign with, as Dfns keeps them (dfns-sdk 1.0.4 `CreateCredentialResponse`, dfns-auth.md §1.3):
/// per user, each with its kind, the public key that verifies its signatures (Fido2, Key, PasswordProtectedKey,
/// RecoveryKey), a salted hash (Password) or a TOTP secret (Totp), active until deactivated. The configured tokens'
/// user is seeded with the configured credentials; a personal access token's key is a credential bound to that token
/// (it signs for the token alone), a service account's keys are its user's.
final class CredentialStore: Sendable {
    /// The kinds of credential Dfns knows (dfns-sdk 1.0.4 `CreateCredentialChallengeRequest.kind`).
    enum Kind: String, Sendable, CaseIterable {
        case fido2 = "Fido2"
        case key = "Key"
        case passwordProtectedKey = "PasswordProtectedKey"
        case recoveryKey = "RecoveryKey"
        case password = "Password"
        case totp = "Totp"

        /// The kinds whose assertion is a signature over client data.
        var signs: Bool { [.fido2, .key, .passwordProtectedKey, .recoveryKey].contains(self) }
    }

    /// What checks a credential's factor: a public key, a password's salted hash, or a TOTP secret.
    enum Material: Sendable {
        case publicKey(pem: String, verifier: PublicKeyVerifier)
        case password(salt: [UInt8], hash: [UInt8])
        case totp(secret: [UInt8])
    }

    struct Credential: Sendable {
        let credentialUuid: String
        /// The id the credential signs under (`credId`): a passkey's raw id in base64url, a key's client-chosen id.
        let credentialId: String
        let kind: Kind
        let userId: String
        let orgId: String
        /// The personal access token this key signs for alone; nil for a user's own credentials.
        let tokenId: String?
        let material: Material
        /// A PasswordProtectedKey's or RecoveryKey's encrypted private key, handed back at login and recovery.
        let encryptedPrivateKey: String?
        let relyingPartyId: String
        let origin: String
        let dateCreated: Date
        var name: String
        var isActive = true
        /// A passkey's signature counter (0 for authenticators that keep none).
        var signCount: UInt32 = 0
        /// The WebAuthn user handle a passkey was made with (its user's id); nil when not known (configured passkeys).
        var userHandle: [UInt8]?

        var publicKeyPEM: String {
            if case .publicKey(let pem, _) = material { return pem }
            return ""
        }

        var json: [String: Any] {
            [
                "kind": kind.rawValue, "credentialId": credentialId, "credentialUuid": credentialUuid,
                "dateCreated": SimulatedTransfer.format(dateCreated),
                "isActive": isActive, "name": name, "publicKey": publicKeyPEM, "relyingPartyId": relyingPartyId, "origin": origin,
            ]
        }
    }

    private struct State {
        var generator: SplitMix64
        var byUuid: [String: Credential] = [:]
        var uuidById: [String: String] = [:]
        var order: [String] = []
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        state = Mutex(State(generator: SplitMix64(seed: seed ^ 0xC4ED_E471)))
    }

    /// Gives the configured tokens' user the configured credentials (Key, PasswordProtectedKey and P-256 Fido2 keys of
    /// the configuration's relying party).
    /// - Throws: a key that cannot be used, a Fido2 key that is not P-256, an id given twice.
    func seed(_ configuration: SimulatorConfiguration, userId: String, orgId: String) throws(SimulatorConfigurationError) {
        let registered: [(Kind, [String: String])] = [
            (.key, configuration.credentials), (.passwordProtectedKey, configuration.passwordProtectedKeyCredentials),
            (.fido2, configuration.fido2Credentials),
        ]
        for (kind, keys) in registered {
            for (credentialId, pem) in keys.sorted(by: { $0.key < $1.key }) {
                let verifier: PublicKeyVerifier
                do {
                    verifier = try PublicKeyVerifier(publicKeyPEM: pem)
                } catch {
                    throw SimulatorConfigurationError("credential \(credentialId): \(error.message)")
                }
                if kind == .fido2, verifier.algorithm != "p256" {
                    throw SimulatorConfigurationError("credential \(credentialId): a Fido2 credential must be an ECDSA P-256 key (COSE ES256)")
                }
                let credential = Credential(
                    credentialUuid: newUuid(), credentialId: credentialId, kind: kind, userId: userId, orgId: orgId, tokenId: nil,
                    material: .publicKey(pem: pem, verifier: verifier), encryptedPrivateKey: nil, relyingPartyId: configuration.relyingPartyId,
                    origin: "https://" + configuration.relyingPartyId, dateCreated: Date(), name: "\(kind.rawValue) \(credentialId)")
                do {
                    try add(credential)
                } catch {
                    throw SimulatorConfigurationError("credential \(credentialId) is registered twice")
                }
            }
        }
    }

    /// The verifier of a PEM public key a request brings; 400 naming `member` when Dfns would not take it.
    static func verifier(_ pem: String, _ member: String) throws(APIError) -> PublicKeyVerifier {
        do {
            return try PublicKeyVerifier(publicKeyPEM: pem)
        } catch {
            throw .badRequest("\(member) must be a PEM public key (-----BEGIN PUBLIC KEY-----) Dfns takes: \(error.message)")
        }
    }

    /// A fresh credential uuid (`cr-…`).
    func newUuid() -> String { state.withLock { $0.generator.dfnsId("cr-") } }

    /// Random bytes from the store's generator (salts, TOTP secrets).
    func randomBytes(_ count: Int) -> [UInt8] {
        state.withLock { state in (0..<count).map { _ in UInt8.random(in: 0...255, using: &state.generator) } }
    }

    /// Adds a credential; a credential id already registered is a 409 (WebAuthn §7.1 step 22: a credential id is
    /// registered once).
    func add(_ credential: Credential) throws(APIError) {
        try state.withLock { (state) throws(APIError) in
            guard state.uuidById[credential.credentialId] == nil else {
                throw APIError(409, "credential \(credential.credentialId) is already registered")
            }
            state.byUuid[credential.credentialUuid] = credential
            state.uuidById[credential.credentialId] = credential.credentialUuid
            state.order.append(credential.credentialUuid)
        }
    }

    /// The credential registered under `credentialId` (`credId`), active or not.
    func credential(id credentialId: String) -> Credential? {
        state.withLock { state in state.uuidById[credentialId].flatMap { state.byUuid[$0] } }
    }

    /// The user's own credentials (not those bound to a personal access token), oldest first.
    func credentials(ofUser userId: String) -> [Credential] {
        state.withLock { state in state.order.compactMap { state.byUuid[$0] }.filter { $0.userId == userId && $0.tokenId == nil } }
    }

    /// The active credentials a caller signs a user action or a login with: a personal access token's own key, or
    /// the user's own credentials.
    func signingCredentials(userId: String, tokenId: String) -> [Credential] {
        state.withLock { state in
            let all = state.order.compactMap { state.byUuid[$0] }.filter(\.isActive)
            let token = all.filter { $0.tokenId == tokenId }
            return token.isEmpty ? all.filter { $0.userId == userId && $0.tokenId == nil } : token
        }
    }

    /// Changes credential `credentialUuid` of `userId`; 404 when the user has none of that uuid.
    @discardableResult
    func update(_ credentialUuid: String, userId: String, _ change: (inout Credential) throws(APIError) -> Void) throws(APIError) -> Credential {
        try state.withLock { (state) throws(APIError) -> Credential in
            guard var credential = state.byUuid[credentialUuid], credential.userId == userId else {
                throw APIError(404, "credential not found", details: ["credentialUuid": credentialUuid])
            }
            try change(&credential)
            state.byUuid[credentialUuid] = credential
            return credential
        }
    }

    /// Removes credential `credentialUuid` of `userId`; 404 when the user has none of that uuid.
    func remove(_ credentialUuid: String, userId: String) throws(APIError) {
        try state.withLock { (state) throws(APIError) in
            guard let credential = state.byUuid[credentialUuid], credential.userId == userId else {
                throw APIError(404, "credential not found", details: ["credentialUuid": credentialUuid])
            }
            state.byUuid[credentialUuid] = nil
            state.uuidById[credential.credentialId] = nil
            state.order.removeAll { $0 == credentialUuid }
        }
    }

    /// Deactivates every credential of `userId` (a recovery replaces them all).
    func deactivateAll(ofUser userId: String) {
        state.withLock { state in
            for (uuid, credential) in state.byUuid where credential.userId == userId { state.byUuid[uuid]?.isActive = false }
        }
    }

    /// Records a passkey's new signature counter.
    func recordSignCount(_ count: UInt32, credentialId: String) {
        state.withLock { state in
            guard let uuid = state.uuidById[credentialId] else { return }
            state.byUuid[uuid]?.signCount = count
        }
    }
}
