import DfnsSDK
import Testing

extension APICoverageTests {
    @Test("fee_sponsors: every method of the official fee_sponsors client")
    func feeSponsors() async throws {
        try await withClient { _, client, recorder in
            let sponsorWallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "sponsor")))
            let sponsored = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "EthereumSepolia", name: "sponsored")))
            let sponsor = try await client.send(DfnsFeeSponsors.createFeeSponsor(walletId: sponsorWallet.id, name: "cov", allowEndUser: true))
            let sponsorId = try #require(sponsor["id"]?.stringValue)
            #expect(sponsor["status"] == "Active" && sponsor["network"] == "EthereumSepolia" && sponsor["allowEndUser"] == true)
            #expect(try await client.send(DfnsFeeSponsors.getFeeSponsor(feeSponsorId: sponsorId)) == sponsor)
            #expect(try await client.send(DfnsFeeSponsors.listFeeSponsors(limit: 10)).items == [sponsor])

            // A transfer naming the sponsor is sponsored: the fee is listed under it.
            let transfer = try await client.send(
                DfnsWallets.transferAsset(
                    walletId: sponsored.id,
                    .raw([
                        "kind": "Native", "to": .string(Self.evmAddress), "amount": "5", "feeSponsorId": .string(sponsorId), "externalId": "cov-fs",
                    ])))
            let fees = try await client.send(DfnsFeeSponsors.listSponsoredFees(feeSponsorId: sponsorId)).items
            #expect(fees.map { [$0["requestId"], $0["sponsoreeId"]] } == [[.string(transfer.id), .string(sponsored.id)]])

            // Deactivated, it sponsors nothing; active again, and archived for good.
            #expect(try await client.send(DfnsFeeSponsors.deactivateFeeSponsor(feeSponsorId: sponsorId))["status"] == "Deactivated")
            let refused = await #expect(throws: DfnsError.self) {
                try await client.send(
                    DfnsWallets.transferAsset(
                        walletId: sponsored.id,
                        .raw(["kind": "Native", "to": .string(Self.evmAddress), "amount": "6", "feeSponsorId": .string(sponsorId)])))
            }
            #expect(refused?.httpStatus == 400)
            #expect(try await client.send(DfnsFeeSponsors.activateFeeSponsor(feeSponsorId: sponsorId))["status"] == "Active")
            #expect(try await client.send(DfnsFeeSponsors.deleteFeeSponsor(feeSponsorId: sponsorId))["status"] == "Archived")
            let archived = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsFeeSponsors.activateFeeSponsor(feeSponsorId: sponsorId))
            }
            #expect(archived?.httpStatus == 400)
            #expect(recorder.missing(in: "fee_sponsors") == [])
        }
    }
}
