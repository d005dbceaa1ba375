import AsyncHTTPClient
import DfnsSDK
import DfnsSimulator
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Runs a real ``DfnsSimulator`` on a free loopback port for the duration of a test, and builds SDK clients for it.
public enum SimulatorHarness {
    /// The auth token every harness simulator accepts.
    public static let token = "test-token"

    /// The simulator's configuration unless a test says otherwise: transfers move a stage every 50 ms.
    public static var defaultConfiguration: SimulatorConfiguration { SimulatorConfiguration(transferStep: .milliseconds(50)) }

    /// The id of the credential of `algorithm` that every harness simulator knows.
    public static func credentialId(_ algorithm: KeyAlgorithm) -> String { "cr-test-\(algorithm)" }

    /// A simulator with one credential of each key type, and the signers that go with them.
    public struct Running: Sendable {
        public let baseURL: String
        public let simulator: DfnsSimulator
        public let signers: [KeyAlgorithm: KeySigner]
        /// The PEM private keys of the signers, for child processes.
        public let privateKeys: [KeyAlgorithm: String]

        /// A client signing with the credential of `algorithm`.
        public func client(
            _ algorithm: KeyAlgorithm = .p256,
            token: String = SimulatorHarness.token,
            configure: (inout DfnsClientConfiguration) -> Void = { _ in }
        ) -> DfnsClient {
            DfnsClient(configuration: configuration(token: token, configure: configure), signer: signers[algorithm]!)
        }

        /// A client of another token (a login, a temporary registration token, a service account's) signing with
        /// `signer`.
        public func client(token: String, signer: any CredentialSigner, configure: (inout DfnsClientConfiguration) -> Void = { _ in }) -> DfnsClient {
            DfnsClient(configuration: configuration(token: token, configure: configure), signer: signer)
        }

        /// A client with no signer.
        public func delegatedClient(token: String = SimulatorHarness.token) -> DfnsDelegatedClient {
            DfnsDelegatedClient(configuration: configuration(token: token) { _ in })
        }

        private func configuration(token: String, configure: (inout DfnsClientConfiguration) -> Void) -> DfnsClientConfiguration {
            var configuration = DfnsClientConfiguration(
                baseURL: baseURL, authToken: token, requestTimeout: .seconds(10), requestsPerMinute: nil,
                retryPolicy: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(10), maxDelay: .milliseconds(100))
            )
            configure(&configuration)
            return configuration
        }

        /// The last code of `kind` (`Registration`, `Login`, `Recovery`) the simulator "emailed" `username`.
        public func emailedCode(_ username: String, _ kind: String) async throws -> String {
            let query = username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? username
            let items = try await control("messages?username=" + query)["items"] as? [[String: Any]] ?? []
            guard let code = items.last(where: { $0["kind"] as? String == kind })?["code"] as? String else {
                throw SimulatorConfigurationError("no \(kind) code was emailed to \(username)")
            }
            return code
        }

        /// Logs `username` in with `key` (the login challenge signed with it, `key.get`); answers the login token.
        public func login(_ username: String, with key: SoftwareKeyCredential) async throws -> String {
            let admin = client()
            let challenge = try await admin.send(DfnsAuth.createLoginChallenge(username: username))
            guard let identifier = challenge["challengeIdentifier"]?.stringValue, let text = challenge["challenge"]?.stringValue else {
                throw TestFailure("the login challenge of \(username) has no challenge: \(challenge)")
            }
            guard
                let token = try await admin.send(DfnsAuth.login(challengeIdentifier: identifier, firstFactor: key.assertion(text)))["token"]?
                    .stringValue
            else { throw TestFailure("the login of \(username) answered no token") }
            return token
        }

        /// `GET /_sim/…` of the control plane, decoded as a JSON object.
        public func control(_ path: String) async throws -> [String: Any] {
            try await raw("GET", "/_sim/" + path, token: nil).json
        }

