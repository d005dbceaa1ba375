import ArgumentParser
import DfnsSimulator
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// `dfns-worker simulator`: runs the local Dfns API until SIGINT or SIGTERM.
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Run a local Dfns API that verifies real signatures (wallets, transfers, faults, rate limits).",
        discussion: """
            Example:
              dfns-worker keygen --algorithm p256 --out ./key
              dfns-worker simulator --credential cr-local=./key/public.pem
            then point the worker at DFNS_API_URL=http://127.0.0.1:8787 with DFNS_AUTH_TOKEN=sim-token,
            DFNS_CRED_ID=cr-local and DFNS_PRIVATE_KEY_FILE=./key/private.pem.
            """
    )

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free port, printed on start).") var port = 8787
    @Option(help: "Bearer token the simulated organisation accepts (repeatable).") var authToken: [String] = []
    @Option(help: "Key credential CRED_ID=PUBLIC_PEM_PATH (repeatable).") var credential: [String] = []
    @Option(help: "PasswordProtectedKey credential CRED_ID=PUBLIC_PEM_PATH (repeatable).") var passwordProtectedCredential: [String] = []
    @Option(help: "Fido2 (passkey) credential CRED_ID=P256_PUBLIC_PEM_PATH (repeatable).") var fido2Credential: [String] = []
    @Option(help: "WebAuthn relying party id Fido2 assertions are checked against.") var rpId = "dfns.io"
    @Flag(help: "Require a second factor from another credential on every user action.") var secondFactorRequired = false
    @Option(help: "Requests per minute before 429 (default: unlimited).") var rateLimit: Int?
    @Option(help: "Milliseconds each transfer stage (Pending, Executing, Broadcasted) lasts.") var transferStepMs = 500
    @Option(help: "Share of transfers that end Failed (0-1).") var failedFraction = 0.0
    @Option(help: "Share of transfers a policy ends Rejected (0-1).") var rejectedFraction = 0.0
    @Option(help: "Share of transfers a policy holds for approval: created with HTTP 202, Pending until decided (0-1).") var approvalFraction = 0.0
    @Option(help: "Share of cancels and speed-ups whose original is mined before the replacement (0-1).") var originalMinedFirstFraction = 0.0
    @Option(help: "Approve held transfers automatically this many milliseconds after creation (default: only through /_sim/approvals).")
    var approvalDelayMs: Int?
    @Option(help: "Destination address a deny-list policy rejects (repeatable).") var denyTo: [String] = []
    @Option(
        help: """
            Fault for an endpoint, ENDPOINT:KEY=VALUE[,KEY=VALUE] (repeatable). Endpoints: init, action, create-wallet, \
            create-transfer, transfer-action, write (every other signed write), read. Keys: 5xx, 429-burst, lost, 5xx-after-commit, garbled, 404, nul-reason (probabilities), \
            latency-ms, proxy-timeout-ms, 429-length, 429-retry-after (the header value, sent verbatim).
            """)
    var fault: [String] = []
    @Option(help: "Seed of every random decision.") var seed: UInt64 = 1
    @Flag(help: "Compare signed payloads with bodies byte for byte.") var strictPayload = false
    @Flag(help: "Accept raw r||s ECDSA signatures as well as DER.") var acceptRawEcdsa = false
    @Flag(help: "Refuse two wallets with the same externalId (409).") var uniqueWalletExternalId = false
    @Flag(help: "Answer key exports (Dfns enables them per organisation; 403 otherwise).") var keyExport = false
    @Option(help: "Webhook delivery faults, drop=P,duplicate=P,delay-ms=N (probabilities; delays reorder deliveries).") var webhookFault: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    func run() async throws {
        let configuration = try makeConfiguration()
        var logger = Logger(label: "dfns.simulator")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let simulator: DfnsSimulator
        do {
            simulator = try DfnsSimulator(configuration: configuration)
        } catch {
            throw ValidationError(error.description)
        }
        let credentials = [configuration.credentials, configuration.passwordProtectedKeyCredentials, configuration.fido2Credentials]
            .flatMap(\.keys).sorted().joined(separator: ", ")
        let application = simulator.application(logger: logger) { channel in
            let port = channel.localAddress?.port ?? configuration.port
            let line =
                "dfns simulator listening on http://\(configuration.host):\(port) (credentials: \(credentials.isEmpty ? "none" : credentials))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let group = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    private static func probability(_ name: String, _ text: String) throws -> Double {
        guard let value = Double(text), (0...1).contains(value) else {
            throw ValidationError("--webhook-fault \(name) must be a probability between 0 and 1")
        }
        return value
    }

    /// Reads `CRED_ID=PUBLIC_PEM_PATH` entries of the option `--name`.
    private static func credentials(_ entries: [String], option name: String) throws -> [String: String] {
        var credentials: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ValidationError("--\(name) \(entry) must be CRED_ID=PUBLIC_PEM_PATH")
            }
            guard let pem = FileManager.default.contents(atPath: parts[1]) else {
                throw ValidationError("--\(name) \(parts[0]): cannot read \(parts[1])")
            }
            credentials[parts[0]] = String(decoding: pem, as: UTF8.self)
        }
        return credentials
    }

    private func makeConfiguration() throws -> SimulatorConfiguration {
        var faults: [SimulatorEndpoint: FaultRule] = [:]
        for entry in fault {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let endpoint = SimulatorEndpoint(rawValue: parts[0]) else {
                throw ValidationError(
                    "--fault \(entry) must be ENDPOINT:KEY=VALUE with ENDPOINT one of \(SimulatorEndpoint.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            do {
                faults[endpoint] = try FaultRule(parsing: parts[1])
            } catch {
                throw ValidationError("--fault \(entry): \(error.message)")
            }
        }
        for (name, value) in [
            ("failed", failedFraction), ("rejected", rejectedFraction), ("approval", approvalFraction),
            ("original-mined-first", originalMinedFirstFraction),
        ] where !(0...1).contains(value) {
            throw ValidationError("--\(name)-fraction must be between 0 and 1")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        if let approvalDelayMs, approvalDelayMs < 0 { throw ValidationError("--approval-delay-ms must not be negative") }
        guard transferStepMs >= 0 else { throw ValidationError("--transfer-step-ms must not be negative") }
        if let rateLimit, rateLimit <= 0 { throw ValidationError("--rate-limit must be positive") }
        var webhookFaults = WebhookFaults()
        for item in (webhookFault ?? "").split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            switch (parts.first, parts.count == 2 ? parts[1] : nil) {
            case ("drop"?, let value?): webhookFaults.dropRate = try Self.probability("drop", value)
            case ("duplicate"?, let value?): webhookFaults.duplicateRate = try Self.probability("duplicate", value)
            case ("delay-ms"?, let value?):
                guard let ms = Int(value), (0...600_000).contains(ms) else { throw ValidationError("--webhook-fault delay-ms must be 0-600000") }
                webhookFaults.maxDelayMilliseconds = ms
            default: throw ValidationError("--webhook-fault \(item) must be drop=P, duplicate=P or delay-ms=N")
            }
        }
        return SimulatorConfiguration(
            host: host,
            port: port,
            authTokens: authToken.isEmpty ? ["sim-token"] : authToken,
            credentials: try Self.credentials(credential, option: "credential"),
            passwordProtectedKeyCredentials: try Self.credentials(passwordProtectedCredential, option: "password-protected-credential"),
            fido2Credentials: try Self.credentials(fido2Credential, option: "fido2-credential"),
            relyingPartyId: rpId,
            secondFactorRequired: secondFactorRequired,
            rateLimitPerMinute: rateLimit,
            transferStep: .milliseconds(transferStepMs),
            failedFraction: failedFraction,
            rejectedFraction: rejectedFraction,
            approvalFraction: approvalFraction,
            originalMinedFirstFraction: originalMinedFirstFraction,
            approvalDelay: approvalDelayMs.map { .milliseconds($0) },
            deniedDestinations: Set(denyTo),
            faults: faults,
            seed: seed,
            strictPayloadMatch: strictPayload,
            acceptRawECDSA: acceptRawEcdsa,
            uniqueWalletExternalId: uniqueWalletExternalId,
            keyExportEnabled: keyExport,
            webhookFaults: webhookFaults
        )
    }
}
