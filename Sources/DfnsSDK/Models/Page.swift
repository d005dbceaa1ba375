/// One page of a Dfns list: `{"items":[…],"nextPageToken":"…"}`.
public struct Page<Item: Decodable & Sendable>: Sendable, Decodable {
    /// The items of this page, in Dfns's order.
    public let items: [Item]
    /// Pass as `paginationToken` to get the next page; nil on the last page.
    public let nextPageToken: String?
}

/// Every item of a Dfns list, fetching pages lazily as the sequence is iterated.
public struct PaginatedSequence<Item: Decodable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = Item
    typealias Fetch = @Sendable (_ paginationToken: String?) async throws -> Page<Item>

    private let fetch: Fetch

    init(fetch: @escaping Fetch) { self.fetch = fetch }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }

    /// Fetches the next page only when the items of the current one are used up.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let fetch: Fetch
        private var buffer: [Item] = []
        private var index = 0
        private var token: String?
        private var seenTokens: Set<String> = []
        private var finished = false

        init(fetch: @escaping Fetch) { self.fetch = fetch }

        public mutating func next() async throws -> Item? {
            while index == buffer.count {
                guard !finished else { return nil }
                let page = try await fetch(token)
                buffer = page.items
                index = 0
                token = page.nextPageToken
                finished = token == nil || token == ""
                // A token seen before would walk the same pages forever.
                if let token, !finished, !seenTokens.insert(token).inserted {
                    throw DfnsError(
                        code: .decoding, message: "Dfns returned page token \(token.prefix(40)) twice; stopping the listing instead of looping")
                }
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}
