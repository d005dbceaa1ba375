import COpenSSL
import DfnsSDK
import Foundation

/// Signed-in operators. A session is a cookie signed with a key derived from the operators' token hashes, so every
/// process with the same operators accepts it and changing any token signs everyone out; it names the operator whose
/// token signed it in (recorded with each action) and carries a nonce from which the CSRF token of its forms is derived.
struct ConsoleSession: Sendable {
    /// A verified session.
    struct Operator: Sendable {
        let name: String
        /// The hidden form field every action must carry (HMAC of the session's nonce): a page of another site can
        /// make the browser send the cookie, never read this.
        let csrf: String

        /// True when a form's `given` field is this session's CSRF token (compared in constant time).
        func accepts(csrf given: String) -> Bool {
            ConsoleSession.same(Array(given.utf8), Array(csrf.utf8))
        }
    }

    static let cookieName = "dfns_console"

    private let key: [UInt8]
    private let lifetime: Duration
    private let operators: [ConsoleOperator]

    /// - Parameter operators: who may sign in; not empty.
    init(operators: [ConsoleOperator], lifetime: Duration) {
        let material = operators.map { $0.digest + Array($0.name.utf8) + [0] }.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { $0 }
        key = Digest.hmacSHA256(key: material, Array("dfns-worker console session v2".utf8))
        self.lifetime = lifetime
        self.operators = operators
    }

    /// The operator whose token `given` is, comparing its SHA-256 with every operator's in constant time (no early exit,
    /// so the time taken says nothing of which matched).
    func operatorName(ofToken given: String) -> String? {
        let digest = Digest.sha256(Array(given.utf8))
        var found: String?
        for candidate in operators where Self.same(digest, candidate.digest) { found = candidate.name }
        return found
    }

    /// A new session's cookie value for `name`, valid for the configured lifetime from `now`.
    func issue(name: String, now: Date = Date()) -> String {
        var nonce = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in nonce.indices { nonce[index] = generator.next() }
        let expiry = Int64(now.timeIntervalSince1970) + lifetime.components.seconds
        let body = "\(expiry).\(Digest.hex(nonce)).\(Self.base64url(Array(name.utf8)))"
        return body + "." + Digest.hex(Digest.hmacSHA256(key: key, Array(body.utf8)))
    }

    /// The operator of a cookie value, or nil when it is not one this key signed or it expired.
    func verify(_ value: String, now: Date = Date()) -> Operator? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let expiry = Int64(parts[0]), expiry > Int64(now.timeIntervalSince1970) else { return nil }
        let body = parts[0...2].joined(separator: ".")
        let expected = Digest.hmacSHA256(key: key, Array(body.utf8))
        guard let given = Digest.bytes(hex: parts[3]), Self.same(given, expected), let nameBytes = Self.bytes(base64url: parts[2])
        else { return nil }
        return Operator(
            name: String(decoding: nameBytes, as: UTF8.self), csrf: Digest.hex(Digest.hmacSHA256(key: key, Array("csrf.\(parts[1])".utf8))))
    }

    /// Equal bytes, compared in constant time for equal lengths (OpenSSL's `CRYPTO_memcmp`).
    private static func same(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        left.count == right.count && CRYPTO_memcmp(left, right, left.count) == 0
    }

    private static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func bytes(base64url text: Substring) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
