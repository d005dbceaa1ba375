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
    /// `PasswordProtectedKey` credentials: credential id → public key PEM (the user signs with the decrypted key).
    public var passwordProtectedKeyCredentials: [String: String]
    /// `Fido2` (passkey) credentials: credential id → ECDSA P-256 public key PEM.
    public var fido2Credentials: [String: String]
    /// The WebAuthn relying party id (`rp.id`) Fido2 assertions must be made for. Default `dfns.io`.
    public var relyingPartyId: String
    /// Every user action must carry a `secondFactor` from another credential. Default false.
    public var secondFactorRequired: Bool
    /// Requests per minute per organisation before 429 (init, action and reads count); nil = unlimited. Default nil.
    public var rateLimitPerMinute: Int?
    /// How long each transfer stage lasts: Pending, Executing and Broadcasted one step each. Default 500 ms.
    public var transferStep: Duration
    /// Share of transfers that end `Failed` after being broadcast. Default 0.
    public var failedFraction: Double
    /// Share of transfers that a policy ends `Rejected`. Default 0.
    public var rejectedFraction: Double
    /// Share of transfers that a `RequestApproval` policy holds in `Pending`: their creation is answered HTTP 202
    /// (as the official SDKs expect: TS `PolicyPendingError`, Go and Python return the body), and an approval decided
    /// through `/_sim/approvals`, or after ``approvalDelay``, releases or rejects them. Default 0.
    public var approvalFraction: Double
    /// Share of cancels and speed-ups whose original transaction is mined before the replacement (the replacement is
    /// then dropped), as Dfns warns can happen. Default 0: the replacement is mined.
    public var originalMinedFirstFraction: Double
    /// When set, a held transfer is approved automatically this long after its creation. Default nil (decided through
    /// `/_sim/approvals` only).
    public var approvalDelay: Duration?
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
    /// Lifetime of a login token (`/auth/login`, delegated, social, SSO and OIDC logins, end-user registration) and of
    /// a registration or recovery session's temporary token. Default 1 hour (inferred: Dfns documents "a relatively
    /// short period", dfns-auth.md §4).
    public var loginLifetime: Duration
    /// Answer `POST /keys/{keyId}/export`; Dfns enables key export per organisation and refuses it (403) otherwise.
    /// Default false.
    public var keyExportEnabled: Bool
    /// How long a webhook receiver has to answer a delivery. Default 5 s.
    public var webhookTimeout: Duration
    /// Waits before each retry of a delivery not answered 200 (Dfns: about 1 min, 12 min, 2 h, 1 day). Default 1 s, 2 s,
    /// 4 s, 8 s: the same four retries, quick enough to watch.
    public var webhookRetryDelays: [Duration]
    /// Seeded faults of webhook deliveries. Default none.
    public var webhookFaults: WebhookFaults

    public init(
        host: String = "127.0.0.1",
        port: Int = 8787,
        authTokens: [String] = ["sim-token"],
        credentials: [String: String] = [:],
        passwordProtectedKeyCredentials: [String: String] = [:],
        fido2Credentials: [String: String] = [:],
        relyingPartyId: String = "dfns.io",
        secondFactorRequired: Bool = false,
        rateLimitPerMinute: Int? = nil,
        transferStep: Duration = .milliseconds(500),
        failedFraction: Double = 0,
        rejectedFraction: Double = 0,
        approvalFraction: Double = 0,
        originalMinedFirstFraction: Double = 0,
        approvalDelay: Duration? = nil,
        deniedDestinations: Set<String> = [],
        faults: [SimulatorEndpoint: FaultRule] = [:],
        seed: UInt64 = 1,
        strictPayloadMatch: Bool = false,
        acceptRawECDSA: Bool = false,
        uniqueWalletExternalId: Bool = false,
        userActionLifetime: Duration = .seconds(300),
        loginLifetime: Duration = .seconds(3600),
        keyExportEnabled: Bool = false,
        webhookTimeout: Duration = .seconds(5),
        webhookRetryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8)],
        webhookFaults: WebhookFaults = WebhookFaults()
    ) {
        self.host = host
        self.port = port
        self.authTokens = authTokens
        self.credentials = credentials
        self.passwordProtectedKeyCredentials = passwordProtectedKeyCredentials
        self.fido2Credentials = fido2Credentials
        self.relyingPartyId = relyingPartyId
        self.secondFactorRequired = secondFactorRequired
        self.rateLimitPerMinute = rateLimitPerMinute
        self.transferStep = transferStep
        self.failedFraction = failedFraction
        self.rejectedFraction = rejectedFraction
        self.approvalFraction = approvalFraction
        self.originalMinedFirstFraction = originalMinedFirstFraction
        self.approvalDelay = approvalDelay
        self.deniedDestinations = deniedDestinations
        self.faults = faults
        self.seed = seed
        self.strictPayloadMatch = strictPayloadMatch
        self.acceptRawECDSA = acceptRawECDSA
        self.uniqueWalletExternalId = uniqueWalletExternalId
        self.userActionLifetime = userActionLifetime
        self.loginLifetime = loginLifetime
        self.keyExportEnabled = keyExportEnabled
        self.webhookTimeout = webhookTimeout
        self.webhookRetryDelays = webhookRetryDelays
        self.webhookFaults = webhookFaults
    }
}

