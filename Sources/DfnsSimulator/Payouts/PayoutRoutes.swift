import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let payout = Self("payout")
}

/// The payouts routes (dfns-sdk 1.0.4 `generated/payouts/client.py`; Dfns's guide "Process payouts via API" and API
/// reference pages "Get Payout Status", "Create Payout Action" and the `payout.action.required` webhook, which give the
/// entity: `{id: pyt-…, walletId, fiatCurrency, asset, status, requester, dateCreated, provider, data: {…,
/// executionStatus, depositAddress, transferId, transactionHash, dateConfirmed, dateDepositConfirmed,
/// datePayoutConfirmed}, externalId, dateFinalized}`; dfns-sdk-go `payouts.RequestPayoutQuoteResponse` for the quote).
///
/// - A quote (`POST /payouts/quote`, unsigned) is informational: `{provider, asset (with network and metadata),
///   timestamp, quotes: [{offer: {fiatCurrency, amount, fees}}]}`, the amount net of a 1.45 % fee (the guide's
///   example: 1000 USDC → 985.50 after 14.50). The asset is a USDC-like stablecoin of 6 decimals (assumption).
/// - A payout is created `Processing` with `data.executionStatus` `Initializing` (the answer). Dfns then obtains a
///   deposit address from the provider; the simulator does so at once, deterministically, so every later read shows
///   `AwaitingPayoutConfirmation` with `data.depositAddress` (the `payout.action.required` moment; no webhook is sent).
/// - `POST /payouts/{id}/action` with `{action: "Confirm", walletId, transfer}` — the only action the reference lists —
///   must echo the payout (same wallet; transfer kind, amount, contract, and `to` the deposit address; 400 naming the
///   field otherwise) and is accepted only while `AwaitingPayoutConfirmation`. The simulator then settles at once:
///   `status` `Completed` (final), `executionStatus` `Completed` (assumption: the reference leaves the enum open), the
///   dates, a `transferId` and `transactionHash` (no wallet transfer is made: the simulated wallets hold no tokens).
///   The answer is `{}` (the SDKs' empty `CreatePayoutActionResponse`).
/// - Borderless payouts require `borderlessAccountId`, `paymentInstructionsId` and a `paymentPurpose` from the guide's
///   list; CircleMint ones take no provider fields (assumption: the sources document only Borderless's).
/// - `externalId` is idempotent as the guide says ("the existing payout is returned"); a different body with the same
///   `externalId` is a 409, as transfers.
/// - Lists filter by `walletId`, `status` and `provider` (comma-separated; the Python SDK sends a list as its text).
extension DfnsSimulator {
    static let payoutProviders = ["Borderless", "CircleMint"]
    static let payoutPurposes: Set<String> = [
        "salary payment", "personal remittance", "rent payment", "property purchase", "owned account abroad", "advertising expenses", "advisory fees",
        "business insurance", "construction", "delivery fees", "education", "exports", "donation", "hotel", "loan payment", "maintenance expenses",
        "medical expense", "office expenses", "royalty fees", "service charge", "shares investment", "tax payment", "transportation fees", "travel",
        "utility bills", "other",
    ]

