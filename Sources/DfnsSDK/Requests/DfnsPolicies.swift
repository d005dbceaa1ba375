import NIOHTTP1

/// The policies API (`/v2/policies`, `/v2/policy-approvals`), one request per method of the official SDKs' policies
/// client (dfns-sdk 1.0.4 `generated/policies/client.py`).
public enum DfnsPolicies {
    private static func policy(_ policyId: String) throws -> String { "/v2/policies/\(try RequestPath.segment(policyId, "policyId"))" }
    private static func approval(_ approvalId: String) throws -> String {
        "/v2/policy-approvals/\(try RequestPath.segment(approvalId, "approvalId"))"
    }

    /// `POST /v2/policies` (signed): `name`, `activityKind` (e.g. `Wallets:Sign`), `rule` `{kind, configuration}`,
    /// `action` `{kind: Block | RequestApproval | NoAction, …}`, optional `filters`.
    public static func createPolicy(_ body: JSONValue) throws -> DfnsRequest<Policy> {
        .write(.POST, "/v2/policies", json: try RequestPath.object(body, "createPolicy", requiring: ["name", "activityKind", "rule", "action"]))
    }

    /// `GET /v2/policies/{policyId}`.
    public static func getPolicy(policyId: String) throws -> DfnsRequest<Policy> { .read(try policy(policyId)) }

    /// `GET /v2/policies`. `status`: `Active` or `Archived`.
    public static func listPolicies(limit: Int? = nil, paginationToken: String? = nil, status: String? = nil) throws -> DfnsRequest<Page<Policy>> {
        .read(
            "/v2/policies",
            query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: status.map { ["status": $0] } ?? [:]))
    }

    /// `PUT /v2/policies/{policyId}` (signed): the whole policy, as for ``createPolicy(_:)``.
    public static func updatePolicy(policyId: String, _ body: JSONValue) throws -> DfnsRequest<Policy> {
        .write(.PUT, try policy(policyId), json: try RequestPath.object(body, "updatePolicy", requiring: ["name", "activityKind", "rule", "action"]))
    }

    /// `DELETE /v2/policies/{policyId}` (signed, no body): archives the policy.
    public static func deletePolicy(policyId: String) throws -> DfnsRequest<Policy> { .write(.DELETE, try policy(policyId), json: nil) }

    /// `GET /v2/policy-approvals/{approvalId}`.
    public static func getApproval(approvalId: String) throws -> DfnsRequest<PolicyApproval> { .read(try approval(approvalId)) }

    /// `GET /v2/policy-approvals`. `filters`: `status` (Pending, Approved, Denied, Expired), `initiatorId`, `approverId`,
    /// `triggerStatus`.
    public static func listApprovals(limit: Int? = nil, paginationToken: String? = nil, filters: [String: String] = [:]) throws -> DfnsRequest<
        Page<PolicyApproval>
    > {
        .read("/v2/policy-approvals", query: try RequestPath.pageQuery(limit: limit, paginationToken: paginationToken, filters: filters))
    }

    /// `POST /v2/policy-approvals/{approvalId}/decisions` (signed): `Approved` or `Denied`, with an optional reason.
    public static func createApprovalDecision(approvalId: String, value: PolicyApproval.Decision, reason: String? = nil) throws -> DfnsRequest<
        PolicyApproval
    > {
        var body: [String: JSONValue] = ["value": .string(value.rawValue)]
        if let reason { body["reason"] = .string(reason) }
        return .write(.POST, "\(try approval(approvalId))/decisions", json: .object(body))
    }

    /// `GET /v2/policies/travel-rule/sumsub/public-key`: the RSA JWK travel-rule data is encrypted to.
    public static func getSumsubTravelRulePublicKey() -> DfnsRequest<JSONValue> { .read("/v2/policies/travel-rule/sumsub/public-key") }
}
