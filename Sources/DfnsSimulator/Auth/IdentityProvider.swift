import COpenSSL
import Foundation
import Synchronization

/// The identity provider behind the simulator's social, SSO and OIDC logins: Dfns trusts an external one (Google,
/// Okta…, configured per organisation), which cannot be reached from a test, so the simulator plays it as well
/// (inferred, as a test double of an IdP would; nothing of Dfns's side is skipped). It signs ID tokens (JWT, HS256,
/// `iss` ``issuer``, `aud` the organisation, `email`, `exp` 10 minutes) the control plane hands out
/// (`POST /_sim/idp/id-token {email}`), and runs the authorization-code flow: Dfns's init answers a redirect to
/// ``issuer``/authorize with a `state`; the "user" signs in there through the control plane
/// (`POST /_sim/idp/authorize {state, email}`), which answers the `code` and the redirect back; Dfns's completion
/// exchanges `code` and `state` once.
final class IdentityProvider: Sendable {
    /// The provider's issuer URL (a reserved `.invalid` name: nothing answers there).
    static let issuer = "https://idp.simulator.dfns.invalid"

    /// An authorization-code flow between Dfns's init and its completion.
    struct Flow: Sendable {
        /// `Sso` or `Oidc`.
        let kind: String
        let orgId: String
        let redirectUri: String
        let nonce: String?
        var email: String?
        var code: String?
        let expires: Date
    }

    private struct State {
        var generator: SplitMix64
        var flows: [String: Flow] = [:]
    }

    private let secret: [UInt8]
    private let state: Mutex<State>

    init(seed: UInt64) {
        var generator = SplitMix64(seed: seed ^ 0x1D_F00D)
        secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        state = Mutex(State(generator: generator))
    }

    // MARK: ID tokens

    /// A signed ID token for `email`, audience `orgId`.
    func idToken(email: String, orgId: String, lifetime: TimeInterval = 600) -> String {
        let now = Int(Date().timeIntervalSince1970)
        let header = Base64Text.url(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = Base64Text.url(
            SimulatorJSON.serialize(
                [
                    "iss": Self.issuer, "aud": orgId, "sub": "idp|" + email, "email": email, "email_verified": true, "iat": now,
                    "exp": now + Int(lifetime),
                ]
                    as [String: Any], sorted: true))
        return header + "." + claims + "." + Base64Text.url(sign(header + "." + claims))
    }

    /// The email of a valid ID token of this provider for `orgId`; 401 naming what does not hold.
    func email(fromIdToken token: String, orgId: String) throws(APIError) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Base64Text.decodeURL(String(parts[2])),
            let claims = Base64Text.decodeURL(String(parts[1])).flatMap({ SimulatorJSON.parse($0) as? [String: Any] })
        else { throw APIError.badRequest("idToken is not a JWT") }
        guard signature == sign(parts[0] + "." + parts[1]) else { throw APIError(401, "idToken: the signature is not the identity provider's") }
        guard claims["iss"] as? String == Self.issuer, claims["aud"] as? String == orgId else {
            throw APIError(401, "idToken: not issued by the organisation's identity provider for this organisation")
        }
        guard let expiry = SimulatorJSON.integer(claims["exp"]), Date(timeIntervalSince1970: TimeInterval(expiry)) > Date() else {
            throw APIError(401, "idToken has expired")
        }
        guard let email = claims["email"] as? String else { throw APIError(401, "idToken has no email") }
        return email
    }

    // MARK: Authorization-code flows

    /// Starts a flow; answers its `state` and the URL Dfns redirects the user to.
    func start(kind: String, orgId: String, clientId: String?, redirectUri: String, nonce: String?) -> (state: String, url: String) {
        state.withLock { state in
            // Anyone may start a flow (no token): expired ones are dropped once they pile up, and past 100,000 open
            // ones the oldest go, so memory stays bounded.
            if state.flows.count > 10_000 { state.flows = state.flows.filter { $0.value.expires > Date() } }
            if state.flows.count > 100_000, let oldest = state.flows.min(by: { $0.value.expires < $1.value.expires })?.key {
                state.flows[oldest] = nil
            }
            let flowState = state.generator.string(32, from: Self.alphabet)
            state.flows[flowState] = Flow(kind: kind, orgId: orgId, redirectUri: redirectUri, nonce: nonce, expires: Date().addingTimeInterval(600))
            var query = URLComponents(string: Self.issuer + "/authorize")
            query?.queryItems =
                [URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "redirect_uri", value: redirectUri)]
                + [clientId.map { URLQueryItem(name: "client_id", value: $0) }, nonce.map { URLQueryItem(name: "nonce", value: $0) }].compactMap {
                    $0
                }
                + [URLQueryItem(name: "state", value: flowState)]
            return (flowState, query?.string ?? Self.issuer)
        }
    }

    /// The user `email` signs in at the provider for flow `state`: answers the code and the redirect back.
    func authorize(state flowState: String, email: String) -> (code: String, redirect: String)? {
        state.withLock { state in
            guard var flow = state.flows[flowState], flow.expires > Date(), flow.code == nil else { return nil }
            let code = state.generator.string(40, from: Self.alphabet)
            flow.email = email
            flow.code = code
            state.flows[flowState] = flow
            guard var redirect = URLComponents(string: flow.redirectUri) else { return (code, flow.redirectUri) }
            let items = redirect.queryItems ?? []
            redirect.queryItems = items + [URLQueryItem(name: "code", value: code), URLQueryItem(name: "state", value: flowState)]
            return (code, redirect.string ?? flow.redirectUri)
        }
    }

    /// Completes flow `state` of `kind` with its `code`, once: the organisation and the signed-in email.
    func complete(kind: String, code: String, state flowState: String) throws(APIError) -> (orgId: String, email: String) {
        try state.withLock { (state) throws(APIError) -> (String, String) in
            guard let flow = state.flows[flowState], flow.kind == kind, flow.expires > Date() else {
                throw APIError(401, "state is not an open \(kind) login")
            }
            guard let expected = flow.code, expected == code, let email = flow.email else {
                throw APIError(401, "code is not the identity provider's code for this state")
            }
            state.flows[flowState] = nil
            return (flow.orgId, email)
        }
    }

    private func sign<Text: StringProtocol>(_ text: Text) -> [UInt8] { SimulatorDigest.hmacSHA256(key: secret, Array(text.utf8)) }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
}
