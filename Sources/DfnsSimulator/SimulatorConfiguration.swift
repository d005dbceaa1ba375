import Foundation

/// Everything a ``DfnsSimulator`` can be told. Defaults give a quick, clean demo: no faults, no rate limit, and a
/// transfer Confirmed 1.5 s after creation.
public struct SimulatorConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`: the simulator is a development tool, not a public service.
    public var host: String
    /// Port to bind; 0 picks a free one (see ``DfnsSimulator/onServerRunning``). Default 8787.
    public var port: Int
    /// Bearer tokens the simulated organisation accepts. Default `["sim-token"]`.
    public var authTokens: [String]
    /// Key credentials: credential id → SubjectPublicKeyInfo PEM (Ed25519, P-256, secp256k1 or RSA).
    public var credentials: [String: String]
    /// Requests per minute per organisation before 429 (init, action and reads count); nil = unlimited. Default nil.
    public var rateLimitPerMinute: Int?
    /// How long each transfer stage lasts: Pending, Executing and Broadcasted one step each. Default 500 ms.
    public var transferStep: Duration
    /// Share of transfers that end `Failed` after being broadcast. Default 0.
    public var failedFraction: Double
    /// Share of transfers that a policy ends `Rejected`. Default 0.
    public var rejectedFraction: Double
    /// Share of transfers that wait in `Pending` for an approval decided through `/_sim/approvals`. Default 0.
    public var approvalFraction: Double
    /// Destination addresses a deny-list policy rejects (the transfer ends `Rejected`).
    public var deniedDestinations: Set<String>
    /// Faults injected per endpoint.
    public var faults: [SimulatorEndpoint: FaultRule]
    /// Seed of every random decision (outcomes, faults), so runs are reproducible. Default 1.
    public var seed: UInt64
    /// Compare a user action's payload with the body byte for byte instead of as JSON values. Default false.
    public var strictPayloadMatch: Bool
    /// Accept raw r‖s ECDSA signatures as well as DER. Default false (Dfns wants DER).
    public var acceptRawECDSA: Bool
    /// Refuse a second wallet with the same `externalId` (409). Default false: Dfns does not document it.
    public var uniqueWalletExternalId: Bool
    /// Lifetime of a challenge and of a user-action token. Default 5 minutes.
    public var userActionLifetime: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 8787,
        authTokens: [String] = ["sim-token"],
        credentials: [String: String] = [:],
        rateLimitPerMinute: Int? = nil,
        transferStep: Duration = .milliseconds(500),
        failedFraction: Double = 0,
        rejectedFraction: Double = 0,
        approvalFraction: Double = 0,
        deniedDestinations: Set<String> = [],
        faults: [SimulatorEndpoint: FaultRule] = [:],
        seed: UInt64 = 1,
        strictPayloadMatch: Bool = false,
        acceptRawECDSA: Bool = false,
        uniqueWalletExternalId: Bool = false,
        userActionLifetime: Duration = .seconds(300)
    ) {
        self.host = host
        self.port = port
        self.authTokens = authTokens
        self.credentials = credentials
        self.rateLimitPerMinute = rateLimitPerMinute
        self.transferStep = transferStep
        self.failedFraction = failedFraction
        self.rejectedFraction = rejectedFraction
        self.approvalFraction = approvalFraction
        self.deniedDestinations = deniedDestinations
        self.faults = faults
        self.seed = seed
        self.strictPayloadMatch = strictPayloadMatch
        self.acceptRawECDSA = acceptRawECDSA
        self.uniqueWalletExternalId = uniqueWalletExternalId
        self.userActionLifetime = userActionLifetime
    }
}

/// The endpoints faults can be injected into.
public enum SimulatorEndpoint: String, Sendable, Hashable, CaseIterable, Codable {
    case actionInit = "init"
    case action
    case createWallet = "create-wallet"
    case createTransfer = "create-transfer"
    case read
}

/// Faults for one endpoint; each rate is a probability per request, drawn from the seeded generator.
public struct FaultRule: Sendable, Hashable, Codable {
    /// Share of requests answered 500/502/503 before doing anything.
    public var serverErrorRate: Double
    /// Added latency before the request is handled.
    public var latencyMilliseconds: Int
    /// Share of requests that start a burst of 429s.
    public var rateLimitBurstRate: Double
    /// Length of a 429 burst, in requests.
    public var rateLimitBurstLength: Int
    /// Share of successful writes whose response is lost: the operation is recorded, then the connection closes.
    public var lostAfterCommitRate: Double

    public init(
        serverErrorRate: Double = 0,
        latencyMilliseconds: Int = 0,
        rateLimitBurstRate: Double = 0,
        rateLimitBurstLength: Int = 3,
        lostAfterCommitRate: Double = 0
    ) {
        self.serverErrorRate = serverErrorRate
        self.latencyMilliseconds = latencyMilliseconds
        self.rateLimitBurstRate = rateLimitBurstRate
        self.rateLimitBurstLength = rateLimitBurstLength
        self.lostAfterCommitRate = lostAfterCommitRate
    }

    /// Parses `key=value[,key=value…]` with keys `5xx`, `latency-ms`, `429-burst`, `429-length`, `lost`.
    public init(parsing text: String) throws(SimulatorConfigurationError) {
        self.init()
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw SimulatorConfigurationError("fault \(item) is not key=value") }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "5xx": serverErrorRate = try Self.rate(key, value)
            case "429-burst": rateLimitBurstRate = try Self.rate(key, value)
            case "lost": lostAfterCommitRate = try Self.rate(key, value)
            case "latency-ms":
                guard let ms = Int(value), ms >= 0 else { throw SimulatorConfigurationError("latency-ms must be a non-negative integer") }
                latencyMilliseconds = ms
            case "429-length":
                guard let length = Int(value), length >= 1 else { throw SimulatorConfigurationError("429-length must be a positive integer") }
                rateLimitBurstLength = length
            default:
                throw SimulatorConfigurationError("unknown fault key \(key) (use 5xx, latency-ms, 429-burst, 429-length, lost)")
            }
        }
    }

    private static func rate(_ key: String, _ value: String) throws(SimulatorConfigurationError) -> Double {
        guard let rate = Double(value), (0...1).contains(rate) else {
            throw SimulatorConfigurationError("\(key) must be a probability between 0 and 1")
        }
        return rate
    }
}

/// A simulator option that cannot be used.
public struct SimulatorConfigurationError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
