import Foundation
import Hummingbird

/// The wallet-level key routes the TypeScript SDK (`@dfns/sdk` `generated/wallets/client.ts`) still has and the Python
/// and Go SDKs moved to `/keys`: delegating (`POST /wallets/{walletId}/delegate {userId}` →
/// `{walletId, status: Delegated}`), exporting (`POST …/export`) and signing with the wallet's key
/// (`POST|GET …/signatures`). Each acts on the wallet's signing key exactly as the keys routes do, so a signature made
/// here is also a signature of the key; a wallet's signatures also name the wallet and its network.
extension DfnsSimulator {
    func addWalletKeyRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/wallets/:walletId/delegate") { [walletStore, documents] _, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            guard let user = try Self.object(context.requestBody)["userId"] as? String, !user.isEmpty else {
                throw APIError.badRequest("userId (the end user to delegate to) is required")
            }
            _ = try Self.delegateKey(wallet.signingKey.id, to: user, principal: principal, wallets: walletStore, documents: documents)
            return APIResponse(json: ["walletId": wallet.id, "status": "Delegated"])
        }
        api.post("/wallets/:walletId/export") { [configuration, walletStore, documents] _, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            return APIResponse(
                json: try Self.exportKey(
                    wallet.signingKey.id, Self.object(context.requestBody), enabled: configuration.keyExportEnabled, principal: principal,
                    wallets: walletStore, documents: documents))
        }
        api.post("/wallets/:walletId/signatures") { [walletStore, documents] _, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            let document = try Self.createSignature(
                wallet.signingKey.id, Self.object(context.requestBody), principal: principal, wallets: walletStore, documents: documents,
                extra: ["walletId": wallet.id, "network": wallet.network])
            return APIResponse(json: Self.signature(document, at: Date(), step: step))
        }
        api.get("/wallets/:walletId/signatures/:signatureId") { [walletStore, documents] _, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            let signature = try documents.get(
                .signature, Self.parameter(context, "signatureId"), orgId: principal.orgId, parent: wallet.signingKey.id, what: "signature")
            guard signature.json["walletId"] as? String == wallet.id else {
                throw APIError(404, "signature not found", details: ["signatureId": signature.id])
            }
            return APIResponse(json: Self.signature(signature, at: Date(), step: step))
        }
        api.get("/wallets/:walletId/signatures") { [walletStore, documents] request, context in
            let principal = try context.caller()
            let wallet = try walletStore.wallet(Self.parameter(context, "walletId"), principal: principal)
            let now = Date()
            let signatures = documents.all(.signature, orgId: principal.orgId, parent: wallet.signingKey.id) {
                $0.json["walletId"] as? String == wallet.id
            }
            return APIResponse(json: try Self.paged(signatures.map { Self.signature($0, at: now, step: step) }, request))
        }
    }
}
