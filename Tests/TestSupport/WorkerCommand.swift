import DfnsSDK
import Foundation

/// The `dfns-worker` command line as the tests run it: a child process of the built binary, with the test's own
/// environment plus what a test adds.
public enum WorkerCommand {
    /// The `dfns-worker` executable: $DFNS_WORKER_BIN (ops/test sets it) or the debug build next to the tests.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["DFNS_WORKER_BIN"] { return path }
        return Repository.root.appendingPathComponent(".build/debug/dfns-worker").path
    }

    /// Starts `dfns-worker arguments…` with `environment` added to the test's own.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// Runs `dfns-worker arguments…` (see ``start(_:environment:)``) and waits for it; one still running after
    /// `stopAfter` (a daemon that should have refused to start) is sent SIGTERM.
    public static func run(_ arguments: [String], environment: [String: String] = [:], stopAfter: Duration? = nil) async throws -> ChildProcess.Output
    {
        let child = try start(arguments, environment: environment)
        guard let stopAfter else { return try await child.exit() }
        return try await child.exit(signalling: SIGTERM, after: stopAfter)
    }

    /// Runs `body` with the environment of a `dfns-worker` that works on `database` against `sim` with the simulator's
    /// credential of `algorithm`, its private key in a file only the owner reads, removed afterwards.
    public static func withEnvironment<Result>(
        _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, algorithm: KeyAlgorithm = .p256,
        _ body: ([String: String]) async throws -> Result
    ) async throws -> Result {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-cli-\(UUID().uuidString).pem")
        defer { try? FileManager.default.removeItem(at: keyFile) }
        try Data(sim.privateKeys[algorithm]!.utf8).write(to: keyFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        return try await body([
            "DATABASE_URL": database.urlString, "DFNS_API_URL": sim.baseURL, "DFNS_AUTH_TOKEN": SimulatorHarness.token,
            "DFNS_CRED_ID": SimulatorHarness.credentialId(algorithm), "DFNS_PRIVATE_KEY_FILE": keyFile.path,
        ])
    }
}