    func addPayoutRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/payouts/quote") { [walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let order = try Self.payoutOrder(object, walletStore: walletStore, principal: principal)
            let (net, fees) = Self.payoutQuote(order.asset)
            return APIResponse(
                json: [
                    "provider": order.provider, "asset": order.asset, "timestamp": SimulatedTransfer.format(Date()),
                    "quotes": [["offer": ["fiatCurrency": order.fiatCurrency, "amount": net, "fees": fees]]],
                ] as [String: Any])
        }
        api.post("/payouts") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let order = try Self.payoutOrder(object, walletStore: walletStore, principal: principal)
            var data: [String: Any] = ["executionStatus": "Initializing"]
            if order.provider == "Borderless" {
                for field in ["borderlessAccountId", "paymentInstructionsId"] {
                    guard let value = object[field] as? String, !value.isEmpty else {
                        throw APIError.badRequest("\(field) is required for a Borderless payout and must be a string")
                    }
                    data[field] = value
                }
                guard let purpose = object["paymentPurpose"] as? String, Self.payoutPurposes.contains(purpose) else {
                    throw APIError.badRequest("paymentPurpose must be one of: \(Self.payoutPurposes.sorted().joined(separator: ", "))")
                }
                data["paymentPurpose"] = purpose
            }
            data["country"] = order.country
            let externalId = try Self.optionalString(object, "externalId")
            let request = SimulatorJSON.serialize(object, sorted: true)
            if let externalId, let existing = documents.find(.payout, orgId: principal.orgId, parent: nil, externalId: externalId) {
                guard existing.request == request else {
                    throw APIError(
                        409, "Conflicting payout with same externalId", details: ["duplicate": ["id": existing.id, "externalId": externalId]])
                }
                return APIResponse(json: existing.json)
            }
            let id = documents.newId("pyt-")
            var payout: [String: Any] = [
                "id": id, "walletId": order.walletId, "fiatCurrency": order.fiatCurrency, "asset": order.asset, "status": "Processing",
                "requester": ["userId": principal.userId, "tokenId": principal.tokenId], "dateCreated": SimulatedTransfer.format(Date()),
                "provider": order.provider, "data": data,
            ]
            payout["externalId"] = externalId
            let answer = payout
            // The provider's deposit address, obtained at once: the stored payout awaits the requester's confirmation.
            data["executionStatus"] = "AwaitingPayoutConfirmation"
            data["depositAddress"] = Self.paymentsAddress(of: id)
            payout["data"] = data
            documents.insert(.payout, id: id, orgId: principal.orgId, json: payout, externalId: externalId, request: request)
            return APIResponse(json: answer)
        }
        api.get("/payouts") { [documents] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let payouts = documents.all(.payout, orgId: principal.orgId).map(\.json).filter {
                Self.paymentsFilter($0["walletId"], query["walletId"]) && Self.paymentsFilter($0["status"], query["status"])
                    && Self.paymentsFilter($0["provider"], query["provider"])
            }
            return APIResponse(json: try Self.paged(payouts, request))
        }
        addGetRoute(api, "/payouts/:payoutId", .payout, parameter: "payoutId", what: "payout")
        api.post("/payouts/:payoutId/action") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard object["action"] as? String == "Confirm" else { throw APIError.badRequest("action must be Confirm") }
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            guard let transfer = object["transfer"] as? [String: Any] else { throw APIError.badRequest("transfer is required and must be an object") }
            _ = try documents.update(.payout, Self.parameter(context, "payoutId"), orgId: principal.orgId, what: "payout") {
                payout throws(APIError) in
                var data = payout["data"] as? [String: Any] ?? [:]
                guard data["executionStatus"] as? String == "AwaitingPayoutConfirmation" else {
                    throw APIError.badRequest(
                        "payout \(payout["id"] ?? "") is \(data["executionStatus"] ?? "?"): only a payout awaiting confirmation can be confirmed")
                }
                guard walletId == payout["walletId"] as? String else { throw APIError.badRequest("walletId must be the payout's wallet") }
                let asset = payout["asset"] as? [String: Any] ?? [:]
                for field in ["kind", "amount", "contract"] where transfer[field] as? String != asset[field] as? String {
                    throw APIError.badRequest("transfer.\(field) must be the payout asset's \(field)")
                }
                guard transfer["to"] as? String == data["depositAddress"] as? String else {
                    throw APIError.badRequest("transfer.to must be the payout's depositAddress")
                }
                let now = SimulatedTransfer.format(Date())
                data["executionStatus"] = "Completed"
                data["dateConfirmed"] = now
                data["transferId"] = documents.newId("xfr-")
                let id = payout["id"] as? String ?? ""
                data["transactionHash"] =
                    "0x" + (Self.paymentsAddress(of: id + "#tx").dropFirst(2) + Self.paymentsAddress(of: id).dropFirst(2)).prefix(64)
                data["dateDepositConfirmed"] = now
                data["datePayoutConfirmed"] = now
                payout["data"] = data
                payout["status"] = "Completed"
                payout["dateFinalized"] = now
            }
            return APIResponse(json: [String: Any]())
        }
    }

    /// The fields a quote and a payout share, checked: a wallet of the caller, the asset, the provider, the currency.
    private static func payoutOrder(_ object: [String: Any], walletStore: WalletStore, principal: Principal) throws(APIError) -> (
        walletId: String, asset: [String: Any], provider: String, fiatCurrency: String, country: String?
    ) {
        guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
        guard let provider = object["provider"] as? String, payoutProviders.contains(provider) else {
            throw APIError.badRequest("provider must be one of \(payoutProviders.joined(separator: ", "))")
        }
        guard let fiatCurrency = object["fiatCurrency"] as? String, !fiatCurrency.isEmpty else {
            throw APIError.badRequest("fiatCurrency is required and must be a string")
        }
        guard var asset = object["asset"] as? [String: Any] else { throw APIError.badRequest("asset is required and must be an object") }
        guard let kind = asset["kind"] as? String, ["Erc20", "Spl", "Spl2022", "Trc20"].contains(kind) else {
            throw APIError.badRequest("asset.kind must be a stablecoin token kind (Erc20, Spl, Spl2022, Trc20)")
        }
        guard let amount = asset["amount"] as? String, !amount.isEmpty, amount.allSatisfy(\.isASCIIDigit),
            amount != String(repeating: "0", count: amount.count)
        else { throw APIError.badRequest("asset.amount must be a positive integer string in the token's minimum unit") }
        guard asset["contract"] is String || asset["mint"] is String else {
            throw APIError.badRequest("asset.contract is required and must be a string")
        }
        let country = try optionalString(object, "country")
        let wallet = try walletStore.wallet(walletId, principal: principal)
        asset["network"] = wallet.network
        asset["metadata"] = ["symbol": "USDC", "name": "USD Coin", "decimals": 6, "verified": true] as [String: Any]
        return (walletId, asset, provider, fiatCurrency, country)
    }

    /// The net fiat amount and the fees (1.45 %) of a 6-decimals stablecoin amount, in fiat units rounded to cents.
    private static func payoutQuote(_ asset: [String: Any]) -> (net: Double, fees: Double) {
        let units = Double(asset["amount"] as? String ?? "0") ?? 0
        let gross = (units / 10_000).rounded() / 100
        let fees = (gross * 1.45).rounded() / 100
        return (((gross - fees) * 100).rounded() / 100, fees)
    }

    /// A stable EVM-shaped address derived from an entity id (deposit addresses the simulated providers hand out).
    static func paymentsAddress(of id: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var digits = ""
        while digits.count < 40 {
            for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            digits += String(hash, radix: 16).leftPadded(to: 16)
        }
        return "0x" + digits.prefix(40)
    }

    /// Whether a list filter (comma-separated, possibly a Python list's text) admits `value`; no filter admits all.
    static func paymentsFilter(_ value: Any?, _ filter: String?) -> Bool {
        guard let filter, !filter.isEmpty else { return true }
        let allowed = filter.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "[]'\" ")) }
        return allowed.contains(value as? String ?? "")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String { String(repeating: "0", count: max(0, length - count)) + self }
}
