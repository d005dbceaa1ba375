import Foundation

/// Told about every HTTP exchange a client makes, for metrics. Called on the request's task; keep it cheap.
public protocol DfnsRequestObserver: Sendable {
    /// Called once per HTTP exchange, answered or not.
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
    /// How long the exchange took.
    public let duration: Duration
}

extension DfnsRequestEvent {
    /// The placeholder of the segment after each collection, as the official SDKs name their path parameters.
    private static let parameters: [Substring: String] = [
        "wallets": "{walletId}", "transfers": "{transferId}", "transactions": "{transactionId}", "offers": "{offerId}", "keys": "{keyId}",
        "signatures": "{signatureId}", "policies": "{policyId}", "policy-approvals": "{approvalId}", "webhooks": "{webhookId}",
        "events": "{webhookEventId}", "bulk-create": "{jobId}", "networks": "{network}", "validators": "{validatorId}",
    ]
    /// Segments that sit where an id could and are part of the route (`/wallets/bulk-create`, `/networks/fees`…).
    private static let literals: Set<Substring> = ["bulk-create", "all", "import", "fees", "travel-rule", "reindex"]

    /// The endpoint template of a concrete path, e.g. `/wallets/{walletId}/transfers/{transferId}` — the paths of
    /// the official SDKs' generated clients; an id-looking segment elsewhere becomes `{id}`.
    static func template(of path: String) -> String {
        var previous: Substring = ""
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            defer { previous = segment }
            if literals.contains(segment) { return String(segment) }
            if let parameter = parameters[previous] { return parameter }
            return segment.contains("-") && segment.rangeOfCharacter(from: .decimalDigits) != nil ? "{id}" : String(segment)
        }
        return segments.joined(separator: "/")
    }
}
