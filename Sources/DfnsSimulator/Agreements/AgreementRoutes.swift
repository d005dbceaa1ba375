import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let agreementAcceptance = Self("agreementAcceptance")
}

/// The agreements routes (dfns-sdk 1.0.4 `generated/agreements/client.py`): the latest agreement of a type the
/// caller has not accepted (`{latestAgreement: null}` once accepted), and recording an acceptance
/// (`{agreementId, userId, dateAccepted}`, idempotent per user). The agreements themselves are the simulator's, one
/// per type of the SDK's `GetLatestUnacceptedAgreementQuery.agreementType`.
extension DfnsSimulator {
    static let agreementTypes = ["PrivacyPolicy", "TermsAndConditions", "UniswapTermsOfService", "UniswapPrivacyPolicy"]

    /// The simulator's agreement of each type: `ag-<type in lower case>-1`.
    static func agreement(_ type: String) -> [String: Any] {
        ["id": "ag-\(type.lowercased())-1", "agreementType": type, "version": "1", "dateCreated": "2026-01-01T00:00:00.000Z"]
    }

    func addAgreementRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/agreements/latest-unaccepted") { [documents] request, context in
            let principal = try context.caller()
            guard let type = Self.formQuery(request.uri.query ?? "")["agreementType"], Self.agreementTypes.contains(type) else {
                throw APIError.badRequest("agreementType must be one of \(Self.agreementTypes.joined(separator: ", "))")
            }
            let agreement = Self.agreement(type)
            let accepted = Self.acceptance(documents, agreement["id"] as? String ?? "", principal) != nil
            return APIResponse(json: ["latestAgreement": accepted ? NSNull() as Any : agreement])
        }
        api.post("/agreements/:agreementId/accept") { [documents] _, context in
            let principal = try context.caller()
            let agreementId = try Self.parameter(context, "agreementId")
            guard Self.agreementTypes.contains(where: { Self.agreement($0)["id"] as? String == agreementId }) else {
                throw APIError(404, "agreement not found", details: ["agreementId": agreementId])
            }
            if let accepted = Self.acceptance(documents, agreementId, principal) { return APIResponse(json: accepted) }
            let acceptance: [String: Any] = [
                "agreementId": agreementId, "userId": principal.userId, "dateAccepted": SimulatedTransfer.format(Date()),
            ]
            documents.insert(.agreementAcceptance, id: documents.newId("aga-"), orgId: principal.orgId, parent: agreementId, json: acceptance)
            return APIResponse(json: acceptance)
        }
    }

    /// The caller's acceptance of `agreementId`, if recorded.
    private static func acceptance(_ documents: DocumentStore, _ agreementId: String, _ principal: Principal) -> [String: Any]? {
        documents.all(.agreementAcceptance, orgId: principal.orgId, parent: agreementId) { $0.json["userId"] as? String == principal.userId }.first?
            .json
    }
}
