import Foundation
import Testing

@testable import DfnsWorker

/// An end user's login in a job's row opens only with the workers' key, in that job's row, unaltered.
@Suite("Sealed end-user logins")
struct TokenSealTests {
    private static func key(_ byte: UInt8) throws -> TokenSeal { try TokenSeal(key: [UInt8](repeating: byte, count: 32)) }

    @Test("sealed for one job, it opens there with the same key and nowhere else")
    func boundToKeyAndJob() throws {
        let seal = try Self.key(7)
        let token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1cy0xIn0.signature"
        let sealed = try seal.seal(token, jobId: 41)
        #expect(seal.open(sealed, jobId: 41) == token)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("eyJ"), "nothing of the token in clear")
        #expect(try seal.seal(token, jobId: 41) != sealed, "a fresh nonce each time")
        #expect(seal.open(sealed, jobId: 42) == nil, "another job's row")
        #expect(try Self.key(8).open(sealed, jobId: 41) == nil, "another key")
        var altered = sealed
        altered[20] ^= 1
        #expect(seal.open(altered, jobId: 41) == nil, "a changed byte")
        #expect(seal.open(Array(sealed.prefix(20)), jobId: 41) == nil, "cut short")
    }

    @Test("a key is 32 bytes of base64; anything else is refused naming what is expected")
    func keyFormat() throws {
        #expect(throws: WorkerError.self) { try TokenSeal(key: [1, 2, 3]) }
        #expect(throws: WorkerError.self) { try TokenSeal(base64: "not base64!") }
        #expect(throws: WorkerError.self) { try TokenSeal(base64: Data(repeating: 1, count: 16).base64EncodedString()) }
        _ = try TokenSeal(base64: " \(Data(repeating: 1, count: 32).base64EncodedString())\n")
    }
}
