import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let feeSponsor = Self("feeSponsor")
    static let sponsoredFee = Self("sponsoredFee")
}

/// The fee sponsors routes (dfns-sdk 1.0.4 `generated/fee_sponsors/client.py`; the entity as dfns-sdk-go's
/// `types.FeeSponsor`: id, name, walletId, network, status, dateCreated, allowEndUser). A sponsor is a wallet of the
/// organisation that pays the fees of transfers naming it (`feeSponsorId`) on its own network: `Active` when created,
/// `Deactivated` and `Active` again on request, `Archived` when deleted, which is final (Dfns: "This action is
/// irreversible"). Each transfer it sponsors records a fee (`listSponsoredFees`), whose shape the official SDKs leave
/// open: the simulator's is `{id, feeSponsorId, sponsoreeId, requestId, fee, dateRequested}`.
extension DfnsSimulator {
    func addFeeSponsorRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/fee-sponsors") { [documents, walletStore] _, context in
            let principal = try context.caller()
            let object = try Self.object(context.requestBody)
            guard let walletId = object["walletId"] as? String else { throw APIError.badRequest("walletId is required and must be a string") }
            let name = try Self.optionalString(object, "name")
            if let allow = object["allowEndUser"], SimulatorJSON.boolean(allow) == nil { throw APIError.badRequest("allowEndUser must be a boolean") }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            let sponsoring = documents.all(.feeSponsor, orgId: principal.orgId) { $0.json["walletId"] as? String == walletId }
            guard sponsoring.allSatisfy({ $0.json["status"] as? String == "Archived" }) else {
                throw APIError.badRequest("wallet \(walletId) is already a fee sponsor")
            }
            let id = documents.newId("fs-")
            var sponsor: [String: Any] = [
                "id": id, "walletId": walletId, "network": wallet.network, "status": "Active", "dateCreated": SimulatedTransfer.format(Date()),
                "allowEndUser": SimulatorJSON.boolean(object["allowEndUser"]) ?? false,
            ]
            sponsor["name"] = name
            documents.insert(.feeSponsor, id: id, orgId: principal.orgId, json: sponsor)
            return APIResponse(json: sponsor)
        }
        addListRoute(api, "/fee-sponsors", .feeSponsor)
        addGetRoute(api, "/fee-sponsors/:feeSponsorId", .feeSponsor, parameter: "feeSponsorId", what: "feeSponsor")
        api.delete("/fee-sponsors/:feeSponsorId") { [documents] _, context in
            APIResponse(json: try Self.moveFeeSponsor(documents, context, to: "Archived"))
        }
        api.put("/fee-sponsors/:feeSponsorId/deactivate") { [documents] _, context in
            APIResponse(json: try Self.moveFeeSponsor(documents, context, to: "Deactivated"))
        }
        api.put("/fee-sponsors/:feeSponsorId/activate") { [documents] _, context in
            APIResponse(json: try Self.moveFeeSponsor(documents, context, to: "Active"))
        }
        api.get("/fee-sponsors/:feeSponsorId/fees") { [documents] request, context in
            let principal = try context.caller()
            let sponsorId = try Self.parameter(context, "feeSponsorId")
            _ = try documents.get(.feeSponsor, sponsorId, orgId: principal.orgId, what: "feeSponsor")
            return APIResponse(json: try Self.paged(documents.all(.sponsoredFee, orgId: principal.orgId, parent: sponsorId).map(\.json), request))
        }
    }

    /// Moves a fee sponsor to `status`; an archived sponsor stays archived.
    private static func moveFeeSponsor(_ documents: DocumentStore, _ context: SimulatorRequestContext, to status: String) throws(APIError)
        -> [String: Any]
    {
        try documents.update(.feeSponsor, parameter(context, "feeSponsorId"), orgId: context.caller().orgId, what: "feeSponsor") {
            sponsor throws(APIError) in
            guard sponsor["status"] as? String != "Archived" else { throw APIError.badRequest("fee sponsor \(sponsor["id"] ?? "") is archived") }
            sponsor["status"] = status
        }
    }

    /// For a transfer naming `feeSponsorId`: the sponsor must be active, on the wallet's network, and not the wallet
    /// itself. Returns the fee to record once the transfer exists (``recordSponsoredFee``), nil for an unsponsored one.
    func feeSponsorship(of object: [String: Any], wallet: SimulatedWallet, principal: Principal) throws(APIError) -> String? {
        guard let value = object["feeSponsorId"] else { return nil }
        guard let sponsorId = value as? String else { throw APIError.badRequest("feeSponsorId must be a string") }
        let sponsor = try documents.get(.feeSponsor, sponsorId, orgId: principal.orgId, what: "feeSponsor").json
        guard sponsor["status"] as? String == "Active" else { throw APIError.badRequest("fee sponsor \(sponsorId) is not active") }
        guard sponsor["network"] as? String == wallet.network else {
            throw APIError.badRequest("fee sponsor \(sponsorId) is on \(sponsor["network"] ?? ""), the wallet on \(wallet.network)")
        }
        guard sponsor["walletId"] as? String != wallet.id else { throw APIError.badRequest("a wallet cannot sponsor its own fees") }
        return sponsorId
    }

    /// Records the fee `sponsorId` pays for transfer `requestId` of wallet `walletId`, once per transfer.
    func recordSponsoredFee(sponsorId: String, walletId: String, requestId: String, principal: Principal) {
        guard documents.all(.sponsoredFee, orgId: principal.orgId, parent: sponsorId, where: { $0.json["requestId"] as? String == requestId }).isEmpty
        else { return }
        let id = documents.newId("sf-")
        documents.insert(
            .sponsoredFee, id: id, orgId: principal.orgId, parent: sponsorId,
            json: [
                "id": id, "feeSponsorId": sponsorId, "sponsoreeId": walletId, "requestId": requestId, "fee": "21000000000000",
                "dateRequested": SimulatedTransfer.format(Date()),
            ])
    }
}
