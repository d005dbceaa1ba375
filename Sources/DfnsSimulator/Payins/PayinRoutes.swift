import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let payin = Self("payin")
    static let payinRecipient = Self("payinRecipient")
    static let payinAccountAsset = Self("payinAccountAsset")
}

/// The payins routes (dfns-sdk 1.0.4 `generated/payins/client.py` and `types.py`: `CreatePayinQuoteResponse`,
/// `GetPayinRecipientResponse`, `RegisterPayinAccountAssetResponse`, `ListPayinOptionsResponse`; dfns-sdk-go `payins`).
/// A payin delivers stablecoin from the organisation's balance at a provider (`CircleMint`, `Borderless`) to a wallet.
///
/// - Options: the assets `USDC` and `EURC`, and currencies `[{currency, asset, paymentMethods, countries}]` (the SDKs
///   type them `dict[str, Any]`: the member names are the simulator's).
/// - Accounts: one per provider, `{accountId: "acct-<provider>", name, assets: [{asset, network, walletId, address}]}`
///   (the shape of `RegisterPayinAccountAssetResponse`; members of `assets` are the simulator's). Registering a
///   wallet's address for an asset (`{provider, accountId, walletId, asset}`, signed) adds it once and answers the
///   updated account.
/// - Recipients (`GET/POST /payins/recipients`, `{provider, walletId, currency}`): `NotRegistered` until registered.
///   The docstring says a registration "needs to be approved on the provider's side (for Circle Mint: by an
///   administrator in the Mint Console)": a CircleMint registration is `PendingVerification` and turns `Active` on
///   the simulator's clock (one `transferStep` after registration); a Borderless one is `Active` at once (assumption:
///   its addresses are registered on the account, no approval documented). Registering again answers the existing one.
/// - Balances: `{items: [{currency, amount}]}`, 1,000,000.00 of USD and of EUR at each provider, less what payins
///   delivered (amount as a decimal string: assumption).
/// - Quote (`{provider, walletId, currency, amount}`, unsigned): `{provider, currency, network: {network, asset},
///   tid, timestamp, quotes: [{offer: {asset, amount, fees}}]}`, a 1:1 stablecoin (6 decimals) less a 0.10 % fee.
/// - A payin (`{provider, walletId, currency, amount, externalId?}`, signed) needs an `Active` recipient for the wallet,
///   provider and currency and enough balance (400 otherwise): `{id: pyi-…, walletId, provider, currency, amount,
///   asset, status, requester, dateCreated, data: {recipientAddressId}, externalId}`, `Processing` then `Completed`
///   (final, with `data.transactionHash` and `dateFinalized`) one `transferStep` after creation, as transfers move on
///   the simulator's clock. Statuses are those of `ListPayinsQuery.status`. Dfns documents no idempotency for
///   payins, so `externalId` is recorded, not deduplicated.
extension DfnsSimulator {
    static let payinProviders = ["CircleMint", "Borderless"]
    static let payinCurrencies = ["USD": "USDC", "EUR": "EURC"]

