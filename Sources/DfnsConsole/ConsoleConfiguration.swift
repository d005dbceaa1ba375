/// How the operator console behaves. Defaults suit one operator on the worker's own host.
public struct ConsoleConfiguration: Sendable {
    /// The operator token (`DFNS_CONSOLE_TOKEN`) that signs a session in for actions; nil keeps the console
    /// read-only. At least ``minimumTokenLength`` characters.
    public var token: String?
    /// Seconds between live refreshes of the overview and a job's page. Default 5.
    public var refreshSeconds = 5
    /// Jobs per page of the list. Default 50.
    public var pageSize = 50
    /// How long a signed-in session lasts. Default 12 hours: one shift.
    public var sessionLifetime: Duration = .seconds(12 * 3600)

    /// Shorter tokens could be guessed through the login form.
    public static let minimumTokenLength = 16

    public init(token: String? = nil) {
        self.token = token
    }

    /// Reads `DFNS_CONSOLE_TOKEN` from `environment`: nil when unset or empty (read-only).
    /// - Throws: ``ConsoleError`` when the token is shorter than ``minimumTokenLength``.
    public static func token(from environment: [String: String]) throws(ConsoleError) -> String? {
        guard let token = environment["DFNS_CONSOLE_TOKEN"], !token.isEmpty else { return nil }
        guard token.count >= minimumTokenLength else {
            throw ConsoleError("DFNS_CONSOLE_TOKEN has \(token.count) characters; an operator token has at least \(minimumTokenLength) "
                + "(e.g. openssl rand -hex 24)")
        }
        return token
    }
}

/// A console setting that cannot be used, with what to do instead.
public struct ConsoleError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
