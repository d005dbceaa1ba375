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
        // One pass over the segments, without Foundation: it runs for every request the worker sends.
        var template = ""
        template.reserveCapacity(path.utf8.count)
        var previous: Substring = ""
        for (index, segment) in path.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if index > 0 { template.append("/") }
            if literals.contains(segment) {
                template += segment
            } else if let parameter = parameters[previous] {
                template += parameter
            } else if segment.utf8.contains(UInt8(ascii: "-")), segment.utf8.contains(where: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            {
                template += "{id}"
            } else {
                template += segment
            }
            previous = segment
        }
        return template
    }
}
