/// The job kinds a worker runs, by `kind`.
public struct JobRegistry: Sendable {
    private var handlers: [String: any JobHandler] = [:]

    public init(_ handlers: [any JobHandler] = []) {
        for handler in handlers { register(handler) }
    }

    /// Adds a handler; a later one for the same kind replaces the earlier.
    public mutating func register(_ handler: any JobHandler) {
        precondition(handler.kind.wholeMatch(of: /[a-z][a-z0-9_]{0,62}/) != nil, "job kind \(handler.kind) must match [a-z][a-z0-9_]*")
        handlers[handler.kind] = handler
    }

    /// The handler of `kind`.
    public func handler(for kind: String) -> (any JobHandler)? { handlers[kind] }

    /// Every registered kind, sorted.
    public var kinds: [String] { handlers.keys.sorted() }
}
