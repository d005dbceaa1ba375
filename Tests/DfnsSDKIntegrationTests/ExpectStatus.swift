import DfnsSDK
import Testing

/// Expects `send` to fail with Dfns's HTTP `status`; a failure points at the caller.
func expectStatus(_ status: Int, sourceLocation: SourceLocation = #_sourceLocation, _ send: () async throws -> some Sendable) async {
    let error = await #expect(throws: DfnsError.self, sourceLocation: sourceLocation) { try await send() }
    #expect(error?.httpStatus == status, sourceLocation: sourceLocation)
}
