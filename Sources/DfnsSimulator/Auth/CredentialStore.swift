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
        /// An authenticator app's last accepted time step: a code is accepted once (RFC 6238 §5.2).
        var lastOneTimeStep: Int64 = .min

        /// Whose credential it is: the personal access token it signs for, or its user.
        var owner: String { tokenId ?? userId }

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
        /// Credential uuids by ``Credential/owner``, oldest first: a user action finds its signer's without a scan.
        var byOwner: [String: [String]] = [:]

        func credentials(of owner: String) -> [Credential] { byOwner[owner, default: []].compactMap { byUuid[$0] } }
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
            state.byOwner[credential.owner, default: []].append(credential.credentialUuid)
        }
    }

    /// The credential registered under `credentialId` (`credId`), active or not.
    func credential(id credentialId: String) -> Credential? {
        state.withLock { state in state.uuidById[credentialId].flatMap { state.byUuid[$0] } }
    }

    /// The user's own credentials (not those bound to a personal access token), oldest first.
    func credentials(ofUser userId: String) -> [Credential] { state.withLock { $0.credentials(of: userId) } }

    /// The user's own active credentials, oldest first.
    func activeCredentials(ofUser userId: String) -> [Credential] { state.withLock { $0.credentials(of: userId).filter(\.isActive) } }

    /// The active key a personal access token signs with.
    func activeCredentials(ofToken tokenId: String) -> [Credential] { state.withLock { $0.credentials(of: tokenId).filter(\.isActive) } }

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
            state.byOwner[credential.owner]?.removeAll { $0 == credentialUuid }
        }
    }

    /// Archives the user's own credentials but `keeping` (a recovery replaces them all): gone for good, not merely
    /// inactive, so none can be activated again.
    func archiveCredentials(ofUser userId: String, keeping: Set<String>) {
        state.withLock { state in
            for uuid in state.byOwner[userId, default: []] where !keeping.contains(uuid) {
                if let credential = state.byUuid.removeValue(forKey: uuid) { state.uuidById[credential.credentialId] = nil }
            }
            state.byOwner[userId]?.removeAll { !keeping.contains($0) }
        }
    }

    /// Spends an authenticator app's code of time `step`: false when that step or a later one was already accepted.
    func spendOneTimeCode(step: Int64, credentialUuid: String) -> Bool {
        state.withLock { state in
            guard let last = state.byUuid[credentialUuid]?.lastOneTimeStep, step > last else { return false }
            state.byUuid[credentialUuid]?.lastOneTimeStep = step
            return true
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
