/// A bulk wallet creation (`/wallets/bulk-create`) running in the background.
public struct BulkWalletJob: DfnsModel {
    public let id: String
    /// `Pending`, `InProgress`, `Completed`, `PartiallyCompleted` or `Failed`.
    public let status: String
    public let raw: JSONValue
    /// The response body it was read from, when it was one (see ``DfnsModel/responseBody``).
    public internal(set) var responseBody: [UInt8]?

    /// How many wallets the job makes.
    public var totalCount: Int? { raw["totalCount"].flatMap { if case .integer(let value) = $0 { Int(value) } else { nil } } }
    /// How many are made so far.
    public var completedCount: Int? { raw["completedCount"].flatMap { if case .integer(let value) = $0 { Int(value) } else { nil } } }
    /// The name each wallet got, followed by its number.
    public var namePrefix: String? { string("namePrefix") }

    public init(json: JSONValue) throws {
        id = try json.requiredString("id")
        status = try json.requiredString("status")
        raw = json
    }
}
