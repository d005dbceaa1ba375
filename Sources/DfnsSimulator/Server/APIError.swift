import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered in the Dfns envelope `{"error":{"id","status","message","details"}}`. Thrown by handlers and
/// middleware alike; Hummingbird's router turns it into the response (`HTTPResponseError`).
struct APIError: Error, Sendable, HTTPResponseError {
    let statusCode: Int
    let message: String
    let details: [String: any Sendable]?
    /// The `Retry-After` header value (429), sent verbatim.
    let retryAfter: String?

    init(_ status: Int, _ message: String, details: [String: any Sendable]? = nil, retryAfter: String? = nil) {
        self.statusCode = status
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
    }

    var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var envelope: [String: Any] = [
            "id": String(UInt64.random(in: 1_000_000_000_000_000_000...9_999_999_999_999_999_999)),
            "status": statusCode,
            "message": message,
        ]
        if let details { envelope["details"] = details }
        var response = try APIResponse(status: status, json: ["error": envelope]).response(from: request, context: context)
        if let retryAfter { response.headers[.retryAfter] = retryAfter }
        return response
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
