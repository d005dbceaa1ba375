/// WebAuthn authenticator data (W3C WebAuthn L2 §6.1), parsed once so attestations and assertions read the same
/// fields the same way: `rpIdHash(32) ‖ flags(1) ‖ signCount(4, big-endian) ‖ [AT] attested credential data ‖ [ED]
/// extensions`.
struct AuthenticatorData: Sendable {
    /// The credential a registration adds (§6.5.1): present when the AT flag is set.
    struct AttestedCredential: Sendable {
        let aaguid: [UInt8]
        let credentialId: [UInt8]
        /// The COSE_Key, still as CBOR.
        let publicKey: CBORReader.Value
    }

    /// The flag bits of §6.1.
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        /// UP: a user was present.
        static let userPresent = Flags(rawValue: 0x01)
        /// UV: the authenticator verified the user (PIN, biometrics).
        static let userVerified = Flags(rawValue: 0x04)
        /// BE: the credential may be synced (a passkey); WebAuthn L3.
        static let backupEligible = Flags(rawValue: 0x08)
        /// BS: the credential is synced now; WebAuthn L3.
        static let backedUp = Flags(rawValue: 0x10)
        /// AT: attested credential data follows the sign count.
        static let attestedCredentialData = Flags(rawValue: 0x40)
        /// ED: extension outputs (a CBOR map) end the data.
        static let extensionData = Flags(rawValue: 0x80)
    }

    /// The raw bytes, which signatures cover.
    let bytes: [UInt8]
    let rpIdHash: [UInt8]
    let flags: Flags
    let signCount: UInt32
    let attestedCredential: AttestedCredential?

    /// Parses `bytes`, refusing (400) data that is short, truncated, or longer than its flags announce.
    init(_ bytes: [UInt8]) throws(APIError) {
        guard bytes.count >= 37 else { throw .badRequest("authenticatorData has \(bytes.count) bytes, fewer than the 37 of its fixed part") }
        self.bytes = bytes
        rpIdHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var offset = 37
        if flags.contains(.attestedCredentialData) {
            // aaguid(16) ‖ credentialIdLength(2, big-endian) ‖ credentialId ‖ COSE_Key.
            guard bytes.count >= offset + 18 else { throw .badRequest("authenticatorData: attested credential data is truncated") }
            let aaguid = Array(bytes[offset..<offset + 16])
            let length = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard length > 0, length <= 1023 else {
                throw .badRequest("authenticatorData: a credential id of \(length) bytes (WebAuthn allows 1 to 1023)")
            }
            guard bytes.count >= offset + length else { throw .badRequest("authenticatorData: the credential id is truncated") }
            let credentialId = Array(bytes[offset..<offset + length])
            var reader = CBORReader(bytes, offset: offset + length)
            let publicKey: CBORReader.Value
            do {
                publicKey = try reader.read()
            } catch {
                throw .badRequest("authenticatorData: credential public key: \(error.message)")
            }
            offset = reader.offset
            attestedCredential = AttestedCredential(aaguid: aaguid, credentialId: credentialId, publicKey: publicKey)
        } else {
            attestedCredential = nil
        }
        if flags.contains(.extensionData) {
            var reader = CBORReader(bytes, offset: offset)
            let extensions: CBORReader.Value
            do {
                extensions = try reader.read()
            } catch {
                throw .badRequest("authenticatorData: extensions: \(error.message)")
            }
            guard case .map = extensions else { throw .badRequest("authenticatorData: extensions (ED) are not a CBOR map") }
            offset = reader.offset
        }
        guard offset == bytes.count else {
            throw .badRequest("authenticatorData: \(bytes.count - offset) bytes follow what its flags (0x\(String(bytes[32], radix: 16))) announce")
        }
    }
}
