import ArgumentParser
import DfnsSDK
import Foundation

/// Signed create-wallet calls against a running simulator (or any Dfns API) at a fixed client concurrency.
/// Each call is three HTTP requests (init, action, create), all verified by the server.
struct SignedWritesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signed-writes",
        abstract: "Signed create-wallet calls per second against a Dfns API (e.g. the simulator)."
    )

    @Option(help: "API base URL.") var url = "http://127.0.0.1:8787"
    @Option(help: "Bearer token.") var authToken = "sim-token"
    @Option(help: "Credential id.") var credentialId: String
    @Option(help: "Private key PEM file of the credential.") var privateKey: String
    @Option(help: "Signed calls in all.") var calls = 2000
    @Option(help: "Calls in flight at once.") var concurrency = 32
    @Option(help: "Network of the created wallets.") var network = "EthereumSepolia"

    func run() async throws {
        let signer = try KeySigner(credentialId: credentialId, privateKeyFile: privateKey)
        let client = DfnsClient(
            configuration: DfnsClientConfiguration(baseURL: url, authToken: authToken, requestsPerMinute: nil, retryPolicy: .none),
            signer: signer
        )
        let clock = ContinuousClock()
        let start = clock.now
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            let perWorker = calls / concurrency
            let remainder = calls % concurrency
            for worker in 0..<concurrency {
                let count = perWorker + (worker < remainder ? 1 : 0)
                group.addTask {
                    var failures = 0
                    for _ in 0..<count {
                        do { _ = try await client.createWallet(CreateWalletRequest(network: network)) } catch { failures += 1 }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = start.duration(to: clock.now).seconds
        let ops = Double(calls) / elapsed
        print(
            String(
                format: "signed-writes key=%@ calls=%d concurrency=%d failures=%d seconds=%.3f ops_per_s=%.1f http_requests_per_s=%.1f",
                signer.algorithm.description, calls, concurrency, failures, elapsed, ops, ops * 3))
        if failures > 0 { throw ExitCode(1) }
    }
}
