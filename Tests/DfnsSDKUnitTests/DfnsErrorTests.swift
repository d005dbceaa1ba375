import DfnsSDK
import Foundation
import Testing

@Suite("Typed errors")
struct DfnsErrorTests {
    @Test(
        "each status class maps to its code and retryability",
        arguments: [
            (400, DfnsError.Code.validation, false), (401, .unauthorized, false),
            (402, .forbidden, false), (403, .forbidden, false), (404, .notFound, false), (409, .conflict, false),
            (422, .validation, false), (429, .rateLimited, true), (500, .server, true), (502, .server, true),
            (503, .server, true), (504, .server, true),
        ]
    )
    func statusClasses(status: Int, code: DfnsError.Code, retryable: Bool) {
        let error = DfnsError(httpStatus: status, body: Array("{}".utf8), retryAfterHeader: nil)
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
        #expect(error.httpStatus == status)
    }

    @Test("the Dfns envelope is parsed, raw body kept")
    func envelope() {
        let body =
            #"{"error":{"id":"2038837570328299032","status":409,"message":"Conflicting transfer with same externalId","details":{"duplicate":{"id":"xfr-1","externalId":"e-1"}}}}"#
        let error = DfnsError(httpStatus: 409, body: Array(body.utf8), retryAfterHeader: nil)
        #expect(error.code == .conflict)
        #expect(error.message == "Conflicting transfer with same externalId")
        #expect(error.dfnsErrorId == "2038837570328299032")
        #expect(error.duplicateId == "xfr-1")
        #expect(error.rawBody == body)
        #expect(error.description.contains("conflict") && error.description.contains("409"))
    }

    /// dfns-sdk 1.0.4 `_handle_response`: `error_code=error.get("code")`, the envelope's or the top-level object's.
    @Test("Dfns's own error code is kept as the Python SDK keeps it, and only a string is one")
    func dfnsCode() {
        func code(_ body: String) -> String? { DfnsError(httpStatus: 400, body: Array(body.utf8), retryAfterHeader: nil).dfnsCode }
        #expect(code(#"{"error":{"message":"bad network","code":"InvalidNetwork","id":"1"}}"#) == "InvalidNetwork")
        #expect(code(#"{"message":"legacy","code":"Legacy"}"#) == "Legacy")
        #expect(code(#"{"error":{"message":"no code"},"code":"outside the envelope"}"#) == nil)
        #expect(code(#"{"error":{"message":"numeric","code":42}}"#) == nil)
        #expect(code("not json") == nil)
        let described = DfnsError(httpStatus: 400, body: Array(#"{"error":{"message":"m","code":"C1"}}"#.utf8), retryAfterHeader: nil)
        #expect(described.description.contains("(C1)"))
    }

    @Test("legacy and non-JSON bodies still give a message")
    func fallbacks() {
        #expect(DfnsError(httpStatus: 401, body: Array(#"{"message":"Not Authorized."}"#.utf8), retryAfterHeader: nil).message == "Not Authorized.")
        #expect(DfnsError(httpStatus: 502, body: Array("Bad Gateway\n".utf8), retryAfterHeader: nil).message == "Bad Gateway")
        #expect(DfnsError(httpStatus: 503, body: [], retryAfterHeader: nil).message == "HTTP 503")
    }

    @Test("Retry-After as seconds, fractions and HTTP dates")
    func retryAfter() {
        #expect(DfnsError.parseRetryAfter("7") == .seconds(7))
        #expect(DfnsError.parseRetryAfter(" 0.25 ") == .milliseconds(250))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(DfnsError.parseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now: now) == .seconds(30))
        #expect(DfnsError.parseRetryAfter("Tue, 14 Nov 2023 22:13:00 GMT", now: now) == .zero)
        #expect(DfnsError.parseRetryAfter("soon") == nil)
        #expect(DfnsError.parseRetryAfter("-3") == nil)
    }

    @Test(
        "an absurd Retry-After is clamped to the longest wait (a minute) instead of trapping",
        arguments: ["1e300", "99999999999999999999", "86400000"])
    func absurdRetryAfter(value: String) {
        #expect(DfnsError.parseRetryAfter(value) == RateLimitPolicy.longestWait)
        #expect(DfnsError.parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT") == RateLimitPolicy.longestWait)
        #expect(DfnsError.parseRetryAfter("inf") == nil && DfnsError.parseRetryAfter("nan") == nil)
        let error = DfnsError(httpStatus: 429, body: [], retryAfterHeader: "2")
        #expect(error.retryAfter == .seconds(2))
    }
}
