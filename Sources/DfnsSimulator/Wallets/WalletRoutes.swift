import Foundation
import Hummingbird

/// The wallet routes beyond create/get/list and transfers: updates and tags, activation, import, bulk creation,
/// assets, NFTs, history, transfer actions, transactions, offers and the Canton ledger proxy — as dfns-sdk 1.0.4's
/// wallets client calls them (`generated/wallets/client.py`).
extension DfnsSimulator {
    func addWalletRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.put("/wallets/:walletId") { [walletStore] _, context in
            let object = try Self.object(context.requestBody)
            let name = try Self.optionalString(object, "name")
            let externalId = try Self.optionalString(object, "externalId")
            guard name != nil || externalId != nil else { throw APIError.badRequest("name or externalId is required") }
            return APIResponse(
                json: try walletStore.updateWallet(Self.parameter(context, "walletId"), principal: context.caller()) { wallet in
                    if let name { wallet.name = name }
                    if let externalId { wallet.externalId = externalId }
                })
        }
        for method in [HTTPRequest.Method.put, .delete] {
            api.on("/wallets/:walletId/tags", method: method) { [walletStore] _, context in
                guard let tags = try Self.object(context.requestBody)["tags"] as? [String], !tags.isEmpty,
                    tags.allSatisfy({ !$0.isEmpty && $0.count <= 64 })
                else {
                    throw APIError.badRequest("tags must be a non-empty array of tags (1 to 64 characters each)")
                }
                _ = try walletStore.updateWallet(Self.parameter(context, "walletId"), principal: context.caller()) { wallet in
                    wallet.tags = method == .put ? wallet.tags + tags.filter { !wallet.tags.contains($0) } : wallet.tags.filter { !tags.contains($0) }
                }
                return APIResponse(json: [String: String]())
            }
        }
        api.post("/wallets/:walletId/activate") { [walletStore] _, context in
            let principal = try context.caller()
            let walletId = try Self.parameter(context, "walletId")
            let wallet = try walletStore.wallet(walletId, principal: principal)
            guard wallet.network.hasPrefix("Canton") else {
                throw APIError.badRequest("wallet \(walletId) is on \(wallet.network), which needs no activation")
            }
            var body = try Self.object(context.requestBody)
            body["kind"] = "Activate"
            return try Self.created(
                walletStore.createTransfer(
                    .transaction, principal: principal, walletId: walletId, body: SimulatorJSON.serialize(body, sorted: true), externalId: nil,
                    destination: nil
                ), step: step)
        }
        api.post("/wallets/import") { [walletStore] _, context in
            let object = try Self.object(context.requestBody)
            try Self.checkKeyShares(object)
            guard let network = object["network"] as? String else { throw APIError.badRequest("network is required and must be a string") }
            return APIResponse(
                json: try walletStore.createWallet(
                    principal: context.caller(), network: network, name: try Self.optionalString(object, "name"),
                    externalId: try Self.optionalString(object, "externalId"), tags: []
                ))
        }
        addBulkCreation(to: api)
        addWalletReads(to: api)
        addTransactions(to: api)
        addOffers(to: api)
        api.post("/wallets/:walletId/canton/ledger-api") { [walletStore] _, context in
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: context.caller())
            guard wallet.network.hasPrefix("Canton") else { throw APIError.badRequest("wallet \(wallet.id) is not a Canton wallet") }
            let object = try Self.object(context.requestBody)
            guard let method = object["requestMethod"] as? String, ["GET", "POST"].contains(method) else {
                throw APIError.badRequest("requestMethod must be GET or POST")
            }
            // The proxy forwards only a curated allow-list of read-style resources (dfns-sdk 1.0.4 docstring).
            let allowed = ["/v2/version", "/v2/state/ledger-end", "/v2/state/active-contracts", "/v2/updates/flats"]
            guard let resource = object["resource"] as? String, allowed.contains(resource) else {
                throw APIError(403, "resource is not in the allow-list of the ledger proxy (\(allowed.joined(separator: ", ")))")
            }
            return APIResponse(json: ["status": 200, "body": ["resource": resource, "party": wallet.address ?? ""]] as [String: Any])
        }
    }

    private func addBulkCreation(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/wallets/bulk-create") { [walletStore, documents] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let network = object["network"] as? String, NetworkCatalog.network(named: network) != nil else {
                throw APIError.badRequest("network is required and must be a supported network")
            }
            guard let count = SimulatorJSON.integer(object["count"]), (1...10_000).contains(count) else {
                throw APIError.badRequest("count must be an integer from 1 to 10000")
            }
            guard let name = object["name"] as? String, !name.isEmpty else { throw APIError.badRequest("name is required") }
            let tags = object["tags"] as? [String] ?? []
            let keystoreId = try Self.optionalString(object, "keystoreId") ?? "ks-sim"
            // Made at once; Dfns works in the background and reports progress on the job.
            let id = documents.newId("bwj-")
            for index in 1...count {
                let wallet = try walletStore.createWallet(
                    principal: principal, network: network, name: "\(name)-\(index)", externalId: nil, tags: tags)
                documents.insert(.bulkJob, id: "\(id)/\(wallet.id)", orgId: principal.orgId, parent: id, json: ["walletId": wallet.id])
            }
            let now = SimulatedTransfer.format(Date())
            let job: [String: Any] = [
                "id": id, "orgId": principal.orgId, "status": "Completed", "network": ["name": network], "namePrefix": name, "tags": tags,
                "totalCount": count, "completedCount": count, "keystoreId": keystoreId, "dateCreated": now, "dateUpdated": now, "dateCompleted": now,
            ]
            documents.insert(.bulkJob, id: id, orgId: principal.orgId, json: job)
            return APIResponse(json: job)
        }
        api.get("/wallets/bulk-create") { [documents] request, context in
            let status = Self.formQuery(request.uri.query ?? "")["status"]
            let jobs = documents.all(.bulkJob, orgId: try context.caller().orgId) { $0.parent == nil }.map(\.json)
            return APIResponse(json: try Self.paged(jobs.filter { status == nil || $0["status"] as? String == status }, request))
        }
        addGetRoute(api, "/wallets/bulk-create/:jobId", .bulkJob, parameter: "jobId", what: "job")
        api.get("/wallets/bulk-create/:jobId/wallets") { [walletStore, documents] request, context in
            let principal = try context.caller()
            let jobId = try Self.parameter(context, "jobId")
            _ = try documents.get(.bulkJob, jobId, orgId: principal.orgId, what: "job")
            let wallets = try documents.all(.bulkJob, orgId: principal.orgId, parent: jobId).map { member throws(APIError) in
                try Self.jsonObject(walletStore.wallet(member.json["walletId"] as? String ?? "", principal: principal))
            }
            return APIResponse(json: try Self.paged(wallets, request))
        }
    }

    private func addWalletReads(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.get("/wallets/:walletId/assets") { [walletStore] request, context in
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: context.caller())
            let network = NetworkCatalog.network(named: wallet.network)
            var json: [String: Any] = [
                "walletId": wallet.id, "network": wallet.network,
                "assets": [
                    [
                        "kind": "Native", "symbol": network?.symbol ?? "", "decimals": network?.decimals ?? 0, "verified": true,
                        "balance": "1000000000000000000000",
                    ]
                ],
            ]
            if Self.formQuery(request.uri.query ?? "")["netWorth"] == "true" { json["netWorth"] = ["USD": 0] }
            return APIResponse(json: json)
        }
        api.get("/wallets/:walletId/nfts") { [walletStore] _, context in
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: context.caller())
            return APIResponse(json: ["walletId": wallet.id, "network": wallet.network, "nfts": [Any]()] as [String: Any])
        }
        api.get("/wallets/:walletId/history") { [walletStore] request, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            let query = Self.formQuery(request.uri.query ?? "")
            if let direction = query["direction"], !["In", "Out"].contains(direction) { throw APIError.badRequest("direction must be In or Out") }
            let events = Self.history(walletStore.allTransfers().filter { $0.walletId == wallet.id }, at: Date(), step: step)
                .filter { query["direction"] == nil || $0["direction"] as? String == query["direction"] }
            var json = try Self.paged(events, request)
            json["walletId"] = wallet.id
            json["network"] = wallet.network
            return APIResponse(json: json)
        }
        api.get("/wallets/all/history") { [walletStore] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let format = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
            func time(_ name: String) throws(APIError) -> Date {
                guard let text = query[name],
                    let date = (try? format.parse(text)) ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                else {
                    throw APIError.badRequest("\(name) is required and must be an ISO 8601 date-time")
                }
                return date
            }
            let (start, end) = (try time("startTime"), try time("endTime"))
            guard start <= end else { throw APIError.badRequest("startTime must not be after endTime") }
            let transfers = walletStore.allTransfers().filter { $0.orgId == principal.orgId && $0.dateRequested >= start && $0.dateRequested <= end }
            return APIResponse(json: try Self.paged(Self.history(transfers, at: Date(), step: step), request))
        }
    }

    /// The blockchain events of confirmed transfers, as `/history` lists them.
    private static func history(_ transfers: [SimulatedTransfer], at now: Date, step: Duration) -> [[String: Any]] {
        transfers.compactMap { transfer in
            let json = transfer.json(at: now, step: step)
            // On chain, a sped-up transfer was paid by its replacement.
            let spedUp = transfer.spedUpMined(at: now)
            guard json["status"] as? String == "Confirmed" || spedUp, let body = json["requestBody"] as? [String: Any] else { return nil }
            return [
                "walletId": transfer.walletId, "network": transfer.networkName, "kind": "NativeTransfer", "direction": "Out",
                "txHash": spedUp ? transfer.replacement?.replacementTxHash ?? transfer.txHash : transfer.txHash, "to": body["to"] ?? "",
                "value": body["amount"] ?? "0", "fee": transfer.fee,
                "timestamp": json["dateConfirmed"] ?? "", "blockNumber": 19_000_000, "index": transfer.id,
            ]
        }
    }

    private func addTransactions(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/wallets/:walletId/transactions") { [walletStore] _, context in
            let object = try Self.object(context.requestBody)
            if let problem = Self.transactionProblem(object) { throw APIError.badRequest(problem) }
            return try Self.created(
                walletStore.createTransfer(
                    .transaction, principal: context.caller(), walletId: Self.parameter(context, "walletId"),
                    body: SimulatorJSON.serialize(object, sorted: true), externalId: object["externalId"] as? String,
                    destination: object["to"] as? String
                ), step: step)
        }
        api.get("/wallets/:walletId/transactions/:transactionId") { [walletStore] _, context in
            APIResponse(
                json: try walletStore.transfer(
                    Self.parameter(context, "transactionId"), .transaction, walletId: Self.parameter(context, "walletId"), principal: context.caller()
                )
                .json(at: Date(), step: step))
        }
        api.get("/wallets/:walletId/transactions") { [walletStore] request, context in
            let (limit, cursor) = try Self.page(request)
            let page = try walletStore.listTransfers(
                .transaction, walletId: Self.parameter(context, "walletId"), principal: context.caller(), limit: limit, after: cursor)
            let now = Date()
            return APIResponse(json: Self.pageJSON(page.items.map { $0.json(at: now, step: step) }, next: page.next))
        }
        for (collection, entity, id) in [
            ("transfers", SimulatedTransfer.Entity.transfer, "transferId"), ("transactions", .transaction, "transactionId"),
        ] {
            for action in [SimulatedTransfer.Action.abort, .cancel, .speedUp] {
                // Abort is a PUT, cancel and speed-up are POSTs; all are signed without a body (anything sent is refused:
                // the user action signed the payload "").
                api.on("/wallets/:walletId/\(collection)/:\(id)/\(action.rawValue)", method: action == .abort ? .put : .post) {
                    [walletStore] _, context in
                    let now = Date()
                    return APIResponse(
                        json: try walletStore.act(
                            action, on: Self.parameter(context, id), entity, walletId: Self.parameter(context, "walletId"),
                            principal: context.caller(),
                            at: now, step: step
                        ).json(at: now, step: step))
                }
            }
        }
    }

    /// What is wrong with a transaction body, per `kind` (the kinds of dfns-sdk 1.0.4 `SignAndBroadcastTransaction…`).
    static func transactionProblem(_ object: [String: Any]) -> String? {
        if let externalId = object["externalId"], !(externalId is String) { return "externalId must be a string" }
        switch object["kind"] as? String {
        case "Transaction":
            return object["transaction"] is String ? nil : "transaction (hex or base64 serialized transaction) is required for kind Transaction"
        case "Evm", "Eip1559", "Eip2930":
            guard let to = object["to"] as? String, to.hasPrefix("0x"), to.count == 42 else { return "to must be a 0x-prefixed 20-byte address" }
            if let data = object["data"], !((data as? String)?.hasPrefix("0x") ?? false) { return "data must be 0x-prefixed hex" }
            return nil
        case "Psbt":
            return object["psbt"] is String ? nil : "psbt is required for kind Psbt"
        case "Json":
            return object["transaction"] is [String: Any] ? nil : "transaction must be an object for kind Json"
        case let kind?:
            return "kind \(kind) is not a transaction kind (Transaction, Evm, Eip1559, Eip2930, Psbt, Json)"
        case nil:
            return "kind is required"
        }
    }

    private func addOffers(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/wallets/:walletId/offers") { [walletStore, documents] request, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            return APIResponse(json: try Self.paged(documents.all(.offer, orgId: principal.orgId, parent: wallet.id).map(\.json), request))
        }
        api.get("/wallets/:walletId/offers/:offerId") { [documents] _, context in
            APIResponse(
                json: try documents.get(
                    .offer, Self.parameter(context, "offerId"), orgId: context.caller().orgId, parent: Self.parameter(context, "walletId"),
                    what: "offer"
                ).json)
        }
        for (action, status) in [("accept", "Accepted"), ("reject", "Rejected")] {
            api.put("/wallets/:walletId/offers/:offerId/\(action)") { [documents] _, context in
                let offerId = try Self.parameter(context, "offerId")
                return APIResponse(
                    json: try documents.update(
                        .offer, offerId, orgId: context.caller().orgId, parent: Self.parameter(context, "walletId"), what: "offer"
                    ) { (offer) throws(APIError) in
                        guard offer["status"] as? String == "Pending" else {
                            throw APIError.badRequest(
                                "offer \(offerId) is \(offer["status"] as? String ?? "?"): only a Pending offer can be answered")
                        }
                        offer["status"] = status
                        offer["dateSettled"] = SimulatedTransfer.format(Date())
                    })
            }
        }
    }

    // MARK: Shared by the route files

    /// A path parameter Hummingbird matched.
    static func parameter(_ context: SimulatorRequestContext, _ name: String) throws(APIError) -> String {
        guard let value = context.parameters.get(name) else { throw APIError.badRequest("\(name) is missing") }
        return value
    }

    /// An optional string member: absent is nil, another type is a 400.
    static func optionalString(_ object: [String: Any], _ name: String) throws(APIError) -> String? {
        guard let value = object[name] else { return nil }
        guard let string = value as? String else { throw APIError.badRequest("\(name) must be a string") }
        return string
    }

    /// A page of `items` (already in order) for the request's `limit` and `paginationToken`.
    static func paged(_ items: [[String: Any]], _ request: Request) throws(APIError) -> [String: Any] {
        let (limit, cursor) = try page(request)
        let slice = Array(items.dropFirst(cursor).prefix(limit))
        let next = cursor + slice.count
        return pageJSON(slice, next: items.count > next ? next : nil)
    }

    /// An `Encodable` entity as a JSONSerialization object.
    static func jsonObject(_ value: some Encodable) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(value))) as? [String: Any] ?? [:]
    }

    /// The answer to a created transfer or transaction: 202 while a policy holds it for approval, 200 otherwise.
    static func created(_ creation: WalletStore.TransferCreation, step: Duration) -> APIResponse {
        let now = Date()
        switch creation {
        case .created(let transfer) where transfer.awaitsApproval(at: now):
            return .accepted(transfer.json(at: now, step: step))
        case .created(let transfer), .replayed(let transfer):
            return APIResponse(json: transfer.json(at: now, step: step))
        }
    }

    /// The checks Dfns makes on imported key material (`curve`, `protocol`, `minSigners`, `encryptedKeyShares`).
    static func checkKeyShares(_ object: [String: Any]) throws(APIError) {
        guard let curve = object["curve"] as? String, ["ed25519", "secp256k1", "stark"].contains(curve) else {
            throw APIError.badRequest("curve must be ed25519, secp256k1 or stark")
        }
        guard let proto = object["protocol"] as? String, ["CGGMP24", "FROST", "FROST_BITCOIN", "GLOW20_DH", "KU23", "CGGMP21"].contains(proto) else {
            throw APIError.badRequest("protocol must be one of CGGMP24, FROST, FROST_BITCOIN, GLOW20_DH, KU23, CGGMP21")
        }
        guard let shares = object["encryptedKeyShares"] as? [[String: Any]], !shares.isEmpty,
            shares.allSatisfy({ $0["signerId"] is String && $0["encryptedKeyShare"] is String })
        else { throw APIError.badRequest("encryptedKeyShares must be a non-empty array of {signerId, encryptedKeyShare}") }
        guard let minSigners = object["minSigners"] as? Int, (1...shares.count).contains(minSigners) else {
            throw APIError.badRequest("minSigners must be an integer from 1 to the number of key shares")
        }
    }
}
