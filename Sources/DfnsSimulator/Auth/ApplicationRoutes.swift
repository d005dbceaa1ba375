import Foundation
import Hummingbird

/// The application routes of the auth client, deprecated at Dfns but still served (dfns-sdk 1.0.4
/// `generated/auth/client.py` `list_applications`, `get_application`; shape of `GetApplicationResponse` there and in
/// dfns-sdk-go `auth.GetApplicationResponse`; examples of dfns-api-docs `api-docs/authentication/application-management/
/// {listApplications,getApplication}.md`): `{appId, kind: ServerSideApplication|ClientSideApplication, orgId,
/// expectedRpId?, expectedOrigin?, name, isActive, permissionAssignments, accessTokens}`, listed as `{items}` without
/// pages (the Python type has no `nextPageToken`); an id that is not one of the caller's organisation is a 404.
///
/// An organisation's applications are its default application and the ones its tokens are linked to (`linkedAppId`
/// of its personal access tokens and service accounts, ``AccountStore/AccessToken``), oldest first. Sources are silent
/// on both, so the simulator chooses: the default application is a `ClientSideApplication` named "Default
/// Application", its id the organisation's with the `ap-` prefix, expecting the configured relying party and
/// `https://` on it (the dashboard's kind of application); a token's application is a `ServerSideApplication` named
/// as the token, without the deprecated WebAuthn expectations. All are active, hold no permission of their own and
/// have no application tokens (`accessTokens: []`: no `Application` token is modelled).
extension DfnsSimulator {
    func addApplicationRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/auth/apps") { [accountStore, configuration] _, context in
            APIResponse(json: ["items": Self.applications(accountStore, configuration, orgId: try context.caller().orgId)])
        }
        api.get("/auth/apps/:appId") { [accountStore, configuration] _, context in
            let appId = try Self.parameter(context, "appId")
            guard
                let app = Self.applications(accountStore, configuration, orgId: try context.caller().orgId).first(where: {
                    $0["appId"] as? String == appId
                })
            else { throw APIError(404, "application not found", details: ["appId": appId]) }
            return APIResponse(json: app)
        }
    }

    /// The organisation's applications, the default one first.
    static func applications(_ accounts: AccountStore, _ configuration: SimulatorConfiguration, orgId: String) -> [[String: Any]] {
        let tokens = (accounts.tokens(kind: "Pat", orgId: orgId) + accounts.tokens(kind: "ServiceAccount", orgId: orgId)).sorted {
            $0.dateCreated < $1.dateCreated
        }
        let defaultId = "ap-" + (orgId.hasPrefix("or-") ? String(orgId.dropFirst(3)) : orgId)
        var apps = [
            application(defaultId, "ClientSideApplication", orgId: orgId, name: "Default Application", relyingPartyId: configuration.relyingPartyId)
        ]
        var seen: Set = [defaultId]
        for token in tokens where seen.insert(token.linkedAppId).inserted {
            apps.append(application(token.linkedAppId, "ServerSideApplication", orgId: orgId, name: token.name))
        }
        return apps
    }

    private static func application(_ appId: String, _ kind: String, orgId: String, name: String, relyingPartyId: String? = nil) -> [String: Any] {
        var app: [String: Any] = [
            "appId": appId, "kind": kind, "orgId": orgId, "name": name, "isActive": true, "permissionAssignments": [Any](), "accessTokens": [Any](),
        ]
        if let relyingPartyId {
            app["expectedRpId"] = relyingPartyId
            app["expectedOrigin"] = "https://" + relyingPartyId
        }
        return app
    }
}
