import Foundation

/// Every failure the SDK reports, with a stable low-cardinality ``Code`` that callers branch on.
///
/// Decide on ``code``, ``isRetryable`` and ``retryAfter``, never on ``message``: messages come from Dfns and change.
/// The description never contains the bearer token, the private key or request bodies.
public struct DfnsError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; a struct wrapping a private enum so new codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case transport, timeout, rateLimited, server, unauthorized, forbidden, notFound, conflict
            case validation, policyPending, decoding, signing
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The connection failed or closed before a response arrived: the outcome of a write is unknown.
        public static let transport = Code(.transport)
        /// No response within the configured timeout: the outcome of a write is unknown.
        public static let timeout = Code(.timeout)
        /// HTTP 429; see ``DfnsError/retryAfter``.
        public static let rateLimited = Code(.rateLimited)
        /// HTTP 5xx (or an unexpected status): transient on Dfns's side.
        public static let server = Code(.server)
        /// HTTP 401: the bearer token is missing, malformed or expired.
        public static let unauthorized = Code(.unauthorized)
        /// HTTP 402/403: missing permission, feature or a rejected user action.
        public static let forbidden = Code(.forbidden)
        /// HTTP 404.
        public static let notFound = Code(.notFound)
        /// HTTP 409, chiefly an `externalId` already bound to another request; see ``DfnsError/duplicateId``.
        public static let conflict = Code(.conflict)
        /// HTTP 400/422, or a request the SDK refused to send because it is invalid.
        public static let validation = Code(.validation)
        /// No longer produced: HTTP 202 (a policy holds the request for approval) is an accepted entity, returned like
        /// any 2xx, as the Go and Python SDKs do (the TS SDK's `PolicyPendingError` carries the same body).
        @available(*, deprecated, message: "HTTP 202 is returned as the accepted entity, not thrown")
        public static let policyPending = Code(.policyPending)
        /// A response that is not the JSON we expect.
        public static let decoding = Code(.decoding)
        /// The credential could not sign (bad key, signer failure).
        public static let signing = Code(.signing)

        /// A short snake-free label safe for metrics and logs, e.g. `rateLimited`.
        public var description: String { base.rawValue }
    }

    /// The failure class.
    public let code: Code
    /// A human-readable explanation (from the Dfns envelope when there is one).
    public let message: String
    /// The HTTP status, when a response arrived.
    public let httpStatus: Int?
    /// Dfns's support reference (`error.id`), when present.
    public let dfnsErrorId: String?
    /// Dfns's own error code (`error.code`), when the answer carries one: the official Python SDK keeps it as
    /// `DfnsError.error_code` (dfns-sdk 1.0.4 `_handle_response`); Dfns's documented envelope does not promise it.
    public let dfnsCode: String?
    /// `error.details` from the envelope, when present.
    public let details: JSONValue?
    /// The raw response body, when a response arrived.
    public let rawBody: String?
    /// How long the server asked us to wait (429 `Retry-After`), at most ``RateLimitPolicy/longestWait``.
    public let retryAfter: Duration?
    /// True when a write may have taken effect even though we saw no success: the real request (not the init or
    /// action call) was sent and no definite answer came back (connection lost, timeout, 5xx), or Dfns answered 2xx
    /// with a body that could not be read. Reconcile before repeating it.
    public let outcomeUnknown: Bool
    /// The lower-level cause, for debugging; never shown in ``description``.
    public let underlying: (any Error)?

    /// An error with the given code; the SDK builds these from Dfns's answers, tests and wrappers may build their own.
    public init(
        code: Code,
        message: String,
        httpStatus: Int? = nil,
        dfnsErrorId: String? = nil,
        dfnsCode: String? = nil,
        details: JSONValue? = nil,
        rawBody: String? = nil,
        retryAfter: Duration? = nil,
        outcomeUnknown: Bool = false,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.dfnsErrorId = dfnsErrorId
        self.dfnsCode = dfnsCode
        self.details = details
        self.rawBody = rawBody
        self.retryAfter = retryAfter
        self.outcomeUnknown = outcomeUnknown
        self.underlying = underlying
    }

    /// True for failures that may succeed when tried again: transport, timeout, 429 and 5xx.
    public var isRetryable: Bool {
        [.transport, .timeout, .rateLimited, .server].contains(code)
    }

    /// The id of the existing entity a 409 conflict points at (`details.duplicate.id`).
    public var duplicateId: String? {
        details?["duplicate"]?["id"]?.stringValue
    }

    public var description: String {
        var text = "DfnsError.\(code)"
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        text += ": \(message)"
        if let dfnsCode { text += " (\(dfnsCode))" }
        if let dfnsErrorId { text += " [dfns error id \(dfnsErrorId)]" }
        return text
    }
}

extension DfnsError {
    /// Maps an HTTP error response to a typed error, parsing the Dfns envelope `{"error":{id,status,message,details}}`
    /// with fallbacks to a top-level `message` and to the raw text.
    /// - Parameters:
    ///   - httpStatus: the response's status.
    ///   - body: the response's body, as received.
    ///   - retryAfterHeader: the `Retry-After` header (seconds or an HTTP date), when present.
    ///   - now: the time an HTTP-date `Retry-After` is measured from.
    ///   - outcomeUnknown: true when the response answers a write that may have taken effect (a 5xx to it).
    public init(httpStatus: Int, body: [UInt8], retryAfterHeader: String?, now: Date = Date(), outcomeUnknown: Bool = false) {
        let raw = String(decoding: body, as: UTF8.self)
        let json = try? JSONValue(parsing: body)
        let envelope = json?["error"]
        var message =
            envelope?["message"]?.stringValue ?? json?["message"]?.stringValue
            ?? (envelope?.stringValue ?? raw.trimmingCharacters(in: .whitespacesAndNewlines))
        if message.isEmpty { message = "HTTP \(httpStatus)" }
        let errorId: String? =
            switch envelope?["id"] {
            case .string(let id): id
            case .integer(let id): String(id)
            default: nil
            }
        self.init(
            code: Self.code(forStatus: httpStatus),
            message: message,
            httpStatus: httpStatus,
            dfnsErrorId: errorId,
            // As the Python SDK: the envelope's `code`, or the top-level object's when there is no envelope.
            dfnsCode: (envelope?.objectValue != nil ? envelope : json)?["code"]?.stringValue,
            details: envelope?["details"],
            rawBody: raw,
            retryAfter: retryAfterHeader.flatMap { Self.parseRetryAfter($0, now: now) },
            outcomeUnknown: outcomeUnknown
        )
    }

    /// The code for an HTTP status that is not a success (a 3xx or an unexpected status counts as `server`).
    public static func code(forStatus status: Int) -> Code {
        switch status {
        case 401: .unauthorized
        case 402, 403: .forbidden
        case 404: .notFound
        case 409: .conflict
        case 429: .rateLimited
        case 400..<500: .validation
        default: .server
        }
    }

    /// Parses `Retry-After` as delta-seconds (fractions accepted) or an HTTP date, clamped to
    /// ``RateLimitPolicy/longestWait``; nil when unparseable or negative.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        let limit = RateLimitPolicy.longestWait.seconds
        if let seconds = Double(trimmed), seconds.isFinite {
            guard seconds >= 0 else { return nil }
            return .milliseconds(Int64((min(seconds, limit) * 1000).rounded(.up)))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let interval = min(max(0, date.timeIntervalSince(now)), limit)
        return .milliseconds(Int64((interval * 1000).rounded(.up)))
    }
}