/// Faults for one endpoint; each rate is a probability per request, drawn from the seeded generator.
///
/// Besides the classic transport faults, it reproduces what a proxy or an evolving API does to a client: an answer
/// lost or replaced by a 502 after the operation committed, a 2xx whose body is not the entity, a 404 on a read, an
/// absurd `Retry-After`, a NUL character in text Dfns sends back.
public struct FaultRule: Sendable, Hashable, Codable {
    /// Share of requests answered 500/502/503 before doing anything.
    public var serverErrorRate: Double
    /// Added latency before the request is handled.
    public var latencyMilliseconds: Int
    /// Share of requests that start a burst of 429s.
    public var rateLimitBurstRate: Double
    /// Length of a 429 burst, in requests.
    public var rateLimitBurstLength: Int
    /// `Retry-After` of the injected 429s, sent verbatim (e.g. `1e300` or an HTTP date). Default `1`.
    public var rateLimitRetryAfter: String
    /// Share of successful writes whose response is lost: the operation is recorded, then the connection closes.
    public var lostAfterCommitRate: Double
    /// Share of successful writes answered 502 by a "proxy" after the operation was recorded.
    public var serverErrorAfterCommitRate: Double
    /// Share of successful requests answered 2xx with a body that is not the entity (cut in half), after commit.
    public var garbledResponseRate: Double
    /// Share of reads answered 404, as when an entity is briefly invisible to a replica.
    public var notFoundRate: Double
    /// Share of created transfers that a policy rejects with a reason containing a NUL character (U+0000).
    public var nulReasonRate: Double
    /// A proxy in front of the endpoint that answers 502 after this many milliseconds while the request goes on and
    /// commits (combine with ``latencyMilliseconds``); 0 = no proxy.
    public var proxyTimeoutMilliseconds: Int

    public init(
        serverErrorRate: Double = 0,
        latencyMilliseconds: Int = 0,
        rateLimitBurstRate: Double = 0,
        rateLimitBurstLength: Int = 3,
        rateLimitRetryAfter: String = "1",
        lostAfterCommitRate: Double = 0,
        serverErrorAfterCommitRate: Double = 0,
        garbledResponseRate: Double = 0,
        notFoundRate: Double = 0,
        nulReasonRate: Double = 0,
        proxyTimeoutMilliseconds: Int = 0
    ) {
        self.serverErrorRate = serverErrorRate
        self.latencyMilliseconds = latencyMilliseconds
        self.rateLimitBurstRate = rateLimitBurstRate
        self.rateLimitBurstLength = rateLimitBurstLength
        self.rateLimitRetryAfter = rateLimitRetryAfter
        self.lostAfterCommitRate = lostAfterCommitRate
        self.serverErrorAfterCommitRate = serverErrorAfterCommitRate
        self.garbledResponseRate = garbledResponseRate
        self.notFoundRate = notFoundRate
        self.nulReasonRate = nulReasonRate
        self.proxyTimeoutMilliseconds = proxyTimeoutMilliseconds
    }

    /// Decodes a rule from `/_sim/faults`; absent fields keep their defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FaultRule()
        self.init(
            serverErrorRate: try container.decodeIfPresent(Double.self, forKey: .serverErrorRate) ?? defaults.serverErrorRate,
            latencyMilliseconds: try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? defaults.latencyMilliseconds,
            rateLimitBurstRate: try container.decodeIfPresent(Double.self, forKey: .rateLimitBurstRate) ?? defaults.rateLimitBurstRate,
            rateLimitBurstLength: try container.decodeIfPresent(Int.self, forKey: .rateLimitBurstLength) ?? defaults.rateLimitBurstLength,
            rateLimitRetryAfter: try container.decodeIfPresent(String.self, forKey: .rateLimitRetryAfter) ?? defaults.rateLimitRetryAfter,
            lostAfterCommitRate: try container.decodeIfPresent(Double.self, forKey: .lostAfterCommitRate) ?? defaults.lostAfterCommitRate,
            serverErrorAfterCommitRate: try container.decodeIfPresent(Double.self, forKey: .serverErrorAfterCommitRate)
                ?? defaults.serverErrorAfterCommitRate,
            garbledResponseRate: try container.decodeIfPresent(Double.self, forKey: .garbledResponseRate) ?? defaults.garbledResponseRate,
            notFoundRate: try container.decodeIfPresent(Double.self, forKey: .notFoundRate) ?? defaults.notFoundRate,
            nulReasonRate: try container.decodeIfPresent(Double.self, forKey: .nulReasonRate) ?? defaults.nulReasonRate,
            proxyTimeoutMilliseconds: try container.decodeIfPresent(Int.self, forKey: .proxyTimeoutMilliseconds) ?? defaults.proxyTimeoutMilliseconds
        )
    }

    /// The `--fault` keys, for help and error messages.
    public static let keys =
        "5xx, latency-ms, 429-burst, 429-length, 429-retry-after, lost, 5xx-after-commit, garbled, 404, nul-reason, proxy-timeout-ms"

    /// Parses `key=value[,key=value…]` with the keys of ``keys``.
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
            case "5xx-after-commit": serverErrorAfterCommitRate = try Self.rate(key, value)
            case "garbled": garbledResponseRate = try Self.rate(key, value)
            case "404": notFoundRate = try Self.rate(key, value)
            case "nul-reason": nulReasonRate = try Self.rate(key, value)
            case "429-retry-after":
                guard !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) else {
                    throw SimulatorConfigurationError("429-retry-after must be printable ASCII")
                }
                rateLimitRetryAfter = value
            case "latency-ms", "proxy-timeout-ms":
                guard let ms = Int(value), ms >= 0 else { throw SimulatorConfigurationError("\(key) must be a non-negative integer") }
                if key == "latency-ms" { latencyMilliseconds = ms } else { proxyTimeoutMilliseconds = ms }
            case "429-length":
                guard let length = Int(value), length >= 1 else { throw SimulatorConfigurationError("429-length must be a positive integer") }
                rateLimitBurstLength = length
            default:
                throw SimulatorConfigurationError("unknown fault key \(key) (use \(Self.keys))")
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
