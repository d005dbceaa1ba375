import Foundation
import Hummingbird

/// The policies routes (dfns-sdk 1.0.4 `generated/policies/client.py`, Dfns "Policies v2"): policies as documents,
/// and approvals — the transfers and transactions a `RequestApproval` policy holds (``SimulatorConfiguration/approvalFraction``)
/// — decided through `POST /v2/policy-approvals/{id}/decisions`, which releases or rejects the held entity.
extension DfnsSimulator {
    /// The activities a policy can govern, and the actions it can take (Dfns docs, Policies v2).
    private static let activityKinds: Set<String> = [
        "Wallets:Sign", "Wallets:IncomingTransaction", "Permissions:Assign", "Permissions:Modify", "Policies:Modify", "Registry:Addresses:Modify",
        "Alias:Modify",
    ]
    private static let actionKinds: Set<String> = ["Block", "RequestApproval", "NoAction"]

    func addPolicyRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/v2/policies") { [documents] _, context in
            let principal = try context.caller()
            var policy = try Self.policy(Self.object(context.requestBody))
            let id = documents.newId("plc-")
            let now = SimulatedTransfer.format(Date())
            policy["id"] = id
            policy["status"] = "Active"
            policy["dateCreated"] = now
            policy["dateUpdated"] = now
            return APIResponse(json: documents.insert(.policy, id: id, orgId: principal.orgId, json: policy).json)
        }
        api.get("/v2/policies") { [documents] request, context in
            let status = Self.formQuery(request.uri.query ?? "")["status"]
            let policies = documents.all(.policy, orgId: try context.caller().orgId).map(\.json).filter {
                status == nil || $0["status"] as? String == status
            }
            return APIResponse(json: try Self.paged(policies, request))
        }
        api.get("/v2/policies/travel-rule/sumsub/public-key") { _, _ in
            // A fixed RSA JWK: travel-rule payloads are encrypted to it.
            APIResponse(json: [
                "kty": "RSA", "kid": "sumsub-sim-1", "use": "enc", "e": "AQAB",
                "n": Base64Text.url(SimulatorDigest.sha256(Array("dfns-simulator".utf8)) + Array(repeating: 0xA5, count: 224)),
            ])
        }
        api.get("/v2/policies/:policyId") { [documents] _, context in
            APIResponse(json: try documents.get(.policy, Self.parameter(context, "policyId"), orgId: context.caller().orgId, what: "policy").json)
        }
        api.put("/v2/policies/:policyId") { [documents] _, context in
            let replacement = try Self.policy(Self.object(context.requestBody))
            return APIResponse(
                json: try documents.update(.policy, Self.parameter(context, "policyId"), orgId: context.caller().orgId, what: "policy") {
                    (policy) throws(APIError) in
                    guard policy["status"] as? String == "Active" else { throw APIError.badRequest("an archived policy cannot be changed") }
                    for (key, value) in replacement { policy[key] = value }
                    policy["dateUpdated"] = SimulatedTransfer.format(Date())
                })
        }
        api.delete("/v2/policies/:policyId") { [documents] _, context in
            APIResponse(
                json: try documents.update(.policy, Self.parameter(context, "policyId"), orgId: context.caller().orgId, what: "policy") { policy in
                    policy["status"] = "Archived"
                    policy["dateUpdated"] = SimulatedTransfer.format(Date())
                })
        }
        api.get("/v2/policy-approvals") { [walletStore] request, context in
            let query = Self.formQuery(request.uri.query ?? "")
            let now = Date()
            let approvals = walletStore.approvals(principal: try context.caller()).compactMap { $0.approvalJSON(at: now, step: step) }
                .filter { query["status"] == nil || $0["status"] as? String == query["status"] }
                .filter { query["initiatorId"] == nil || $0["initiatorId"] as? String == query["initiatorId"] }
            return APIResponse(json: try Self.paged(approvals, request))
        }
        api.get("/v2/policy-approvals/:approvalId") { [walletStore] _, context in
            let now = Date()
            return APIResponse(
                json: try walletStore.approval(Self.parameter(context, "approvalId"), principal: context.caller()).approvalJSON(at: now, step: step)
                    ?? [:])
        }
        api.post("/v2/policy-approvals/:approvalId/decisions") { [walletStore] _, context in
            let object = try Self.object(context.requestBody)
            guard let value = object["value"] as? String, ["Approved", "Denied"].contains(value) else {
                throw APIError.badRequest("value must be Approved or Denied")
            }
            let now = Date()
            let held = try walletStore.decide(
                approvalId: Self.parameter(context, "approvalId"), principal: context.caller(), approve: value == "Approved",
                reason: try Self.optionalString(object, "reason"), at: now
            )
            return APIResponse(json: held.approvalJSON(at: now, step: step) ?? [:])
        }
    }

    /// A policy body checked as Dfns checks it: a name, a known activity, a rule with a kind, and an action whose
    /// `RequestApproval` names its approval groups.
    private static func policy(_ object: [String: Any]) throws(APIError) -> [String: Any] {
        guard let name = object["name"] as? String, !name.isEmpty else { throw APIError.badRequest("name is required") }
        guard let activity = object["activityKind"] as? String, activityKinds.contains(activity) else {
            throw APIError.badRequest("activityKind must be one of \(activityKinds.sorted().joined(separator: ", "))")
        }
        guard let rule = object["rule"] as? [String: Any], rule["kind"] is String else {
            throw APIError.badRequest("rule must be an object with a kind")
        }
        guard let action = object["action"] as? [String: Any], let kind = action["kind"] as? String, actionKinds.contains(kind) else {
            throw APIError.badRequest("action.kind must be one of \(actionKinds.sorted().joined(separator: ", "))")
        }
        if kind == "RequestApproval", (action["approvalGroups"] as? [Any])?.isEmpty ?? true {
            throw APIError.badRequest("a RequestApproval action needs approvalGroups")
        }
        if let filters = object["filters"], !(filters is [String: Any]) { throw APIError.badRequest("filters must be an object") }
        var policy: [String: Any] = ["name": name, "activityKind": activity, "rule": rule, "action": action]
        policy["filters"] = object["filters"]
        return policy
    }
}
