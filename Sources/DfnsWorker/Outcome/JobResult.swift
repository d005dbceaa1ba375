import DfnsSDK

/// What a job writes to its row's `result`: an entity as Dfns returned it, or a value the handler built.
///
/// An entity read from a whole response is stored as the bytes Dfns sent, not re-serialized: the row holds what Dfns
/// said (jsonb keeps its meaning, not its spelling), and re-writing every result cost the worker CPU on each job.
public struct JobResult: Sendable, Hashable {
    /// The result as JSON.
    public let value: JSONValue
    /// The response body `value` was read from, stored as it is; nil for a value built here or read from part of a
    /// response.
    let body: [UInt8]?

    /// A value the handler built (or read from part of a response, e.g. an item of a page).
    public init(_ value: JSONValue) {
        self.value = value
        body = nil
    }

    /// An entity as Dfns returned it: its response body when it was read from one, else its JSON.
    public init(_ entity: some DfnsModel) {
        value = entity.raw
        body = entity.responseBody
    }

    public static func == (left: JobResult, right: JobResult) -> Bool { left.value == right.value }

    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
