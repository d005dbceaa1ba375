/// An error answered in the Dfns envelope `{"error":{"id","status","message","details"}}`.
struct APIError: Error, Sendable {
    let status: Int
    let message: String
    let details: [String: any Sendable]?
    /// The `Retry-After` header value (429), sent verbatim.
    let retryAfter: String?

    init(_ status: Int, _ message: String, details: [String: any Sendable]? = nil, retryAfter: String? = nil) {
        self.status = status
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    static func badRequest(_ message: String) -> APIError { APIError(400, message) }

    /// Missing or unknown bearer token.
    static let unauthorized = APIError(401, "user token is missing or invalid")
    /// Missing, unknown, expired or mismatched user action.
    static let userActionInvalid = APIError(403, "user action signature is missing or invalid")
    /// A user-action token presented twice.
    static let userActionUsed = APIError(400, "user action has already been used")
    /// An unknown, expired, used or foreign challenge.
    static let challengeInvalid = APIError(400, "Challenge token is not valid.")
}
