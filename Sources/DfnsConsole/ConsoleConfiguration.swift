import DfnsSDK
import Foundation

/// How the operator console behaves. Defaults suit one operator on the worker's own host.
public struct ConsoleConfiguration: Sendable {
    /// Who may sign in to act; empty keeps the console read-only (``operators(from:)``).
    public var operators: [ConsoleOperator]
    /// The host names the console answers to (the `Host` of a request, without its port), lowercased. A request for any
    /// other name is refused: a page of another site that rebinds its own name to 127.0.0.1 (DNS rebinding) gets
    /// nothing. Default: `localhost`, `127.0.0.1` and `::1`; ``hosts(from:listeningOn:)`` adds `DFNS_CONSOLE_HOSTS` and
    /// the address listened on.
    public var allowedHosts: Set<String> = Self.loopbackNames
    /// Every page needs a signed-in operator, not only the actions: set when the console listens beyond loopback, where
    /// anyone who reaches the port would read every job.
    public var requiresSignIn = false
    /// Seconds between live refreshes of the overview and a job's page. Default 5.
    public var refreshSeconds = 5
    /// Jobs per page of the list. Default 50.
    public var pageSize = 50
    /// How long a signed-in session lasts. Default 12 hours: one shift.
    public var sessionLifetime: Duration = .seconds(12 * 3600)

    /// Shorter tokens could be guessed through the login form.
    public static let minimumTokenLength = 16
    /// The names of this host.
    public static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1"]

    public init(operators: [ConsoleOperator] = []) {
        self.operators = operators
    }

    /// The operators of `environment`: one per line of the file `DFNS_CONSOLE_TOKENS_FILE` (`sha256:<hex of the
    /// token's SHA-256> <name>`: tokens are kept hashed at rest, and each operator is recorded by the name beside their
    /// own token), and, for compatibility, the shared `DFNS_CONSOLE_TOKEN`, recorded as ``sharedTokenName``.
    /// - Throws: ``ConsoleError`` naming the line or variable that cannot be used.
    public static func operators(from environment: [String: String]) throws(ConsoleError) -> [ConsoleOperator] {
        var operators: [ConsoleOperator] = []
        if let path = environment["DFNS_CONSOLE_TOKENS_FILE"], !path.isEmpty {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConsoleError("DFNS_CONSOLE_TOKENS_FILE \(path) is not a readable UTF-8 file")
            }
            operators += try ConsoleOperator.parse(text, file: path)
        }
        if let token = environment["DFNS_CONSOLE_TOKEN"], !token.isEmpty {
            guard token.count >= minimumTokenLength else {
                throw ConsoleError(
                    "DFNS_CONSOLE_TOKEN has \(token.count) characters; an operator token has at least \(minimumTokenLength) "
                        + "(e.g. openssl rand -hex 24)")
            }
            operators.append(ConsoleOperator(name: sharedTokenName, token: token))
        }
        let names = operators.map(\.name)
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw ConsoleError("the console operator \(repeated) is listed twice: each operator has one token")
        }
        return operators
    }

    /// The name actions taken with the shared `DFNS_CONSOLE_TOKEN` are recorded under: whoever holds it.
    public static let sharedTokenName = "holder of DFNS_CONSOLE_TOKEN"

    /// The host names a console listening on `listenHost` answers to: this host's names, the address listened on (when
    /// it is one address, not all of them) and the comma-separated `DFNS_CONSOLE_HOSTS` (the name a proxy or the
    /// operators use).
    public static func hosts(from environment: [String: String], listeningOn listenHost: String) -> Set<String> {
        var hosts = loopbackNames
        let listened = bare(listenHost)
        if !["0.0.0.0", "::", ""].contains(listened) { hosts.insert(listened) }
        for name in (environment["DFNS_CONSOLE_HOSTS"] ?? "").split(separator: ",") {
            let host = bare(String(name))
            if !host.isEmpty { hosts.insert(host) }
        }
        return hosts
    }

    /// A host name without brackets, lowercased.
    static func bare(_ host: String) -> String {
        host.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
    }
}

/// One operator who may sign in to the console: a name recorded with every action they take, and the SHA-256 of their
/// token (the token itself is never kept).
public struct ConsoleOperator: Sendable, Equatable {
    public let name: String
    /// SHA-256 of the token.
    let digest: [UInt8]

    /// An operator whose token is `token` (hashed here).
    public init(name: String, token: String) {
        self.name = name
        digest = Digest.sha256(Array(token.utf8))
    }

    init(name: String, digest: [UInt8]) {
        self.name = name
        self.digest = digest
    }

    /// The operators of a tokens file: `sha256:<64 hex digits> <name>` per line; blank lines and `#` comments skipped.
    static func parse(_ text: String, file: String) throws(ConsoleError) -> [ConsoleOperator] {
        var operators: [ConsoleOperator] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let parts = line.split(separator: " ", maxSplits: 1)
            let name = parts.count == 2 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            guard parts[0].hasPrefix("sha256:"), let digest = Digest.bytes(hex: parts[0].dropFirst("sha256:".count)), digest.count == 32,
                (1...64).contains(name.count), !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw ConsoleError(
                    "\(file) line \(index + 1) is not `sha256:<64 hex digits of the token's SHA-256> <name of 1 to 64 characters>` "
                        + "(make one with: token=$(openssl rand -hex 24); printf 'sha256:%s %s\\n' \"$(printf %s \"$token\" | sha256sum | cut -d' ' -f1)\" 'Ada')"
                )
            }
            operators.append(ConsoleOperator(name: name, digest: digest))
        }
        return operators
    }
}

/// A console setting that cannot be used, with what to do instead.
public struct ConsoleError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
