import DfnsSDK
import DfnsTestSupport
import Testing

extension APICoverageTests {
    @Test("staking: every method of the official staking client")
    func staking() async throws {
        try await withClient { sim, client, recorder in
            let wallet = try await client.send(DfnsWallets.createWallet(CreateWalletRequest(network: "IotaTestnet", name: "staking")))
            func confirmNewest() async throws {
                let transaction = try #require(try await client.send(DfnsWallets.listTransactions(walletId: wallet.id)).items.last)
                _ = try await sim.control(post: "transfers/\(transaction.id)/advance", ["status": "Confirmed"])
            }
            func stake(_ id: String) async throws -> JSONValue {
                try #require(try await client.send(DfnsStaking.listStakes(limit: 50)).items.first { $0["id"] == .string(id) })
            }
            func action(_ kind: JSONValue, _ amount: String) -> JSONValue {
                ["protocol": "Iota", "kind": kind, "amount": .string(amount)]
            }

            // A stake, idempotent by externalId, Staking until its Stake action's transaction is confirmed.
            let body: [String: JSONValue] = [
                "walletId": .string(wallet.id), "provider": "Figment", "protocol": "Iota", "amount": "1000000000", "externalId": "cov-stake",
            ]
            let created = try await client.send(DfnsStaking.createStake(body: .object(body)))
            let stakeId = try #require(created["id"]?.stringValue)
            #expect(stakeId.hasPrefix("stk-") && created["status"] == "Staking")
            #expect(created["actions"]?.arrayValue?.map { [$0["kind"], $0["status"]] } == [["Stake", "InProgress"]])
            #expect(try await client.send(DfnsStaking.createStake(body: .object(body)))["id"]?.stringValue == stakeId)
            var conflicting = body
            conflicting["amount"] = "2000000000"
            let conflict = await #expect(throws: DfnsError.self) { try await client.send(DfnsStaking.createStake(body: .object(conflicting))) }
            #expect(conflict?.httpStatus == 409)
            #expect(try await client.send(DfnsStaking.getStakeRewards(stakeId: stakeId)) == ["symbol": "IOTA", "balance": "0"])
            let early = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsStaking.createStakeAction(stakeId: stakeId, body: action("Deposit", "5")))
            }
            #expect(early?.httpStatus == 400)
            try await confirmNewest()
            #expect(try await stake(stakeId)["status"] == "Active")
            // getStakes takes a page token yet answers the stake itself, with its actions.
            let read = try await client.send(DfnsStaking.getStakes(stakeId: stakeId))
            #expect(read["id"] == .string(stakeId) && read["actions"]?.arrayValue?.isEmpty == false)
            #expect(try await client.send(DfnsStaking.getStakeRewards(stakeId: stakeId))["balance"] == "5000000")

            // A deposit, a partial withdrawal, one beyond the position refused, then the rest withdrawn.
            let deposit = try await client.send(DfnsStaking.createStakeAction(stakeId: stakeId, body: action("Deposit", "500000000")))
            #expect(deposit["status"] == "Active" && deposit["actions"]?.arrayValue?.last?["status"] == "InProgress")
            try await confirmNewest()
            let tooMuch = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsStaking.createStakeAction(stakeId: stakeId, body: action("Withdraw", "2000000000")))
            }
            #expect(tooMuch?.httpStatus == 400)
            #expect(
                try await client.send(DfnsStaking.createStakeAction(stakeId: stakeId, body: action("Withdraw", "300000000")))["status"] == "Active")
            try await confirmNewest()
            let withdrawing = try await client.send(DfnsStaking.createStakeAction(stakeId: stakeId, body: action("Withdraw", "1200000000")))
            #expect(withdrawing["status"] == "Withdrawing")
            try await confirmNewest()
            #expect(try await stake(stakeId)["status"] == "Withdrawn")
            let actions = try await client.send(DfnsStaking.listStakeActions(stakeId: stakeId)).items
            #expect(actions.map { $0["kind"] } == ["Stake", "Deposit", "Withdraw", "Withdraw"])
            #expect(actions.allSatisfy { $0["status"] == "Completed" && $0["transactionId"]?.stringValue?.hasPrefix("tx-") == true })

            let unknown = await #expect(throws: DfnsError.self) {
                try await client.send(DfnsStaking.listStakeActions(stakeId: "stk-00000-00000-0000000000000000"))
            }
            #expect(unknown?.httpStatus == 404)
            #expect(recorder.missing(in: "staking") == [])
        }
    }
}
