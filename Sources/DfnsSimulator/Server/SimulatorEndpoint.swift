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

    /// Who a write dfns-sdk 1.0.4 sends without a user action answers to.
    enum UnsignedWrite {
        /// A caller with a valid token.
        case authenticated
        /// Anyone: Dfns answers it without a bearer token (dfns-auth.md §1: logins, registration and recovery before a
        /// user has a token, and the registration and recovery completions, which take the session's temporary token
        /// and check it themselves). The official Python and Go SDKs send their configured bearer anyway: it is
        /// ignored when it is not valid.
        case open
    }

    /// The writes dfns-sdk 1.0.4 sends without a user action (`requires_signature=False`), and the TypeScript SDK's
    /// `networks.readContract`: contract reads, the Canton ledger proxy, quotes, and the login and registration
    /// flows that come before a user has a credential, each with who it answers to. Path segments in braces match
    /// any id.
    static let unsignedWrites: [(method: HTTPRequest.Method, path: [Substring], answers: UnsignedWrite)] = [
        (.post, "/networks/{network}/call-function", .authenticated), (.post, "/networks/read-contract", .authenticated),
        (.post, "/wallets/{walletId}/canton/ledger-api", .authenticated), (.post, "/swaps/quotes", .authenticated),
        (.post, "/allocations/get-0fns-quote", .authenticated), (.post, "/payins/quote", .authenticated), (.post, "/payouts/quote", .authenticated),
        (.post, "/auth/credentials/init", .authenticated), (.put, "/auth/logout", .authenticated), (.post, "/auth/tokens", .authenticated),
        (.post, "/auth/credentials/code/init", .open), (.post, "/auth/credentials/code/verify", .open), (.post, "/auth/login/init", .open),
        (.post, "/auth/login", .open), (.post, "/auth/login/oidc/credentials", .open), (.post, "/auth/login/oidc", .open),
        (.post, "/auth/login/oidc/init", .open), (.post, "/auth/login/code", .open), (.post, "/auth/login/social", .open),
        (.post, "/auth/login/sso", .open), (.post, "/auth/login/sso/init", .open), (.post, "/auth/recover/user", .open),
        (.post, "/auth/recover/user/init", .open), (.post, "/auth/recover/user/code", .open), (.post, "/auth/registration/init", .open),
        (.post, "/auth/registration/social", .open), (.post, "/auth/registration", .open), (.post, "/auth/registration/enduser", .open),
        (.put, "/auth/registration/code", .open),
    ].map { (method: HTTPRequest.Method, path: String, answers: UnsignedWrite) in (method, path.split(separator: "/"), answers) }

    /// True for a route Dfns answers without a token (``UnsignedWrite/open``).
    static func isPublic(method: HTTPRequest.Method, path: String) -> Bool {
        let parts = path.split(separator: "/")
        return unsignedWrites.contains { $0.answers == .open && $0.method == method && matches(parts, $0.path) }
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
