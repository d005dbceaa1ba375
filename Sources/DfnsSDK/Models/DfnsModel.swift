/// An entity Dfns returned: its `id` is checked when it is read, everything else stays in ``raw`` exactly as Dfns sent
/// it (fields added after this SDK version included); the typed accessors of each model read `raw` on access.
///
/// Two models are equal when their ``raw`` JSON is: the bytes they were read from (``responseBody``) do not count.
public protocol DfnsModel: Sendable, Hashable, Decodable, Identifiable where ID == String {
    var id: String { get }
    /// The entity exactly as Dfns returned it.
    var raw: JSONValue { get }
    /// The response body the entity was read from, byte for byte, so it can be stored as Dfns sent it rather than
    /// re-serialized; nil when it was read from part of a response (an item of a page, an event's data) or built.
    var responseBody: [UInt8]? { get }
    /// Reads the entity from JSON; throws when a field the model cannot do without is missing or of the wrong type.
    init(json: JSONValue) throws
}

extension DfnsModel {
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    public static func == (left: Self, right: Self) -> Bool { left.raw == right.raw }

    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }

    /// The string member `key` of ``raw``, nil when absent or not a string.
    func string(_ key: String) -> String? { raw[key]?.stringValue }
}

/// A model the transport reads from a whole response body, keeping that body (``DfnsModel/responseBody``).
protocol ResponseBodyKeeping: DfnsModel {
    var responseBody: [UInt8]? { get set }
}

extension ResponseBodyKeeping {
    /// Reads the entity from `body`, parsed as `json`, and keeps `body`.
    init(json: JSONValue, responseBody body: [UInt8]) throws {
        try self.init(json: json)
        responseBody = body
    }
}

extension BulkWalletJob: ResponseBodyKeeping {}
extension CantonValidator: ResponseBodyKeeping {}
extension DfnsKey: ResponseBodyKeeping {}
extension DfnsWebhookEvent: ResponseBodyKeeping {}
extension KeySignature: ResponseBodyKeeping {}
extension Policy: ResponseBodyKeeping {}
extension PolicyApproval: ResponseBodyKeeping {}
extension Transaction: ResponseBodyKeeping {}
extension Transfer: ResponseBodyKeeping {}
extension Wallet: ResponseBodyKeeping {}
extension WalletOffer: ResponseBodyKeeping {}
extension Webhook: ResponseBodyKeeping {}
extension WebhookEvent: ResponseBodyKeeping {}
