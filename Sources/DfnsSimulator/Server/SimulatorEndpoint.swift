import HTTPTypes

/// The classes of Dfns API request the simulator paces and injects faults into, named as `/_sim/faults` and
/// `--fault` take them. Every part that treats requests by class (rate limit, faults, user actions, the proxy) asks
/// ``init(method:path:)``, so the classes are declared once.
public enum SimulatorEndpoint: String, Sendable, Hashable, CaseIterable, Codable {
    case actionInit = "init"
    case action
    case createWallet = "create-wallet"
    case createTransfer = "create-transfer"
    /// Abort, cancel or speed-up of a transfer (`…/transfers/{id}/abort|cancel|speed-up`, signed, no body).
    case transferAction = "transfer-action"
    /// Every other signed write (tags, keys, signatures, transactions, policies, approvals' decisions, webhooks…).
    case write
    /// Reads, and the unsigned POSTs that only read (`/networks/{network}/call-function`, the Canton ledger proxy).
    case read

    /// The class of a Dfns API request; nil for the control plane (`/_sim/…`).
    init?(method: HTTPRequest.Method, path: String) {
        let parts = path.split(separator: "/")
        if parts.first == "_sim" { return nil }
        switch method {
        case .get: self = .read
        case .post where parts == ["auth", "action", "init"]: self = .actionInit
        case .post where parts == ["auth", "action"]: self = .action
        case .post where parts == ["wallets"]: self = .createWallet
        case .post where parts.count == 3 && parts[0] == "wallets" && parts[2] == "transfers": self = .createTransfer
        case .put where Self.isTransferAction(parts, "abort"),
            .post where Self.isTransferAction(parts, "cancel") || Self.isTransferAction(parts, "speed-up"):
            self = .transferAction
        // Signing is required on every write but those the official SDK sends unsigned.
        case _ where Self.unsignedWrites.contains(where: { $0.method == method && Self.matches(parts, $0.path) }): self = .read
        default: self = .write
        }
    }

    /// The writes dfns-sdk 1.0.4 sends without a user action (`requires_signature=False`), and the TypeScript SDK's
    /// `networks.readContract`: contract reads, the Canton ledger proxy, quotes, and the login and registration
    /// flows that come before a user has a credential. Path segments in braces match any id.
    static let unsignedWrites: [(method: HTTPRequest.Method, path: [Substring])] = [
        (.post, "/networks/{network}/call-function"), (.post, "/networks/read-contract"), (.post, "/wallets/{walletId}/canton/ledger-api"),
        (.post, "/swaps/quotes"), (.post, "/allocations/get-0fns-quote"), (.post, "/payins/quote"), (.post, "/payouts/quote"),
        (.post, "/auth/credentials/init"), (.post, "/auth/credentials/code/init"), (.post, "/auth/credentials/code/verify"),
        (.post, "/auth/login/init"), (.post, "/auth/login"), (.put, "/auth/logout"), (.post, "/auth/login/oidc/credentials"),
        (.post, "/auth/login/oidc"), (.post, "/auth/login/oidc/init"), (.post, "/auth/login/code"), (.post, "/auth/login/social"),
        (.post, "/auth/login/sso"), (.post, "/auth/login/sso/init"), (.post, "/auth/tokens"), (.post, "/auth/recover/user"),
        (.post, "/auth/recover/user/init"), (.post, "/auth/recover/user/code"), (.post, "/auth/registration/init"),
        (.post, "/auth/registration/social"), (.post, "/auth/registration"), (.post, "/auth/registration/enduser"),
        (.put, "/auth/registration/code"),
    ].map { (method: HTTPRequest.Method, path: String) in (method, path.split(separator: "/")) }

    /// The auth routes Dfns answers without a bearer token (dfns-auth.md §1: logins, registration and recovery before
    /// a user has a token, and the registration and recovery completions, which take the session's temporary token
    /// and check it themselves). The official Python and Go SDKs send their configured bearer anyway: it is ignored
    /// when it is not valid.
    static let publicRoutes: [(method: HTTPRequest.Method, path: [Substring])] = [
        (.post, "/auth/login/init"), (.post, "/auth/login"), (.post, "/auth/login/code"), (.post, "/auth/login/social"),
        (.post, "/auth/login/sso/init"), (.post, "/auth/login/sso"), (.post, "/auth/login/oidc/init"), (.post, "/auth/login/oidc"),
        (.post, "/auth/login/oidc/credentials"), (.post, "/auth/registration/init"), (.post, "/auth/registration/social"),
        (.put, "/auth/registration/code"), (.post, "/auth/registration"), (.post, "/auth/registration/enduser"), (.post, "/auth/recover/user/init"),
        (.post, "/auth/recover/user/code"), (.post, "/auth/recover/user"), (.post, "/auth/credentials/code/init"),
        (.post, "/auth/credentials/code/verify"),
    ].map { (method: HTTPRequest.Method, path: String) in (method, path.split(separator: "/")) }

    /// True for a route of ``publicRoutes``.
    static func isPublic(method: HTTPRequest.Method, path: String) -> Bool {
        let parts = path.split(separator: "/")
        return publicRoutes.contains { $0.method == method && matches(parts, $0.path) }
    }

    private static func matches(_ parts: [Substring], _ template: [Substring]) -> Bool {
        parts.count == template.count && zip(parts, template).allSatisfy { $0 == $1 || $1.hasPrefix("{") }
    }

    private static func isTransferAction(_ parts: [Substring], _ action: String) -> Bool {
        parts.count == 5 && parts[0] == "wallets" && parts[2] == "transfers" && parts[4] == action
    }

    /// A write that needs a user action (`X-DFNS-USERACTION`).
    var isSignedWrite: Bool { [.createWallet, .createTransfer, .transferAction, .write].contains(self) }
}
