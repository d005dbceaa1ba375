/// An entity Dfns returned: its `id` is checked when it is read, everything else stays in ``raw`` exactly as Dfns sent
/// it (fields added after this SDK version included); the typed accessors of each model read `raw` on access.
public protocol DfnsModel: Sendable, Hashable, Decodable, Identifiable where ID == String {
    var id: String { get }
    /// The entity exactly as Dfns returned it.
    var raw: JSONValue { get }
    /// Reads the entity from JSON; throws when a field the model cannot do without is missing or of the wrong type.
    init(json: JSONValue) throws
}

extension DfnsModel {
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// The string member `key` of ``raw``, nil when absent or not a string.
    func string(_ key: String) -> String? { raw[key]?.stringValue }
}
