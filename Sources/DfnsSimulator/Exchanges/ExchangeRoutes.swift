import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let exchange = Self("exchange")
    static let exchangeTransaction = Self("exchangeTransaction")
}

/// The exchanges routes (dfns-sdk 1.0.4 `generated/exchanges/client.py` and `types.py`; dfns-api-docs
/// `integrations/exchanges/api-reference/*.md`, whose examples give every shape below but the withdrawal networks).
///
/// - An exchange is `{id: ex-…, name, kind, dateCreated}` (`GetExchangeResponse`); creation needs `kind` (`Binance`,
///   `Kraken`, `CoinbaseApp`, `CoinbasePrime`) and `readConfiguration` / `writeConfiguration` objects whose
///   `publicApiKey` and `privateApiKey` are strings (the docs' example); the keys are never answered. Deleting answers
///   `{deleted: true}` and the exchange is gone (404 afterwards).
/// - Accounts: `{id, name, exchangeId, exchangeName}` (docs), `spot` and `funding` for every exchange (assumption: the
///   simulator's exchange has those two). Assets of an account: `{symbol, balance, networks: [{network, decimals,
///   kind, contract|mint}]}` (docs example: TRX and USDC on the `spot` account; `funding` holds USDC only).
/// - Withdrawal networks of an asset (`list[dict]` in the SDK, no documented shape): the asset's `networks` entries
///   (assumption); an asset the account does not hold is a 404.
/// - A deposit (`{walletId, kind, amount, contract…}` as a wallet transfer) is made by a real transfer from the wallet
///   to the exchange's deposit address, which follows the transfers' lifecycle (`transferId`); the answer is the docs'
///   `{id: extx-…, exchangeId, accountId, transferId, kind: "Deposit", walletId, requester, requestBody, dateCreated}`.
/// - A withdrawal (`{walletId, kind, amount, contract…, otp?}`) is sent by the exchange to the wallet's address: the
///   answer carries an `exchangeReference` and no `transferId` (`CreateWithdrawalResponse.transfer_id` is optional);
///   the exchange's asset must list the wallet's network and the amount must not exceed the balance (400 otherwise).
///   Dfns documents no idempotency for exchange transactions.
extension DfnsSimulator {
    static let exchangeKinds = ["Binance", "Kraken", "CoinbaseApp", "CoinbasePrime"]

