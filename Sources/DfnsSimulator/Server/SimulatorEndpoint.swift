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
        // Signing is required on every write but these two (dfns-sdk 1.0.4: `requires_signature=False`).
        case .post where parts.count == 3 && parts[0] == "networks" && parts[2] == "call-function": self = .read
        case .post where parts.count == 4 && parts[0] == "wallets" && parts[2] == "canton" && parts[3] == "ledger-api": self = .read
        default: self = .write
        }
    }

    private static func isTransferAction(_ parts: [Substring], _ action: String) -> Bool {
        parts.count == 5 && parts[0] == "wallets" && parts[2] == "transfers" && parts[4] == action
    }

    /// A write that needs a user action (`X-DFNS-USERACTION`).
    var isSignedWrite: Bool { [.createWallet, .createTransfer, .transferAction, .write].contains(self) }
}
