import HTTPTypes

/// The classes of Dfns API request the simulator paces and injects faults into, named as `/_sim/faults` and
/// `--fault` take them. Every part that treats requests by class (rate limit, faults, user actions, the proxy) asks
/// ``init(method:path:)``, so the classes are declared once.
public enum SimulatorEndpoint: String, Sendable, Hashable, CaseIterable, Codable {
    case actionInit = "init"
    case action
    case createWallet = "create-wallet"
    case createTransfer = "create-transfer"
    /// Abort of a transfer (`PUT …/transfers/{id}/abort`, signed, no body).
    case transferAction = "transfer-action"
    case read

    /// The class of a Dfns API request; nil for the control plane (`/_sim/…`) and anything else.
    init?(method: HTTPRequest.Method, path: String) {
        let parts = path.split(separator: "/")
        if parts.first == "_sim" { return nil }
        switch method {
        case .get: self = .read
        case .post where parts == ["auth", "action", "init"]: self = .actionInit
        case .post where parts == ["auth", "action"]: self = .action
        case .post where parts == ["wallets"]: self = .createWallet
        case .post where parts.count == 3 && parts[0] == "wallets" && parts[2] == "transfers": self = .createTransfer
        case .put where parts.count == 5 && parts[0] == "wallets" && parts[2] == "transfers" && parts[4] == "abort": self = .transferAction
        default: return nil
        }
    }

    /// A write that needs a user action (`X-DFNS-USERACTION`).
    var isSignedWrite: Bool { self == .createWallet || self == .createTransfer || self == .transferAction }
}