    /// The simulated holdings of an account: symbol, balance (decimal text) and networks.
    static func exchangeAssets(_ accountId: String) -> [[String: Any]] {
        let usdc: [String: Any] = [
            "symbol": "USDC", "balance": "6.47050000",
            "networks": [
                ["network": "Ethereum", "contract": "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "decimals": 6, "kind": "Erc20"],
                ["network": "EthereumSepolia", "contract": "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238", "decimals": 6, "kind": "Erc20"],
                ["network": "Polygon", "contract": "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", "decimals": 6, "kind": "Erc20"],
                ["network": "Solana", "mint": "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v", "decimals": 6, "kind": "Spl"],
            ],
        ]
        let trx: [String: Any] = ["symbol": "TRX", "balance": "6.02050200", "networks": [["network": "Tron", "decimals": 6, "kind": "Native"]]]
        return accountId == "spot" ? [trx, usdc] : [usdc]
    }

    func addExchangeRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/exchanges") { [documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let kind = object["kind"] as? String, Self.exchangeKinds.contains(kind) else {
                throw APIError.badRequest("kind must be one of \(Self.exchangeKinds.joined(separator: ", "))")
            }
            for field in ["readConfiguration", "writeConfiguration"] {
                guard let configuration = object[field] as? [String: Any] else {
                    throw APIError.badRequest("\(field) is required and must be an object")
                }
                for key in ["publicApiKey", "privateApiKey"] where !(configuration[key] is String) {
                    throw APIError.badRequest("\(field).\(key) is required and must be a string")
                }
            }
            let id = documents.newId("ex-")
            var exchange: [String: Any] = ["id": id, "kind": kind, "dateCreated": SimulatedTransfer.format(Date())]
            exchange["name"] = try Self.optionalString(object, "name")
            return APIResponse(json: documents.insert(.exchange, id: id, orgId: principal.orgId, json: exchange).json)
        }
        addListRoute(api, "/exchanges", .exchange)
        addGetRoute(api, "/exchanges/:exchangeId", .exchange, parameter: "exchangeId", what: "exchange")
        api.delete("/exchanges/:exchangeId") { [documents] _, context in
            let exchange = try documents.get(.exchange, Self.parameter(context, "exchangeId"), orgId: context.caller().orgId, what: "exchange")
            documents.remove(.exchange, exchange.id)
            return APIResponse(json: ["deleted": true])
        }
        api.get("/exchanges/:exchangeId/accounts") { [documents] request, context in
            let exchange = try documents.get(.exchange, Self.parameter(context, "exchangeId"), orgId: context.caller().orgId, what: "exchange").json
            let accounts = ["spot", "funding"].map { id -> [String: Any] in
                ["id": id, "name": id, "exchangeId": exchange["id"] ?? "", "exchangeName": exchange["name"] ?? exchange["kind"] ?? ""]
            }
            return APIResponse(json: try Self.paged(accounts, request))
        }
        api.get("/exchanges/:exchangeId/accounts/:accountId/assets") { [documents] request, context in
            let accountId = try Self.exchangeAccount(documents, context)
            return APIResponse(json: try Self.paged(Self.exchangeAssets(accountId), request))
        }
        api.get("/exchanges/:exchangeId/accounts/:accountId/assets/:asset/withdrawal-networks") { [documents] _, context in
            let accountId = try Self.exchangeAccount(documents, context)
            let symbol = try Self.parameter(context, "asset")
            guard let asset = Self.exchangeAssets(accountId).first(where: { $0["symbol"] as? String == symbol }) else {
                throw APIError(404, "asset not found", details: ["asset": symbol, "accountId": accountId])
            }
            return APIResponse(json: asset["networks"] ?? [])
        }
        api.post("/exchanges/:exchangeId/accounts/:accountId/deposits") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let accountId = try Self.exchangeAccount(documents, context)
            let exchangeId = try Self.parameter(context, "exchangeId")
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            var transfer = object
            transfer["walletId"] = nil
            transfer["to"] = Self.paymentsAddress(of: exchangeId + "/" + accountId)
            if let problem = TransferValidation.problem(in: transfer) { throw APIError.badRequest(problem) }
            let creation = try walletStore.createTransfer(
                principal: principal, walletId: walletId, body: SimulatorJSON.serialize(transfer, sorted: true),
                externalId: object["externalId"] as? String, destination: transfer["to"] as? String)
            let transferId: String
            switch creation {
            case .created(let created), .replayed(let created): transferId = created.id
            }
            return APIResponse(
                json: Self.exchangeTransaction(
                    documents, principal, kind: "Deposit", exchangeId: exchangeId, accountId: accountId, walletId: walletId, body: object,
                    transferId: transferId))
        }
        api.post("/exchanges/:exchangeId/accounts/:accountId/withdrawals") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let accountId = try Self.exchangeAccount(documents, context)
            let exchangeId = try Self.parameter(context, "exchangeId")
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            guard let kind = object["kind"] as? String else { throw APIError.badRequest("kind is required and must be a string") }
            guard let amount = object["amount"] as? String, let units = Int(amount), units > 0 else {
                throw APIError.badRequest("amount must be a positive integer string in the token's minimum unit")
            }
            let token = object["contract"] as? String ?? object["mint"] as? String
            let holding = Self.exchangeAssets(accountId).first { asset in
                (asset["networks"] as? [[String: Any]] ?? []).contains {
                    $0["network"] as? String == wallet.network && $0["kind"] as? String == kind
                        && ($0["contract"] ?? $0["mint"]) as? String == token
                }
            }
            guard let holding else {
                throw APIError.badRequest(
                    "the \(accountId) account holds no \(kind) asset on \(wallet.network)\(token.map { " with contract \($0)" } ?? "")")
            }
            let balance = Decimal(string: holding["balance"] as? String ?? "0") ?? 0
            guard Decimal(units) / 1_000_000 <= balance else {
                throw APIError.badRequest("amount exceeds the \(holding["symbol"] ?? "") balance of the \(accountId) account")
            }
            return APIResponse(
                json: Self.exchangeTransaction(
                    documents, principal, kind: "Withdrawal", exchangeId: exchangeId, accountId: accountId, walletId: walletId, body: object,
                    transferId: nil))
        }
    }

    /// The account of the path, checked: the exchange must be the caller's and the account one it has.
    private static func exchangeAccount(_ documents: DocumentStore, _ context: SimulatorRequestContext) throws(APIError) -> String {
        _ = try documents.get(.exchange, parameter(context, "exchangeId"), orgId: context.caller().orgId, what: "exchange")
        let accountId = try parameter(context, "accountId")
        guard ["spot", "funding"].contains(accountId) else { throw APIError(404, "exchange account not found", details: ["accountId": accountId]) }
        return accountId
    }

    /// Records a deposit or withdrawal and answers it.
    private static func exchangeTransaction(
        _ documents: DocumentStore, _ principal: Principal, kind: String, exchangeId: String, accountId: String, walletId: String,
        body: [String: Any], transferId: String?
    ) -> [String: Any] {
        let id = documents.newId("extx-")
        var json: [String: Any] = [
            "id": id, "exchangeId": exchangeId, "accountId": accountId, "kind": kind, "walletId": walletId,
            "requester": ["userId": principal.userId, "tokenId": principal.tokenId], "requestBody": body,
            "dateCreated": SimulatedTransfer.format(Date()),
        ]
        json["transferId"] = transferId
        if transferId == nil { json["exchangeReference"] = "sim-" + id.dropFirst(5) }
        return documents.insert(.exchangeTransaction, id: id, orgId: principal.orgId, parent: exchangeId, json: json).json
    }
}
