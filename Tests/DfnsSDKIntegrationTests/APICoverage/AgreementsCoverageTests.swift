import DfnsSDK
import Testing

extension APICoverageTests {
    @Test("agreements: every method of the official agreements client")
    func agreements() async throws {
        try await withClient { _, client, recorder in
            let latest = try await client.send(DfnsAgreements.getLatestUnacceptedAgreement(agreementType: "PrivacyPolicy"))["latestAgreement"]
            #expect(latest?["agreementType"] == "PrivacyPolicy")
            let agreementId = try #require(latest?["id"]?.stringValue)
            let acceptance = try await client.send(DfnsAgreements.recordAgreementAcceptance(agreementId: agreementId))
            #expect(acceptance["agreementId"] == .string(agreementId) && acceptance["dateAccepted"] != nil)
            #expect(try await client.send(DfnsAgreements.getLatestUnacceptedAgreement(agreementType: "PrivacyPolicy"))["latestAgreement"] == .null)
            // Another type is still to accept; an agreement id that does not exist is Dfns's 404.
            #expect(
                try await client.send(DfnsAgreements.getLatestUnacceptedAgreement(agreementType: "TermsAndConditions"))["latestAgreement"] != .null)
            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsAgreements.recordAgreementAcceptance(agreementId: "ag-none"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "agreements") == [])
        }
    }
}