        /// Raw HTTP to the simulator: returns the status, the JSON object body and the headers (lowercased names).
        public func raw(
            _ method: String, _ path: String, body: [UInt8]? = nil, token: String? = SimulatorHarness.token,
            headers: [String: String] = [:]
        ) async throws -> (status: Int, json: [String: Any], headers: [String: String]) {
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = HTTPMethod(rawValue: method)
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            request.headers.add(name: "Content-Type", value: "application/json")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let data = try await response.body.collect(upTo: 1 << 24)
            let json = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
            let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }) { first, _ in first }
            return (Int(response.status.code), json, headers)
        }

        /// Integer counter from `/_sim/stats`.
        public func stat(_ name: String) async throws -> Int {
            try await control("stats")[name] as? Int ?? -1
        }

        /// Requests to `endpoint` (`create-wallet`, `read`, …) that passed authentication, from `/_sim/stats`: counted
        /// as they arrive, before a fault's latency holds them.
        public func requests(to endpoint: String) async throws -> Int {
            (try await control("stats")["requestsByEndpoint"] as? [String: Any])?[endpoint] as? Int ?? 0
        }

        /// A wallet made through the API by the p256 credential, as a test's fixture.
        public func createWallet(network: String = "Ethereum") async throws -> Wallet {
            try await client().createWallet(CreateWalletRequest(network: network))
        }
    }

    /// Starts a simulator with `configuration` (host and port are overridden: loopback, free port) plus one
    /// generated credential per key type, runs `body`, then stops it.
    public static func withSimulator<Result: Sendable>(
        _ configuration: SimulatorConfiguration = defaultConfiguration,
        _ body: @Sendable (Running) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.authTokens = [token] + configuration.authTokens
        var signers: [KeyAlgorithm: KeySigner] = [:]
        var privateKeys: [KeyAlgorithm: String] = [:]
        for algorithm in KeyAlgorithm.all {
            let pair = try KeyGenerator.generate(algorithm)
            let credentialId = credentialId(algorithm)
            configuration.credentials[credentialId] = pair.publicKeyPEM
            signers[algorithm] = try KeySigner(credentialId: credentialId, privateKeyPEM: pair.privateKeyPEM)
            privateKeys[algorithm] = pair.privateKeyPEM
        }
        let simulator = try DfnsSimulator(configuration: configuration)
        var logger = Logger(label: "test.simulator")
        logger.logLevel = .critical
        return try await LoopbackServer.run({ simulator.application(logger: logger, onServerRunning: $0) }, logger: logger) { port in
            try await body(Running(baseURL: "http://127.0.0.1:\(port)", simulator: simulator, signers: signers, privateKeys: privateKeys))
        }
    }
}

extension SimulatorHarness.Running {
    /// Replaces the simulator's fault plan: endpoint name → FaultRule fields.
    public func setFaults(_ faults: [String: [String: Double]]) async throws {
        let body = try JSONSerialization.data(
            withJSONObject: faults.mapValues { rule in
                var full: [String: Any] = [
                    "serverErrorRate": 0.0, "latencyMilliseconds": 0, "rateLimitBurstRate": 0.0, "rateLimitBurstLength": 3,
                    "lostAfterCommitRate": 0.0,
                ]
                for (key, value) in rule { full[key] = key.hasSuffix("Length") || key.hasSuffix("Milliseconds") ? Int(value) : value }
                return full
            })
        let response = try await raw("PUT", "/_sim/faults", body: Array(body), token: nil)
        guard response.status == 200 else { throw SimulatorConfigurationError("setting faults failed: \(response.json)") }
    }
}

extension SimulatorHarness.Running {
    /// Replaces the simulator's fault plan with typed rules, keyed by endpoint name (`create-transfer`, `read`, …).
    public func setFaultRules(_ rules: [String: FaultRule]) async throws {
        let response = try await raw("PUT", "/_sim/faults", body: Array(try JSONEncoder().encode(rules)), token: nil)
        guard response.status == 200 else { throw SimulatorConfigurationError("setting faults failed: \(response.json)") }
    }

    /// `PUT`s a JSON body to the control plane and fails unless it answers 200; returns the answer.
    @discardableResult
    public func control(put path: String, _ body: Any) async throws -> [String: Any] {
        try await control("PUT", path, body)
    }

    /// `POST`s a JSON body to the control plane and fails unless it answers 200; returns the answer.
    @discardableResult
    public func control(post path: String, _ body: Any) async throws -> [String: Any] {
        try await control("POST", path, body)
    }

    private func control(_ method: String, _ path: String, _ body: Any) async throws -> [String: Any] {
        let response = try await raw(method, "/_sim/" + path, body: Array(try JSONSerialization.data(withJSONObject: body)), token: nil)
        guard response.status == 200 else { throw SimulatorConfigurationError("\(method) /_sim/\(path) failed: \(response.json)") }
        return response.json
    }
}

extension DfnsDelegatedClient {
    /// Runs init and `/auth/action` for a raw POST body and returns the user-action token, without sending it.
    public func userActionToken(path: String, body: [UInt8], signer: some CredentialSigner) async throws -> String {
        let challenge = try await initUserAction(.POST, path, body: body)
        return try await authorize(UserActionSigning.sign(challenge, with: signer))
    }

    /// Signs and sends a raw POST body exactly as given (even an invalid one), returning the raw response.
    public func signedRawWrite(path: String, body: [UInt8], signer: some CredentialSigner) async throws -> JSONValue {
        let challenge = try await initUserAction(.POST, path, body: body)
        return try await completeUserAction(.POST, path, body: body, signedChallenge: UserActionSigning.sign(challenge, with: signer))
    }
}
