/// How a ``DfnsClient`` or ``DfnsDelegatedClient`` reaches Dfns. The logger and HTTP client are passed separately.
public struct DfnsClientConfiguration: Sendable, CustomStringConvertible {
    /// The API root, e.g. `https://api.dfns.io` (default) or a simulator's `http://127.0.0.1:8787`.
    public var baseURL: String
    /// The service-account (or end-user) bearer token. Never logged or described.
    public var authToken: String
    /// The `origin` written into signed client data. Default `https://app.dfns.io`.
    public var appOrigin: String
    /// Timeout of one HTTP exchange, connect included. Default 30 s, as the official SDKs.
    public var requestTimeout: Duration
    /// The `User-Agent` header. Default `dfns-worker-swift/<version>`.
    public var userAgent: String
    /// Headers sent with every request besides the SDK's own, as the official Python SDK's `DfnsClientConfig.headers`
    /// (e.g. a header a proxy routes or traces by). Default none. The SDK's own (``reservedHeaders``) cannot be set here,
    /// and a name must be an HTTP token and a value one line: a client so configured sends nothing and every request
    /// fails with a ``DfnsError/Code/validation`` naming the header.
    public var headers: [String: String]
    /// Request budget of this client per minute, init and action calls included; nil = unpaced. Default 1000, the
    /// Dfns limit of a paid organisation (use 100 on a trial).
    public var requestsPerMinute: Int?
    /// A budget shared with other processes sending to the same organisation, drawn from after ``requestsPerMinute``
    /// allowed a request; nil (default) paces this client alone.
    public var sharedBudget: (any DfnsRequestBudget)?
    /// Backoff for what the SDK retries on its own: reads, the init and action steps of a signed write, a write
    /// whose connection was never made, and (see ``writeReplay``) writes whose body carries an `externalId`.
    public var retryPolicy: RetryPolicy
    /// Which signed writes that may have reached Dfns the client sends again on its own. Default ``WriteReplay/idempotent``.
    public var writeReplay: WriteReplay
    /// Largest response body accepted. Default 8 MiB.
    public var maxResponseBytes: Int
    /// Told about every HTTP exchange (endpoint template, status, duration), e.g. for metrics. Default nil.
    public var observer: (any DfnsRequestObserver)?

    /// Headers the SDK sets itself, which ``headers`` may not: the credentials, the user action, the body's framing and
    /// type, and ``userAgent``. Compared without case.
    public static let reservedHeaders: Set<String> = [
        "authorization", "x-dfns-useraction", "content-type", "content-length", "transfer-encoding", "accept", "host", "user-agent",
    ]

    /// Why ``headers`` cannot be sent, naming the header; nil when they can.
    public var headerProblem: String? {
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, name.utf8.allSatisfy(token.contains) else { return "headers: \"\(name)\" is not an HTTP header name" }
            if Self.reservedHeaders.contains(name.lowercased()) { return "headers: \(name) is set by the SDK itself" }
            if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) { return "headers: the value of \(name) is not one line" }
        }
        return nil
    }

    /// The SDK version sent in the default User-Agent.
    public static let sdkVersion = "0.1.0"

    /// Every parameter has the default its property documents; only the base URL and the token are required.
    public init(
        baseURL: String = "https://api.dfns.io",
        authToken: String,
        appOrigin: String = UserActionSigning.defaultOrigin,
        requestTimeout: Duration = .seconds(30),
        userAgent: String = "dfns-worker-swift/\(DfnsClientConfiguration.sdkVersion)",
        headers: [String: String] = [:],
        requestsPerMinute: Int? = 1000,
        sharedBudget: (any DfnsRequestBudget)? = nil,
        retryPolicy: RetryPolicy = .default,
        writeReplay: WriteReplay = .idempotent,
        maxResponseBytes: Int = 8 << 20,
        observer: (any DfnsRequestObserver)? = nil
    ) {
        self.baseURL = baseURL
        self.authToken = authToken
        self.appOrigin = appOrigin
        self.requestTimeout = requestTimeout
        self.userAgent = userAgent
        self.headers = headers
        self.requestsPerMinute = requestsPerMinute
        self.sharedBudget = sharedBudget
        self.retryPolicy = retryPolicy
        self.writeReplay = writeReplay
        self.maxResponseBytes = maxResponseBytes
        self.observer = observer
    }

    /// Which signed writes the client repeats after a failure that may hide an effect at Dfns (a 5xx, a lost answer).
    public enum WriteReplay: Sendable {
        /// Those whose body carries an idempotency key (`externalId`): Dfns answers a replay with the entity it made.
        case idempotent
        /// None: only a write whose connection was never made is sent again. For a caller that owns those retries
        /// (the worker: its attempts, backoff and look-ups decide, and a retry inside an attempt would hide them).
        case unsentOnly
    }

    public var description: String {
        "DfnsClientConfiguration(baseURL: \(baseURL), authToken: <redacted>, appOrigin: \(appOrigin), "
            + "requestTimeout: \(requestTimeout), requestsPerMinute: \(requestsPerMinute.map(String.init) ?? "unlimited"))"
    }
}
