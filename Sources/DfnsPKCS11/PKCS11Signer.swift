import CPKCS11
import DfnsSDK
import Foundation
import Synchronization

/// Signs Dfns user actions with a private key that never leaves a PKCS#11 token (an HSM, SoftHSM2), as the key types
/// Dfns takes want it (dfns-sdk-go `signer/key.go`; key-custody.md §5): P-256 and secp256k1 by `CKM_ECDSA` over our
/// SHA-256 of the message, the token's `r‖s` turned into DER; Ed25519 by `CKM_EDDSA` over the message; RSA by
/// `CKM_SHA256_RSA_PKCS`. The key type is read from the token.
///
/// Sessions are pooled: each signature takes one to itself for `C_SignInit` and `C_Sign` (PKCS#11 leaves a session
/// shared between threads undefined), and one of the process's logins serves them all. A token that was reset or went
/// away (its sessions or the key's handle invalid) is reopened, logged into and searched again once per signature;
/// failing that, the error names the token.
public final class PKCS11Signer: CredentialSigner {
    public let credentialId: String
    /// The key's SubjectPublicKeyInfo PEM, to register the credential at Dfns.
    public let publicKeyPEM: String
    /// The key's type, as the token holds it.
    public let algorithm: KeyAlgorithm

    private let module: PKCS11Module
    private let slot: CK_SLOT_ID
    private let configuration: PKCS11Configuration
    private let mechanism: CK_MECHANISM_TYPE
    private let pool = Mutex<Pool>(Pool())

    private struct Pool {
        var idle: [CK_SESSION_HANDLE] = []
        var key: CK_OBJECT_HANDLE?
    }

    /// Loads the module, logs in to the token and finds the key.
    /// - Throws: ``PKCS11Error`` naming the module, token or key (a wrong PIN as `CKR_PIN_INCORRECT`, never the PIN).
    public init(_ configuration: PKCS11Configuration) throws(PKCS11Error) {
        self.configuration = configuration
        credentialId = configuration.credentialId
        module = try PKCS11Module.load(configuration.modulePath)
        switch configuration.token {
        case .label(let label):
            slot = try module.slot(tokenLabel: label)
        case .slot(let id):
            slot = CK_SLOT_ID(id)
            try module.checkToken(inSlot: slot)
        }
        let session = try module.openSession(slot)
        do {
            try module.login(session, pin: configuration.pin)
        } catch {
            module.closeSession(session)
            throw PKCS11Error("logging in to token \(configuration.token) of \(configuration.modulePath)", returnValue: error.returnValue)
        }
        let key: CK_OBJECT_HANDLE
        let publicKey: (algorithm: KeyAlgorithm, der: [UInt8])
        do {
            key = try Self.findKey(module, session, configuration)
            publicKey = try Self.publicKey(module, session, key: key, configuration)
        } catch {
            module.closeSession(session)
            throw error
        }
        algorithm = publicKey.algorithm
        mechanism =
            switch publicKey.algorithm {
            case .ed25519: CK_MECHANISM_TYPE(CKM_EDDSA)
            case .rsa: CK_MECHANISM_TYPE(CKM_SHA256_RSA_PKCS)
            default: CK_MECHANISM_TYPE(CKM_ECDSA)
            }
        publicKeyPEM = Self.pem(publicKey.der)
        pool.withLock {
            $0.idle = [session]
            $0.key = key
        }
    }

