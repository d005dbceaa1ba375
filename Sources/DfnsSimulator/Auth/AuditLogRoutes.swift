import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The audit log routes of the auth client (dfns-sdk 1.0.4 `generated/auth/client.py` `list_audit_logs`,
/// `get_audit_log` and their docstrings; docs.dfns.co `/api-reference/auth/list-audit-logs` and `/get-audit-log`; the
/// newest TypeScript `GetAuditLogResponse`; docs-legacy.dfns.co `/d/api-docs/authentication/audit-logs`). An entry is
/// born when a user action's signature holds (`POST /auth/action`, ``AuditTrail``): what was signed, by whom, with
/// which credential, and the first factor's clientData, signature and authenticatorData to verify it again.
///
/// - `GET /auth/action/logs?startTime&endTime&userId`: the signature events from `startTime` to `endTime` (ISO 8601,
///   both required, 400 naming the one that is missing or not a date; the range is unbounded as dfns-sdk 1.0.4 says,
///   not the 7 days of the older docs), of `userId` when given (1 to 64 characters), oldest first, as CSV with the
///   documented header `Date Performed,Audit Log ID,User ID,Username,Primary Credential ID,Action Path,Summary`.
///   Dfns answers `text/csv`; one version of its OpenAPI (docs.dfns.co) declares `application/json` with a string,
///   and the newest TypeScript type is `ListAuditLogsResponse = string`. The official Python SDK reads any non-empty
///   2xx body with `response.json()` (`_internal/http_client.py` `_handle_response`), so raw CSV makes
///   `list_audit_logs` raise `json.JSONDecodeError`; the Swift SDK likewise decodes JSON. So the simulator answers the
///   CSV text as a JSON string unless the request's `Accept` names `text/csv`, which gets the raw CSV (choice of the
///   simulator where the sources disagree). The export is capped at 100,000 rows (``AuditTrail/retained``); a longer
///   one is cut there, answered with `X-Dfns-Result-Truncated: true` and a trailing `# TRUNCATED …` line, as the
///   docstring says (the line's wording is the simulator's).
/// - `GET /auth/action/logs/{id}`: `{id, action, actionToken, userId, username, datePerformed, dateSigned,
///   dateResolved, responseStatus, responseError, firstFactorCredential: {id, kind, publicKey, assertion:
///   {authenticatorData, clientData, signature} | null}}` (fields of the Python and TypeScript types); 404 for an id
///   not in the caller's organisation. Sources are silent on: `action`, here the signed action as JSON text
///   (`{"userActionHttpMethod","userActionHttpPath","userActionPayload","userActionServerKind"}`, what
///   `/auth/action/init` took); the dates, all the signature's (the simulator does not follow the request it
///   authorised, so `responseStatus`, `responseError` and `dateResolved` are null); the CSV `Summary`, here `METHOD
///   path`; and which routes are "not safe to expose" (403 for details, per the docstring): here the signed actions
///   that carry credentials or key material — `/auth/credentials…`, `/auth/recover…`, `/auth/registration…` and any
///   path whose last segment is `import` or `export`.
extension DfnsSimulator {
    func addAuditLogRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/auth/action/logs") { [auditTrail] request, context in
            let principal = try context.caller()
            let query = Self.formQuery(request.uri.query ?? "")
            let start = try Self.instant(query, "startTime")
            let end = try Self.instant(query, "endTime")
            guard start <= end else { throw APIError.badRequest("endTime must not be before startTime") }
            if let userId = query["userId"], !(1...64).contains(userId.count) { throw APIError.badRequest("userId must be 1 to 64 characters") }
            let entries = auditTrail.entries(orgId: principal.orgId, from: start, to: end, userId: query["userId"])
            let truncated = entries.count > AuditTrail.retained
            var csv = Self.auditCSV(entries.prefix(AuditTrail.retained))
            if truncated { csv += "\n# TRUNCATED at \(AuditTrail.retained) rows: narrow the time range to retrieve all data" }
            var response =
                request.headers[.accept]?.contains("text/csv") == true
                ? Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: csv)))
                : try APIResponse(json: csv).response(from: request, context: context)
            if truncated { response.headers[Self.truncatedHeader] = "true" }
            return response
        }
        api.get("/auth/action/logs/:id") { [auditTrail] _, context in
            let id = try Self.parameter(context, "id")
            guard let entry = auditTrail.entry(id, orgId: try context.caller().orgId) else {
                throw APIError(404, "audit log not found", details: ["id": id])
            }
            guard !Self.auditWithheld(entry.action.path) else {
                throw APIError(403, "the details of \(entry.action.method) \(entry.action.path) are not exposed")
            }
            return APIResponse(json: Self.auditJSON(entry))
        }
    }

    /// Records the signature `completeUserAction` just accepted for challenge `identifier`, with the user's name and
    /// the first factor's credential as the stores know them.
    func recordAuditLog(_ signed: UserActionStore.SignedAction, _ factor: UserActionSignatureRequest.Factor?, principal: Principal) {
        let assertion = factor?.credentialAssertion
        let credentialId = assertion?.credId ?? ""
        let credential = credentialStore.credential(id: credentialId)
        let username =
            (try? accountStore.user(principal.userId, orgId: principal.orgId).username)
            ?? (try? accountStore.serviceAccount(principal.userId, orgId: principal.orgId).name)
        auditTrail.record(
            AuditTrail.Action(method: signed.method, path: signed.path, payload: signed.payload), actionToken: signed.token, principal: principal,
            username: username,
            evidence: AuditTrail.Evidence(
                credentialId: credentialId, credentialUuid: credential?.credentialUuid ?? credentialId, kind: factor?.kind ?? "",
                publicKey: credential?.publicKeyPEM ?? "", clientData: assertion?.clientData, signature: assertion?.signature,
                authenticatorData: assertion?.authenticatorData))
    }

    private static let truncatedHeader = HTTPField.Name("X-Dfns-Result-Truncated")!

    /// A required ISO 8601 date-time of the query (`2025-08-29T02:46:40Z`, fractional seconds allowed).
    static func instant(_ query: [String: String], _ name: String) throws(APIError) -> Date {
        guard let text = query[name] else { throw APIError.badRequest("\(name) is required") }
        for format in [Date.ISO8601FormatStyle(), Date.ISO8601FormatStyle(includingFractionalSeconds: true)] {
            if let date = try? format.parse(text) { return date }
        }
        throw APIError.badRequest("\(name) must be an ISO 8601 date-time")
    }

    /// Whether Dfns withholds an action's details (the simulator's choice: credentials and key material).
    static func auditWithheld(_ path: String) -> Bool {
        let parts = path.split(separator: "/")
        if parts.count >= 2, parts[0] == "auth", ["credentials", "recover", "registration"].contains(parts[1]) { return true }
        return parts.last == "import" || parts.last == "export"
    }

    static func auditJSON(_ entry: AuditTrail.Entry) -> [String: Any] {
        let evidence = entry.evidence
        var assertion: Any = NSNull()
        if let clientData = evidence.clientData, let signature = evidence.signature {
            assertion =
                ["authenticatorData": evidence.authenticatorData ?? NSNull(), "clientData": clientData, "signature": signature] as [String: Any]
        }
        let date = SimulatedTransfer.format(entry.date)
        return [
            "id": entry.id, "action": String(decoding: SimulatorJSON.serialize(actionJSON(entry.action), sorted: true), as: UTF8.self),
            "actionToken": entry.actionToken, "userId": entry.userId, "username": entry.username ?? NSNull(), "datePerformed": date,
            "dateSigned": date, "dateResolved": NSNull(), "responseStatus": NSNull(), "responseError": NSNull(),
            "firstFactorCredential": [
                "id": evidence.credentialId, "kind": evidence.kind.isEmpty ? NSNull() : evidence.kind, "publicKey": evidence.publicKey,
                "assertion": assertion,
            ] as [String: Any],
        ]
    }

    private static func actionJSON(_ action: AuditTrail.Action) -> [String: Any] {
        [
            "userActionHttpMethod": action.method, "userActionHttpPath": action.path, "userActionPayload": action.payload,
            "userActionServerKind": "Api",
        ]
    }

    /// The export: the documented header, then a row per entry (RFC 4180 quoting).
    static func auditCSV(_ entries: ArraySlice<AuditTrail.Entry>) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = ["Date Performed,Audit Log ID,User ID,Username,Primary Credential ID,Action Path,Summary"]
        for entry in entries {
            lines.append(
                [
                    SimulatedTransfer.format(entry.date), entry.id, entry.userId, entry.username ?? "", entry.evidence.credentialUuid,
                    entry.action.path, "\(entry.action.method) \(entry.action.path)",
                ].map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n")
    }
}
