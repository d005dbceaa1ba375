import DfnsSDK
import Synchronization

/// A WebAuthn authenticator in software: a P-256 key that answers `navigator.credentials.get` the way a platform
/// passkey does (W3C WebAuthn §6.3.3 and §5.8.1), so tests can assert with Fido2 without a browser.
public struct SoftwareAuthenticator: Sendable {
    public let credentialId: String
    /// The public key to register with the simulator (SubjectPublicKeyInfo PEM).
    public let publicKeyPEM: String
    private let signer: KeySigner
    /// The signature counter, one more per assertion as an authenticator that keeps one does (WebAuthn §6.1.1): a
    /// relying party refuses a count that does not grow.
    private let counter = Counter()

    private final class Counter: Sendable {
        private let value = Atomic<UInt32>(0)
        func next() -> UInt32 { value.add(1, ordering: .relaxed).newValue }
    }

    public init(credentialId: String) throws {
        let pair = try KeyGenerator.generate(.p256)
        self.credentialId = credentialId
        self.publicKeyPEM = pair.publicKeyPEM
        self.signer = try KeySigner(credentialId: credentialId, privateKeyPEM: pair.privateKeyPEM)
    }

    /// Asserts `challenge` as a browser on `origin` would: client data `webauthn.get` with the challenge as base64url of
    /// its UTF-8 bytes, authenticator data `SHA-256(rpId) ‖ flags ‖ signCount` (a growing counter), and an ECDSA signature over
    /// `authenticatorData ‖ SHA-256(clientDataJSON)`. The parameters let a test forge each part.
    public func assert(
        _ challenge: UserActionChallenge,
        origin: String = "https://app.dfns.io",
        relyingPartyId: String? = nil,
        type: String = "webauthn.get",
        flags: UInt8 = 0x05,
        userHandle: [UInt8]? = Array("user-1".utf8)
    ) throws -> SignedChallenge.Assertion {
        let clientData = Array(
            #"{"type":"\#(type)","challenge":"\#(Base64URL.encode(Array(challenge.challenge.utf8)))","origin":"\#(origin)","crossOrigin":false}"#.utf8
        )
        let rpId = relyingPartyId ?? challenge.relyingPartyId ?? "dfns.io"
        let count = counter.next()
        let authenticatorData = Digest.sha256(Array(rpId.utf8)) + [flags] + (0..<4).map { UInt8(truncatingIfNeeded: count >> (24 - 8 * $0)) }
        let signature = try signer.sign(authenticatorData + Digest.sha256(clientData))
        return .fido2(
            SignedChallenge.Fido2Assertion(
                credId: credentialId, clientData: Base64URL.encode(clientData), authenticatorData: Base64URL.encode(authenticatorData),
                signature: Base64URL.encode(signature), userHandle: userHandle.map(Base64URL.encode)
            ))
    }
}