    func addPayinRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.get("/payins/options") { request, context in
            _ = try context.caller()
            _ = try Self.payinProvider(Self.formQuery(request.uri.query ?? "")["provider"])
            return APIResponse(
                json: [
                    "assets": ["USDC", "EURC"],
                    "currencies": [
                        ["currency": "USD", "asset": "USDC", "paymentMethods": ["Wire", "Ach"], "countries": ["US"]],
                        ["currency": "EUR", "asset": "EURC", "paymentMethods": ["Sepa"], "countries": ["FR", "DE"]],
                    ],
                ] as [String: Any])
        }
        api.get("/payins/accounts") { [documents] request, context in
            let principal = try context.caller()
            let provider = try Self.payinProvider(Self.formQuery(request.uri.query ?? "")["provider"])
            return APIResponse(json: ["items": [Self.payinAccount(provider, documents: documents, principal: principal)]])
        }
        api.post("/payins/accounts/assets") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let provider = try Self.payinProvider(object["provider"])
            guard let accountId = object["accountId"] as? String else { throw APIError.badRequest("accountId is required and must be a string") }
            guard accountId == "acct-\(provider.lowercased())" else {
                throw APIError(404, "payin account not found", details: ["accountId": accountId])
            }
            guard let asset = object["asset"] as? String, ["USDC", "EURC"].contains(asset) else {
                throw APIError.badRequest("asset must be USDC or EURC")
            }
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            let registered = documents.all(.payinAccountAsset, orgId: principal.orgId, parent: accountId) {
                $0.json["walletId"] as? String == walletId && $0.json["asset"] as? String == asset
            }
            if registered.isEmpty {
                var entry: [String: Any] = ["asset": asset, "network": wallet.network, "walletId": walletId]
                entry["address"] = wallet.address
                documents.insert(.payinAccountAsset, id: documents.newId("paa-"), orgId: principal.orgId, parent: accountId, json: entry)
            }
            return APIResponse(json: Self.payinAccount(provider, documents: documents, principal: principal))
        }
        api.get("/payins/balances") { [documents] request, context in
            let principal = try context.caller()
            let provider = try Self.payinProvider(Self.formQuery(request.uri.query ?? "")["provider"])
            let items = Self.payinCurrencies.keys.sorted().map { currency -> [String: Any] in
                ["currency": currency, "amount": Self.cents(Self.payinBalance(provider, currency, documents: documents, principal: principal))]
            }
            return APIResponse(json: ["items": items])
        }
        api.get("/payins/recipients") { [documents, walletStore] request, context in
            let principal = try context.caller()
            let target = try Self.payinTarget(Self.formQuery(request.uri.query ?? ""), walletStore: walletStore, principal: principal)
            guard let recipient = Self.payinRecipient(target, documents: documents, principal: principal) else {
                return APIResponse(
                    json: ["provider": target.provider, "walletId": target.walletId, "currency": target.currency, "status": "NotRegistered"])
            }
            return APIResponse(json: Self.recipientNow(recipient, step: step))
        }
        api.post("/payins/recipients") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let target = try Self.payinTarget(Self.object(context.requestBody), walletStore: walletStore, principal: principal)
            if let recipient = Self.payinRecipient(target, documents: documents, principal: principal) {
                return APIResponse(json: Self.recipientNow(recipient, step: step))
            }
            let id = documents.newId("pra-")
            let recipient: [String: Any] = [
                "provider": target.provider, "walletId": target.walletId, "currency": target.currency,
                "status": target.provider == "CircleMint" ? "PendingVerification" : "Active", "recipientAddressId": id,
            ]
            return APIResponse(json: documents.insert(.payinRecipient, id: id, orgId: principal.orgId, parent: target.walletId, json: recipient).json)
        }
        api.post("/payins/quote") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let target = try Self.payinTarget(object, walletStore: walletStore, principal: principal)
            let cents = try Self.payinAmount(object)
            let wallet = try walletStore.wallet(target.walletId, principal: principal)
            let fees = (cents + 999) / 1000
            return APIResponse(
                json: [
                    "provider": target.provider, "currency": target.currency,
                    "network": ["network": wallet.network, "asset": Self.payinCurrencies[target.currency] ?? ""],
                    "tid": documents.newId("tid-"), "timestamp": SimulatedTransfer.format(Date()),
                    "quotes": [
                        [
                            "offer": [
                                "asset": Self.payinCurrencies[target.currency] ?? "", "amount": String((cents - fees) * 10_000),
                                "fees": Self.cents(fees),
                            ]
                        ]
                    ],
                ] as [String: Any])
        }
        api.post("/payins") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            let target = try Self.payinTarget(object, walletStore: walletStore, principal: principal)
            let cents = try Self.payinAmount(object)
            let externalId = try Self.optionalString(object, "externalId")
            guard let recipient = Self.payinRecipient(target, documents: documents, principal: principal),
                Self.recipientNow(recipient, step: step)["status"] as? String == "Active"
            else {
                throw APIError.badRequest(
                    "wallet \(target.walletId) is not an active \(target.provider) payin recipient for \(target.currency): register it and wait for its approval"
                )
            }
            let balance = Self.payinBalance(target.provider, target.currency, documents: documents, principal: principal)
            guard cents <= balance else {
                throw APIError.badRequest("amount exceeds the \(target.provider) \(target.currency) balance (\(Self.cents(balance)))")
            }
            let wallet = try walletStore.wallet(target.walletId, principal: principal)
            let id = documents.newId("pyi-")
            var payin: [String: Any] = [
                "id": id, "walletId": target.walletId, "provider": target.provider, "currency": target.currency, "amount": Self.cents(cents),
                "asset": [
                    "symbol": Self.payinCurrencies[target.currency] ?? "", "amount": String(cents * 10_000), "decimals": 6, "network": wallet.network,
                ],
                "status": "Processing", "requester": ["userId": principal.userId, "tokenId": principal.tokenId],
                "dateCreated": SimulatedTransfer.format(Date()), "data": ["recipientAddressId": recipient.id],
            ]
            payin["externalId"] = externalId
            let stored = documents.insert(.payin, id: id, orgId: principal.orgId, json: payin)
            return APIResponse(json: Self.payinNow(stored, step: step))
        }
        api.get("/payins") { [documents] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let payins = documents.all(.payin, orgId: principal.orgId).map { Self.payinNow($0, step: step) }.filter {
                Self.paymentsFilter($0["walletId"], query["walletId"]) && Self.paymentsFilter($0["status"], query["status"])
                    && Self.paymentsFilter($0["provider"], query["provider"])
            }
            return APIResponse(json: try Self.paged(payins, request))
        }
        api.get("/payins/:payinId") { [documents] _, context in
            APIResponse(
                json: Self.payinNow(
                    try documents.get(.payin, Self.parameter(context, "payinId"), orgId: context.caller().orgId, what: "payin"), step: step))
        }
    }

    private static func payinProvider(_ value: Any?) throws(APIError) -> String {
        guard let provider = value as? String, payinProviders.contains(provider) else {
            throw APIError.badRequest("provider must be one of \(payinProviders.joined(separator: ", "))")
        }
        return provider
    }

    /// `{provider, walletId, currency}` of a recipient, quote or payin, checked; the wallet must be the caller's.
    private static func payinTarget(_ object: [String: Any], walletStore: WalletStore, principal: Principal) throws(APIError) -> (
        provider: String, walletId: String, currency: String
    ) {
        let provider = try payinProvider(object["provider"])
        guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
        guard let currency = object["currency"] as? String, payinCurrencies[currency] != nil else {
            throw APIError.badRequest("currency must be USD or EUR")
        }
        _ = try walletStore.wallet(walletId, principal: principal)
        return (provider, walletId, currency)
    }

    private static func payinTarget(_ query: [String: String], walletStore: WalletStore, principal: Principal) throws(APIError) -> (
        provider: String, walletId: String, currency: String
    ) {
        try payinTarget(query.mapValues { $0 as Any }, walletStore: walletStore, principal: principal)
    }

    /// A fiat amount `"123.45"` (at most two decimals, positive) in cents.
    private static func payinAmount(_ object: [String: Any]) throws(APIError) -> Int {
        let problem = APIError.badRequest("amount must be a positive decimal string of the currency with at most 2 decimals, e.g. \"100.00\"")
        guard let text = object["amount"] as? String else { throw problem }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.count == 1 || (1...2).contains(parts[1].count),
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), let units = Int(parts[0]), units < 1_000_000_000
        else { throw problem }
        let fraction = parts.count == 2 ? Int(parts[1].padding(toLength: 2, withPad: "0", startingAt: 0)) ?? 0 : 0
        let cents = units * 100 + fraction
        guard cents > 0 else { throw problem }
        return cents
    }

    static func cents(_ value: Int) -> String { "\(value / 100).\(String(format: "%02d", value % 100))" }

    private static func payinAccount(_ provider: String, documents: DocumentStore, principal: Principal) -> [String: Any] {
        let accountId = "acct-\(provider.lowercased())"
        return [
            "accountId": accountId, "name": "\(provider) account",
            "assets": documents.all(.payinAccountAsset, orgId: principal.orgId, parent: accountId).map(\.json),
        ]
    }

    private static func payinRecipient(
        _ target: (provider: String, walletId: String, currency: String), documents: DocumentStore, principal: Principal
    )
        -> DocumentStore.Document?
    {
        documents.all(.payinRecipient, orgId: principal.orgId, parent: target.walletId) {
            $0.json["provider"] as? String == target.provider && $0.json["currency"] as? String == target.currency
        }.first
    }

    /// A recipient as of now: a pending CircleMint registration is approved one step after it was made.
    private static func recipientNow(_ recipient: DocumentStore.Document, step: Duration) -> [String: Any] {
        var json = recipient.json
        if json["status"] as? String == "PendingVerification", Date().timeIntervalSince(recipient.createdAt) >= step.secondsValue {
            json["status"] = "Active"
        }
        return json
    }

    /// A payin as of now: `Completed` one step after its creation.
    private static func payinNow(_ payin: DocumentStore.Document, step: Duration) -> [String: Any] {
        var json = payin.json
        let done = payin.createdAt.addingTimeInterval(step.secondsValue)
        if Date() >= done {
            json["status"] = "Completed"
            json["dateFinalized"] = SimulatedTransfer.format(done)
            var data = json["data"] as? [String: Any] ?? [:]
            data["transactionHash"] =
                "0x" + (paymentsAddress(of: payin.id + "#tx").dropFirst(2) + paymentsAddress(of: payin.id).dropFirst(2)).prefix(64)
            json["data"] = data
        }
        return json
    }

    /// The provider balance in cents: 1,000,000.00 less every payin delivered from it.
    private static func payinBalance(_ provider: String, _ currency: String, documents: DocumentStore, principal: Principal) -> Int {
        let spent = documents.all(.payin, orgId: principal.orgId) {
            $0.json["provider"] as? String == provider && $0.json["currency"] as? String == currency
        }.reduce(0) { total, payin in
            let amount = (payin.json["amount"] as? String ?? "0").split(separator: ".")
            return total + (Int(amount.first ?? "0") ?? 0) * 100 + (amount.count > 1 ? Int(amount[1]) ?? 0 : 0)
        }
        return 100_000_000 - spent
    }
}
