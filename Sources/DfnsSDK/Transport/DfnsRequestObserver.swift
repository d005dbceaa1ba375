import Foundation

/// Told about every HTTP exchange a client makes, for metrics. Called on the request's task; keep it cheap.
public protocol DfnsRequestObserver: Sendable {
    func dfnsRequestFinished(_ event: DfnsRequestEvent)
}

/// One finished HTTP exchange with Dfns.
public struct DfnsRequestEvent: Sendable {
    /// `GET`, `POST`…
    public let method: String
    /// The path with ids replaced by placeholders, e.g. `/wallets/{walletId}/transfers` (low cardinality).
    public let endpoint: String
    /// The HTTP status, or nil when no response arrived.
    public let status: Int?
    /// The error code when the exchange failed.
    public let errorCode: DfnsError.Code?
    public let duration: Duration
}

extension DfnsRequestEvent {
    /// The endpoint template of a concrete path: the segment after `wallets` is `{walletId}`, after `transfers`
    /// `{transferId}`, and any other id-looking segment `{id}`.
    static func template(of path: String) -> String {
        var previous = ""
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            defer { previous = String(segment) }
            switch previous {
            case "wallets": return "{walletId}"
            case "transfers": return "{transferId}"
            default: return segment.contains("-") && segment.rangeOfCharacter(from: .decimalDigits) != nil ? "{id}" : String(segment)
            }
        }
        return segments.joined(separator: "/")
    }
}