    deinit {
        for session in pool.withLock({ $0.idle }) { module.closeSession(session) }
    }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] {
        do {
            return try signOnce(message)
        } catch {
            guard error.isSessionLost else { throw error }
            // The token was reset or reinserted: every pooled session and the key's handle are stale.
            let stale = pool.withLock { pool in
                defer { pool = Pool() }
                return pool.idle
            }
            for session in stale { module.closeSession(session) }
            return try signOnce(message)
        }
    }

    private func signOnce(_ message: [UInt8]) throws(PKCS11Error) -> [UInt8] {
        let (pooled, cachedKey) = pool.withLock { pool in (pool.idle.popLast(), pool.key) }
        let session: CK_SESSION_HANDLE
        if let pooled {
            session = pooled
        } else {
            session = try module.openSession(slot)
            do {
                try module.login(session, pin: configuration.pin)
            } catch {
                module.closeSession(session)
                throw PKCS11Error("logging in to token \(configuration.token) again", returnValue: error.returnValue)
            }
        }
        do throws(PKCS11Error) {
            let key: CK_OBJECT_HANDLE
            if let cachedKey { key = cachedKey } else { key = try Self.findKey(module, session, configuration) }
            let data = algorithm == .p256 || algorithm == .secp256k1 ? Digest.sha256(message) : message
            let raw = try module.sign(session, key: key, mechanism: mechanism, data: data)
            let signature: [UInt8]
            if mechanism == CK_MECHANISM_TYPE(CKM_ECDSA) {
                guard let der = DER.ecdsaSignature(raw: raw) else {
                    throw PKCS11Error("token \(configuration.token) answered an ECDSA signature of \(raw.count) bytes")
                }
                signature = der
            } else {
                signature = raw
            }
            let extra = pool.withLock { pool -> CK_SESSION_HANDLE? in
                pool.key = key
                guard pool.idle.count < configuration.maxSessions else { return session }
                pool.idle.append(session)
                return nil
            }
            if let extra { module.closeSession(extra) }
            return signature
        } catch {
            module.closeSession(session)
            throw PKCS11Error(
                "signing with key \(configuration.key) in token \(configuration.token) (\(error.message))", returnValue: error.returnValue)
        }
    }

    /// The one private key the configuration names.
    private static func findKey(_ module: PKCS11Module, _ session: CK_SESSION_HANDLE, _ configuration: PKCS11Configuration) throws(PKCS11Error)
        -> CK_OBJECT_HANDLE
    {
        let (attribute, value): (CK_ATTRIBUTE_TYPE, [UInt8]) =
            switch configuration.key {
            case .label(let label): (CK_ATTRIBUTE_TYPE(CKA_LABEL), Array(label.utf8))
            case .id(let id): (CK_ATTRIBUTE_TYPE(CKA_ID), id)
            }
        let keys = try module.find(session, objectClass: CK_OBJECT_CLASS(CKO_PRIVATE_KEY), attribute: attribute, value: value)
        guard keys.count == 1 else {
            throw PKCS11Error(
                keys.isEmpty
                    ? "no private key \(configuration.key) in token \(configuration.token) (is the PIN the user's, and the key made there?)"
                    : "\(keys.count) private keys match \(configuration.key) in token \(configuration.token): name one by its id")
        }
        return keys[0]
    }

    /// The key's type and SubjectPublicKeyInfo DER, read from the token: the curve from the private key, the point
    /// from its public key object (same `CKA_ID`), RSA's modulus and exponent from the private key itself.
    private static func publicKey(
        _ module: PKCS11Module, _ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, _ configuration: PKCS11Configuration
    ) throws(PKCS11Error) -> (algorithm: KeyAlgorithm, der: [UInt8]) {
        guard let typeBytes = try module.attribute(session, key, CK_ATTRIBUTE_TYPE(CKA_KEY_TYPE)), typeBytes.count == MemoryLayout<CK_KEY_TYPE>.size
        else { throw PKCS11Error("key \(configuration.key) has no key type") }
        let type = typeBytes.withUnsafeBytes { $0.loadUnaligned(as: CK_KEY_TYPE.self) }
        if type == CKK_RSA {
            guard let modulus = try module.attribute(session, key, CK_ATTRIBUTE_TYPE(CKA_MODULUS)),
                let exponent = try module.attribute(session, key, CK_ATTRIBUTE_TYPE(CKA_PUBLIC_EXPONENT))
            else { throw PKCS11Error("RSA key \(configuration.key) does not show its modulus and exponent") }
            guard modulus.drop(while: { $0 == 0 }).count * 8 >= 2048 else {
                throw PKCS11Error("RSA key \(configuration.key) is shorter than the 2048 bits Dfns takes")
            }
            let rsaEncryption: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
            let spki = DER.sequence(
                DER.sequence(rsaEncryption, DER.null), DER.bitString(DER.sequence(DER.unsignedInteger(modulus), DER.unsignedInteger(exponent))))
            return (.rsa, spki)
        }
        guard type == CKK_EC || type == CKK_EC_EDWARDS else {
            throw PKCS11Error("key \(configuration.key) is of PKCS#11 key type 0x\(String(type, radix: 16)), which Dfns does not take")
        }
        let parameters = try module.attribute(session, key, CK_ATTRIBUTE_TYPE(CKA_EC_PARAMS)) ?? []
        let point = try Self.publicPoint(module, session, key: key, configuration)
        if type == CKK_EC_EDWARDS {
            let edwards25519: [[UInt8]] = [[0x13, 0x0C] + Array("edwards25519".utf8), [0x06, 0x03, 0x2B, 0x65, 0x70]]
            guard edwards25519.contains(parameters) else {
                throw PKCS11Error("key \(configuration.key) is an Edwards key of another curve than Ed25519")
            }
            let raw = point.count == 32 ? point : DER.octetStringContents(point) ?? []
            guard raw.count == 32 else { throw PKCS11Error("Ed25519 key \(configuration.key) has a public key of \(point.count) bytes") }
            return (.ed25519, [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00] + raw)
        }
        let curves: [(KeyAlgorithm, [UInt8])] = [
            (.p256, [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]), (.secp256k1, [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A]),
        ]
        guard let (algorithm, curve) = curves.first(where: { $0.1 == parameters }) else {
            throw PKCS11Error("EC key \(configuration.key) is on a curve Dfns does not take (P-256 and secp256k1 only)")
        }
        // A bare uncompressed point, or one wrapped in an OCTET STRING as the standard says (modules differ).
        let raw = point.count == 65 && point[0] == 0x04 ? point : DER.octetStringContents(point) ?? []
        guard raw.count == 65, raw[0] == 0x04 else { throw PKCS11Error("EC key \(configuration.key) has a public point of \(point.count) bytes") }
        let idECPublicKey: [UInt8] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
        return (algorithm, DER.sequence(DER.sequence(idECPublicKey, curve), DER.bitString(raw)))
    }

    /// `CKA_EC_POINT` of the public key object that shares the private key's `CKA_ID` (or its label).
    private static func publicPoint(
        _ module: PKCS11Module, _ session: CK_SESSION_HANDLE, key: CK_OBJECT_HANDLE, _ configuration: PKCS11Configuration
    ) throws(PKCS11Error) -> [UInt8] {
        var candidates: [CK_OBJECT_HANDLE] = []
        if let id = try module.attribute(session, key, CK_ATTRIBUTE_TYPE(CKA_ID)), !id.isEmpty {
            candidates = try module.find(session, objectClass: CK_OBJECT_CLASS(CKO_PUBLIC_KEY), attribute: CK_ATTRIBUTE_TYPE(CKA_ID), value: id)
        }
        if candidates.isEmpty, let label = try module.attribute(session, key, CK_ATTRIBUTE_TYPE(CKA_LABEL)) {
            candidates = try module.find(session, objectClass: CK_OBJECT_CLASS(CKO_PUBLIC_KEY), attribute: CK_ATTRIBUTE_TYPE(CKA_LABEL), value: label)
        }
        for candidate in candidates {
            if let point = try module.attribute(session, candidate, CK_ATTRIBUTE_TYPE(CKA_EC_POINT)) { return point }
        }
        throw PKCS11Error("key \(configuration.key) has no public key object with its id in token \(configuration.token)")
    }

    private static func pem(_ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [Substring] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN PUBLIC KEY-----\n" + lines.joined(separator: "\n") + "\n-----END PUBLIC KEY-----\n"
    }
}
