import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let swapQuote = Self("swapQuote")
    static let swap = Self("swap")
}

/// The swaps routes (dfns-sdk 1.0.4 `generated/swaps/client.py`; the entities as dfns-sdk-go's `types.SwapQuote` and
/// `types.Swap`; bodies and ids as docs.dfns.co "Swaps", "Request Swap Quote" and "Create Swap", whose flow is quote,
/// swap, policy approval of its transactions, completion).
///
/// A quote (`swapQuote-…`, unsigned) needs an EVM wallet of the organisation, `targetWalletId` equal to `walletId`
/// when given (Dfns: "Currently this value must be the same as the walletId"), a `provider` of the SDK's list, a
/// `sourceAsset` with an amount, a different `targetAsset` and `slippageBps`; it answers the target amount at the
/// simulator's fixed rate (99.7 % of the source amount, a 0.3 % fee, whatever the tokens). A swap (`swap-…`, signed)
/// repeats the quote's `provider`, `walletId`, `slippageBps` and assets, which Dfns uses "for attesting that the swap
/// is being created with the same parameters as the quote": any difference is a 400.
///
/// The swap is executed by one wallet transaction (`tx-…`, in the wallet's transactions, sponsored when the body names
/// an active `feeSponsorId`), so the simulator's policies, approvals, clock (`transferStep`) and control plane move it,
/// and the swap's status follows it: `PendingPolicyApproval` while a policy holds it, `InProgress` until it is
/// confirmed, then `Completed`; `Failed` or `Rejected` (with `failureReason`) when it is. Assumptions where the
/// sources are silent: one transaction per swap (Dfns mentions "up to 4"), `protocolStatus` left out, a quote may back
/// more than one swap (no expiry or single use is documented), and no idempotency (the swap body has no `externalId`).
extension DfnsSimulator {
    static let swapProviders = ["UniswapX", "UniswapClassic", "CircleCctp"]

