/// A webhook (`/webhooks`): where Dfns posts events of the kinds it lists.
public struct Webhook: DfnsModel {
    public let id: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// Where events are posted.
    public var url: String? { string("url") }
    /// The event kinds it receives (`*` for all).
    public var events: [String] { raw["events"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    /// `Enabled` or `Disabled`.
    public var status: String? { string("status") }
    /// A note for people.
    public var description: String? { string("description") }
    /// The HMAC secret of event signatures; only in the answer to its creation.
    public var secret: String? { string("secret") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        raw = json
    }
}
