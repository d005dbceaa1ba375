import DfnsSDK
import Foundation
import Testing

/// Transfer bodies are checked as Dfns checks the fields the SDK knows; fields Dfns added since (e.g. `targetChain` on
/// `Native`) pass through unless the caller asks for strict checking.
@Suite("Transfer request bodies")
struct TransferRequestTests {
    private static let withNewField = try! JSONValue(
        parsing: Array(#"{"kind":"Native","to":"0x00000000000000000000000000000000000000aa","amount":"10","targetChain":"Base"}"#.utf8))

    @Test("an unknown field on a documented kind passes through; strict checking refuses it by name")
    func unknownFields() throws {
        try TransferRequest.validate(Self.withNewField)
        try TransferRequest.raw(Self.withNewField).validate()
        let strict = #expect(throws: DfnsError.self) { try TransferRequest.validate(Self.withNewField, strict: true) }
        #expect(strict?.code == .validation && strict?.message == "targetChain is not a field of a Native transfer")
    }

    @Test(
        "the fields the SDK knows are still checked",
        arguments: [
            (#"{"kind":"Native","to":"0xabc"}"#, "amount is required for a Native transfer"),
            (
                #"{"kind":"Native","to":"0xabc","amount":"-1","targetChain":"Base"}"#,
                "amount must be a positive integer string in the asset's minimum unit, got \"-1\""
            ),
            (#"{"kind":"Erc20","to":"0xabc","amount":"1","memo":7}"#, "contract is required for a Erc20 transfer"),
            (#"{"kind":"Native","to":"0xabc","amount":"1","priority":"Now"}"#, "priority must be Slow, Standard or Fast"),
        ])
    func knownFields(body: String, message: String) throws {
        let json = try JSONValue(parsing: Array(body.utf8))
        let error = #expect(throws: DfnsError.self) { try TransferRequest.validate(json) }
        #expect(error?.message == message)
    }
}
