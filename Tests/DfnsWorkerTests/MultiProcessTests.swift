import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

@Suite("Several worker processes on one database", .timeLimit(.minutes(3)))
struct MultiProcessTests {
    /// The `dfns-worker` executable: $DFNS_WORKER_BIN (ops/test sets it) or the debug build next to the tests.
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["DFNS_WORKER_BIN"] { return path }
        return Repository.root.appendingPathComponent(".build/debug/dfns-worker").path
    }

    @Test("three `dfns-worker drain` processes run a batch exactly once")
    func threeProcesses() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build dfns-worker first (ops/test does)")
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let jobs = 240
                try await database.execute("""
                    INSERT INTO dfns_worker.jobs (kind, payload)
                    SELECT 'create_wallet', jsonb_build_object('network', (ARRAY['Ethereum','Solana','Bitcoin'])[1 + i % 3], 'name', 'batch ' || i)
                    FROM generate_series(1, \(jobs)) AS i
                    """)
                let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-\(UUID().uuidString).pem")
                try Data(sim.privateKeys[.ed25519]!.utf8).write(to: keyFile)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
                defer { try? FileManager.default.removeItem(at: keyFile) }
                var environment = ProcessInfo.processInfo.environment
                environment["DATABASE_URL"] = database.urlString
                environment["DFNS_API_URL"] = sim.baseURL
                environment["DFNS_AUTH_TOKEN"] = SimulatorHarness.token
                environment["DFNS_CRED_ID"] = "cr-test-ed25519"
                environment["DFNS_PRIVATE_KEY_FILE"] = keyFile.path
                environment["DFNS_REQUESTS_PER_MINUTE"] = "1000000"
                let children = try (0..<3).map { _ in
                    try ChildProcess(Self.binary, ["drain", "--concurrency", "8", "--claim-batch", "5", "--log-level", "error"], environment: environment)
                }
                for child in children {
                    let output = try await child.exit()
                    #expect(output.status == 0, "\(output.stderr)")
                }
                #expect(try await database.column("SELECT state || ':' || count(*) FROM dfns_worker.jobs GROUP BY state") == ["succeeded:\(jobs)"])
                #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE attempt <> 1") == ["0"])
                #expect(try await database.column("SELECT count(DISTINCT result->>'id')::text FROM dfns_worker.jobs") == ["\(jobs)"])
                #expect(try await database.column("SELECT count(DISTINCT worker_id)::text FROM dfns_worker.jobs") == ["0"], "leases released")
                #expect(try await sim.stat("walletsCreated") == jobs, "no wallet created twice")
            }
        }
    }
}
