/// Where a key credential's private key lives in a PKCS#11 token, and how to reach it. The PIN is held only to log
/// in again after the token was reset; it is never printed (``description`` leaves it out).
public struct PKCS11Configuration: Sendable, CustomStringConvertible {
    /// The token: by its label (what `softhsm2-util --init-token --label` or the HSM's tooling set), or by slot id.
    public enum Token: Sendable, Hashable {
        case label(String)
        case slot(UInt)
    }

    /// The private key: by its `CKA_LABEL`, or by its `CKA_ID` bytes.
    public enum Key: Sendable, Hashable {
        case label(String)
        case id([UInt8])
    }

    /// The module's path, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    public var modulePath: String
    public var token: Token
    public var key: Key
    /// The user PIN.
    public var pin: String
    /// The Dfns credential id the key was registered under.
    public var credentialId: String
    /// Most sessions open at once, each signing one message at a time. Default 8.
    public var maxSessions: Int

    public init(modulePath: String, token: Token, key: Key, pin: String, credentialId: String, maxSessions: Int = 8) {
        self.modulePath = modulePath
        self.token = token
        self.key = key
        self.pin = pin
        self.credentialId = credentialId
        self.maxSessions = maxSessions
    }

    public var description: String {
        "PKCS#11 key \(key) in token \(token) of \(modulePath) (credential \(credentialId))"
    }
}
