/// A passkey registered by a `webauthn.create` attestation (``WebAuthnAttestation/verify``): what the simulator stores
/// to check the credential's later assertions, and what Dfns reports of a credential (dfns-auth.md §1.3, §3.4 step 6).
struct RegisteredPasskey: Sendable {
    /// base64url of the raw credential id, no padding: the `credId` assertions name.
    let credentialId: String
    /// SubjectPublicKeyInfo PEM, as Dfns reports a credential's `publicKey`.
    let publicKeyPEM: String
    let verifier: PublicKeyVerifier
    /// The COSE algorithm: -7 (ES256), -8 (EdDSA) or -257 (RS256).
    let algorithm: Int
    /// The authenticator's count at registration; assertions must exceed it unless both are 0.
    let signCount: UInt32
    /// The clientData origin the passkey was made on (Dfns reports it as the credential's `origin`).
    let origin: String
    /// The rpId it is bound to (Dfns's `relyingPartyId`).
    let relyingPartyId: String
    /// `none` or `packed`.
    let attestationFormat: String
    /// The authenticator model (zeros for most synced passkeys and for `none`).
    let aaguid: [UInt8]
    /// The BE and BS flags at registration: a synced (multi-device) passkey.
    let backupEligible: Bool
    let backedUp: Bool
}