    func addSwapRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/swaps/quotes") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            if let target = object["targetWalletId"] {
                guard target as? String == walletId else { throw APIError.badRequest("targetWalletId must currently be the same as walletId") }
            }
            guard let provider = object["provider"] as? String, Self.swapProviders.contains(provider) else {
                throw APIError.badRequest("provider must be one of \(Self.swapProviders.joined(separator: ", "))")
            }
            let source = try Self.evmAsset(object["sourceAsset"], "sourceAsset", spent: true)
            var target = try Self.evmAsset(object["targetAsset"], "targetAsset", spent: false)
            guard !Self.sameAsset(source, target) else { throw APIError.badRequest("sourceAsset and targetAsset must differ") }
            let slippage = try Self.slippage(object)
            let wallet = try walletStore.wallet(walletId, principal: principal)
            guard let network = NetworkCatalog.network(named: wallet.network), case .evm = network.family else {
                throw APIError.badRequest("wallet \(walletId) is on \(wallet.network): swaps are available on EVM networks only")
            }
            target["amount"] = Self.scaledAmount(source["amount"] as? String ?? "0", 997, 1000)
            let id = documents.newId("swapQuote-")
            let quote: [String: Any] = [
                "id": id, "walletId": walletId, "targetWalletId": walletId, "provider": provider,
                "sourceAsset": Self.assetWithMetadata(source, networkName: wallet.network),
                "targetAsset": Self.assetWithMetadata(target, networkName: wallet.network), "slippageBps": slippage,
                "fee": Self.scaledAmount(source["amount"] as? String ?? "0", 3, 1000), "dateCreated": SimulatedTransfer.format(Date()),
                "requestBody": object, "requester": ["userId": principal.userId, "tokenId": principal.tokenId],
            ]
            documents.insert(.swapQuote, id: id, orgId: principal.orgId, json: quote)
            return APIResponse(json: quote)
        }
        addGetRoute(api, "/swaps/quotes/:quoteId", .swapQuote, parameter: "quoteId", what: "quote")
        api.post("/swaps") { [documents, walletStore, configuration] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let quoteId = object["quoteId"] as? String else { throw APIError.badRequest("quoteId is required and must be a string") }
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            guard let provider = object["provider"] as? String, Self.swapProviders.contains(provider) else {
                throw APIError.badRequest("provider must be one of \(Self.swapProviders.joined(separator: ", "))")
            }
            let source = try Self.evmAsset(object["sourceAsset"], "sourceAsset", spent: true)
            let target = try Self.evmAsset(object["targetAsset"], "targetAsset", spent: false)
            let slippage = try Self.slippage(object)
            if let targetWallet = object["targetWalletId"], targetWallet as? String != walletId {
                throw APIError.badRequest("targetWalletId must currently be the same as walletId")
            }
            let quote = try documents.get(.swapQuote, quoteId, orgId: principal.orgId, what: "quote").json
            let quotedSource = quote["sourceAsset"] as? [String: Any] ?? [:]
            for (field, matches) in [
                ("walletId", quote["walletId"] as? String == walletId), ("provider", quote["provider"] as? String == provider),
                ("slippageBps", quote["slippageBps"] as? Int == slippage),
                ("sourceAsset", Self.sameAsset(quotedSource, source) && quotedSource["amount"] as? String == source["amount"] as? String),
                ("targetAsset", Self.sameAsset(quote["targetAsset"] as? [String: Any] ?? [:], target)),
            ] where !matches {
                throw APIError.badRequest("\(field) does not match quote \(quoteId)")
            }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            let sponsor = try self.feeSponsorship(of: object, wallet: wallet, principal: principal)
            // The on-chain swap: a call of the provider's router spending the source amount.
            let transaction = try Self.executingTransaction(
                walletStore, principal: principal, walletId: walletId, contract: Self.swapRouter,
                value: source["kind"] as? String == "Native" ? source["amount"] as? String ?? "0" : "0", selector: "0x3593564c")
            if let sponsor { self.recordSponsoredFee(sponsorId: sponsor, walletId: walletId, requestId: transaction.id, principal: principal) }
            let id = documents.newId("swap-")
            var swap: [String: Any] = [
                "id": id, "quoteId": quoteId, "reference": object["reference"] ?? NSNull(), "walletId": walletId, "targetWalletId": walletId,
                "provider": provider, "quotedSourceAsset": quote["sourceAsset"] ?? [:], "quotedTargetAsset": quote["targetAsset"] ?? [:],
                "slippageBps": slippage, "dateCreated": SimulatedTransfer.format(Date()), "requestBody": object,
                "requester": ["userId": principal.userId, "tokenId": principal.tokenId], Self.swapTransactionKey: transaction.id,
            ]
            swap["feeSponsorId"] = sponsor
            documents.insert(.swap, id: id, orgId: principal.orgId, json: swap)
            return APIResponse(json: Self.swapState(swap, walletStore, principal, step: configuration.transferStep))
        }
        api.get("/swaps") { [documents, walletStore, configuration] request, context in
            let principal = try context.caller()
            let swaps = documents.all(.swap, orgId: principal.orgId).map {
                Self.swapState($0.json, walletStore, principal, step: configuration.transferStep)
            }
            return APIResponse(json: try Self.paged(swaps, request))
        }
        api.get("/swaps/:swapId") { [documents, walletStore, configuration] _, context in
            let principal = try context.caller()
            let swap = try documents.get(.swap, Self.parameter(context, "swapId"), orgId: principal.orgId, what: "swap").json
            return APIResponse(json: Self.swapState(swap, walletStore, principal, step: configuration.transferStep))
        }
    }

    /// The router the simulator's swaps call (Uniswap's Universal Router address on Ethereum).
    static let swapRouter = "0x66a9893cc07d91d95644aedd05d03f95e1dba8af"

    /// Where a stored swap keeps the id of the transaction executing it; not part of the Dfns object.
    private static let swapTransactionKey = "_transactionId"

    /// A stored swap as Dfns answers it: its status is its transaction's at this moment.
    static func swapState(_ stored: [String: Any], _ walletStore: WalletStore, _ principal: Principal, step: Duration) -> [String: Any] {
        var swap = stored
        swap[swapTransactionKey] = nil
        let progress = transactionProgress(
            stored[swapTransactionKey] as? String, walletId: stored["walletId"] as? String ?? "", walletStore, principal, step: step)
        swap["status"] = progress.status
        swap["failureReason"] = progress.failureReason
        return swap
    }
}
