import Foundation
import Hummingbird

/// The personal access token and service account routes (dfns-sdk 1.0.4 `generated/auth/client.py`; shapes as
/// dfns-sdk-go `types.PersonalAccessToken` and `types.User`; rules as dfns-api-docs
/// `{personal-access-token,service-account}-management`): a token is created with the PEM public key its user actions
/// will be signed with and answered once with its bearer (`accessToken`), which authenticates at once; it lasts
/// `secondsValid` or `daysValid` (at most 730 days, the default), can be renamed, deactivated, activated again and
/// archived (`DELETE`: for good). A service account is a user of its own (`isServiceAccount`) with one such token;
/// deactivating or archiving it stops its token. A token cannot make tokens or service accounts: only the organisation's
/// users can (403). A `permissionId` assigns that active permission to the new token.
extension DfnsSimulator {
    /// Dfns's longest validity, in days (dfns-api-docs: "daysValid … maximum 730").
    static let longestTokenValidity = 730

    func addAccessTokenRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/auth/pats") { [accountStore, credentialStore, documents] _, context in
            let principal = try context.caller()
            try Self.refuseTokenCaller(principal, accountStore, "create personal access tokens")
            let token = try Self.issueToken(
                kind: "Pat", userId: principal.userId, Self.object(context.requestBody), principal: principal, accounts: accountStore,
                credentials: credentialStore,
                documents: documents)
            return APIResponse(json: token.json(withBearer: true))
        }
        // A user's personal access tokens are theirs alone ("your Personal Access Tokens", dfns-sdk 1.0.4
        // `list_personal_access_tokens`): another user's are not found.
        api.get("/auth/pats") { [accountStore] _, context in
            let principal = try context.caller()
            return APIResponse(
                json: ["items": accountStore.tokens(kind: "Pat", orgId: principal.orgId).filter { $0.userId == principal.userId }.map { $0.json() }])
        }
        api.get("/auth/pats/:tokenId") { [accountStore] _, context in
            let principal = try context.caller()
            let token = try accountStore.token(Self.parameter(context, "tokenId"), kind: "Pat", orgId: principal.orgId)
            guard token.userId == principal.userId else { throw Self.patMissing(token.tokenId) }
            return APIResponse(json: token.json())
        }
        api.put("/auth/pats/:tokenId") { [accountStore] _, context in
            let (name, externalId) = try Self.renaming(context.requestBody)
            return APIResponse(
                json: try Self.changePat(accountStore, context) { token in
                    if let name { token.name = name }
                    if let externalId { token.externalId = externalId }
                })
        }
        api.delete("/auth/pats/:tokenId") { [accountStore] _, context in
            APIResponse(json: try Self.changePat(accountStore, context) { $0.isArchived = true })
        }
        api.put("/auth/pats/:tokenId/activate") { [accountStore] _, context in
            APIResponse(json: try Self.changePat(accountStore, context) { $0.isActive = true })
        }
        api.put("/auth/pats/:tokenId/deactivate") { [accountStore] _, context in
            APIResponse(json: try Self.changePat(accountStore, context) { $0.isActive = false })
        }
        addServiceAccountRoutes(to: api)
    }

    private func addServiceAccountRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/auth/service-accounts") { [accountStore, credentialStore, documents] _, context in
            let principal = try context.caller()
            try Self.refuseTokenCaller(principal, accountStore, "create service accounts")
            let object = try Self.object(context.requestBody)
            let userId = accountStore.newId("us-")
            let token = try Self.issueToken(
                kind: "ServiceAccount", userId: userId, object, principal: principal, accounts: accountStore, credentials: credentialStore,
                documents: documents)
            accountStore.add(
                AccountStore.ServiceAccount(
                    userId: userId, orgId: principal.orgId, tokenId: token.tokenId, dateCreated: token.dateCreated, name: token.name,
                    externalId: token.externalId))
            return APIResponse(json: try Self.serviceAccountJSON(userId, accountStore, orgId: principal.orgId, bearer: true))
        }
        api.get("/auth/service-accounts") { [accountStore] _, context in
            let orgId = try context.caller().orgId
            return APIResponse(
                json: [
                    "items": try accountStore.serviceAccounts(orgId: orgId).map { try Self.serviceAccountJSON($0.userId, accountStore, orgId: orgId) }
                ])
        }
        api.get("/auth/service-accounts/:serviceAccountId") { [accountStore] _, context in
            APIResponse(json: try Self.serviceAccountJSON(Self.parameter(context, "serviceAccountId"), accountStore, orgId: context.caller().orgId))
        }
        api.put("/auth/service-accounts/:serviceAccountId") { [accountStore] _, context in
            let (name, externalId) = try Self.renaming(context.requestBody)
            return APIResponse(
                json: try Self.changeServiceAccount(accountStore, context) { account in
                    if let name { account.name = name }
                    if let externalId { account.externalId = externalId }
                })
        }
        api.delete("/auth/service-accounts/:serviceAccountId") { [accountStore] request, context in
            if let force = Self.formQuery(request.uri.query ?? "")["force"], !["true", "false"].contains(force) {
                throw APIError.badRequest("force must be true or false")
            }
            return APIResponse(json: try Self.changeServiceAccount(accountStore, context) { $0.isArchived = true })
        }
        api.put("/auth/service-accounts/:serviceAccountId/activate") { [accountStore] _, context in
            APIResponse(json: try Self.changeServiceAccount(accountStore, context) { $0.isActive = true })
        }
        api.put("/auth/service-accounts/:serviceAccountId/deactivate") { [accountStore] _, context in
            let object = try Self.object(context.requestBody)
            if let force = object["force"], SimulatorJSON.boolean(force) == nil { throw APIError.badRequest("force must be a boolean") }
            return APIResponse(json: try Self.changeServiceAccount(accountStore, context) { $0.isActive = false })
        }
    }

    /// The `name` and `externalId` of an update body.
    private static func renaming(_ body: [UInt8]) throws(APIError) -> (name: String?, externalId: String?) {
        let object = try object(body)
        return (try optionalString(object, "name"), try optionalString(object, "externalId"))
    }

    /// A token may not make tokens or service accounts (dfns-api-docs: personal access tokens are made by users,
    /// service accounts by the organisation's employees).
    private static func refuseTokenCaller(_ principal: Principal, _ accounts: AccountStore, _ what: String) throws(APIError) {
        guard !accounts.isToken(principal) else { throw APIError(403, "a personal access token or service account cannot \(what)") }
    }

    /// A token from a creation body: `name`, `publicKey`, `externalId`, `permissionId`, `daysValid` or `secondsValid`.
    private static func issueToken(
        kind: String, userId: String, _ object: [String: Any], principal: Principal, accounts: AccountStore, credentials: CredentialStore,
        documents: DocumentStore
    ) throws(APIError) -> AccountStore.AccessToken {
        guard let name = object["name"] as? String, !name.isEmpty else {
            throw APIError.badRequest("name is required and must be a non-empty string")
        }
        guard let publicKey = object["publicKey"] as? String else { throw APIError.badRequest("publicKey is required and must be a PEM string") }
        let externalId = try optionalString(object, "externalId")
        var seconds = longestTokenValidity * 86_400
        if let value = object["daysValid"] {
            guard let days = SimulatorJSON.integer(value), (1...longestTokenValidity).contains(days) else {
                throw APIError.badRequest("daysValid must be an integer from 1 to \(longestTokenValidity)")
            }
            seconds = days * 86_400
        }
        if kind == "Pat", let value = object["secondsValid"] {
            guard let valid = SimulatorJSON.integer(value), (1...(longestTokenValidity * 86_400)).contains(valid) else {
                throw APIError.badRequest("secondsValid must be a positive integer of at most \(longestTokenValidity) days")
            }
            seconds = valid
        }
        var permission: [String: Any]?
        if let value = object["permissionId"] {
            guard let permissionId = value as? String else { throw APIError.badRequest("permissionId must be a string") }
            permission = try documents.get(.permission, permissionId, orgId: principal.orgId, what: "permission").json
            guard permission?["isArchived"] as? Bool != true else { throw APIError.badRequest("permission \(permissionId) is archived") }
        }
        let verifier = try CredentialStore.verifier(publicKey, "publicKey")
        var token = accounts.issue(
            kind: kind, userId: userId, orgId: principal.orgId, name: name, publicKey: publicKey, seconds: seconds, externalId: externalId)
        // The token's key: a personal access token signs with it alone, a service account's user signs with its keys.
        try credentials.add(
            CredentialStore.Credential(
                credentialUuid: credentials.newUuid(), credentialId: token.credentialId, kind: .key, userId: userId, orgId: principal.orgId,
                tokenId: kind == "Pat" ? token.tokenId : nil, material: .publicKey(pem: publicKey, verifier: verifier), encryptedPrivateKey: nil,
                relyingPartyId: "", origin: "", dateCreated: token.dateCreated, name: name))
        if let permission, let permissionId = permission["id"] as? String {
            // The assignment is the permissions domain's, to the new token, as `assignPermission` makes one.
            let assignmentId = documents.newId("as-")
            let now = SimulatedTransfer.format(Date())
            documents.insert(
                .permissionAssignment, id: assignmentId, orgId: principal.orgId, parent: permissionId,
                json: [
                    "id": assignmentId, "permissionId": permissionId, "identityId": token.tokenId, "isImmutable": false, "dateCreated": now,
                    "dateUpdated": now,
                ])
            token = try accounts.updateToken(token.tokenId, kind: kind, orgId: principal.orgId) { token in
                token.permissionAssignments = [
                    ["permissionId": permissionId, "permissionName": permission["name"] as? String ?? "", "assignmentId": assignmentId]
                ]
            }
        }
        return token
    }

    /// Changes the caller's personal access token named in the path; an archived one no longer changes.
    private static func changePat(_ accounts: AccountStore, _ context: SimulatorRequestContext, _ change: (inout AccountStore.AccessToken) -> Void)
        throws(APIError) -> [String: Any]
    {
        let principal = try context.caller()
        return try accounts.updateToken(parameter(context, "tokenId"), kind: "Pat", orgId: principal.orgId) { (token) throws(APIError) in
            guard token.userId == principal.userId else { throw patMissing(token.tokenId) }
            guard !token.isArchived else { throw APIError.badRequest("personal access token \(token.tokenId) is archived") }
            change(&token)
        }.json()
    }

    private static func patMissing(_ tokenId: String) -> APIError {
        APIError(404, "personal access token not found", details: ["tokenId": tokenId])
    }

    /// Changes the service account named in the path; an archived one no longer changes.
    private static func changeServiceAccount(
        _ accounts: AccountStore, _ context: SimulatorRequestContext, _ change: (inout AccountStore.ServiceAccount) -> Void
    ) throws(APIError) -> [String: Any] {
        let orgId = try context.caller().orgId
        let account = try accounts.updateServiceAccount(parameter(context, "serviceAccountId"), orgId: orgId) { (account) throws(APIError) in
            guard !account.isArchived else { throw APIError.badRequest("service account \(account.userId) is archived") }
            change(&account)
        }
        return try serviceAccountJSON(account.userId, accounts, orgId: orgId)
    }

    /// `{userInfo, accessTokens}` as Dfns answers a service account; the bearer only when it was just made.
    private static func serviceAccountJSON(_ userId: String, _ accounts: AccountStore, orgId: String, bearer: Bool = false) throws(APIError)
        -> [String: Any]
    {
        let account = try accounts.serviceAccount(userId, orgId: orgId)
        let token = try accounts.token(account.tokenId, kind: "ServiceAccount", orgId: orgId)
        var userInfo: [String: Any] = [
            "userId": account.userId, "username": account.name, "name": account.name, "kind": "ServiceAccount", "orgId": orgId,
            "credentialUuid": token.credentialId, "isActive": account.isActive && !account.isArchived, "isServiceAccount": true,
            "isRegistered": true, "isSSORequired": false, "permissionAssignments": token.permissionAssignments,
        ]
        userInfo["externalId"] = account.externalId
        var tokenJSON = token.json(withBearer: bearer)
        tokenJSON["isActive"] = account.isActive && !account.isArchived && token.isActive
        return ["userInfo": userInfo, "accessTokens": [tokenJSON]]
    }
}
