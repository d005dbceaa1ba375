import Synchronization
import Testing

@testable import DfnsSDK

@Suite("Paginated listings")
struct PaginatedSequenceTests {
    @Test("a page token Dfns returns twice stops the listing with an error instead of looping")
    func repeatedToken() async throws {
        let fetches = Mutex(0)
        let pages = PaginatedSequence<Int> { token in
            let count = fetches.withLock {
                $0 += 1
                return $0
            }
            guard count < 100 else { throw CancellationError() }
            // Page A points at B, B points back at A.
            return Page(items: [count], nextPageToken: token == "B" ? "A" : "B")
        }
        let error = await #expect(throws: DfnsError.self) {
            for try await _ in pages {}
        }
        #expect(error?.code == .decoding && error?.message.contains("twice") == true)
        #expect(fetches.withLock { $0 } == 3, "A, B, then A again: stopped")
    }
}
