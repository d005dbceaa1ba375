import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

@Suite("Several worker processes on one database", .timeLimit(.minutes(3)))
struct MultiProcessTests {
    @Test("three `dfns-worker drain` processes run a batch exactly once")
    func threeProcesses() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: WorkerCommand.binary), "build dfns-worker first (ops/test does)")
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let jobs = 240
                try await database.execute(
                    """
                    INSERT INTO dfns_worker.jobs (kind, payload)
                    SELECT 'create_wallet', jsonb_build_object('network', (ARRAY['Ethereum','Solana','Bitcoin'])[1 + i % 3], 'name', 'batch ' || i)
                    FROM generate_series(1, \(jobs)) AS i
                    """)
                try await WorkerCommand.withEnvironment(database, sim, algorithm: .ed25519) { environment in
                    let environment = environment.merging(["DFNS_REQUESTS_PER_MINUTE": "1000000"]) { $1 }
                    let children = try (0..<3).map { _ in
                        try WorkerCommand.start(
                            ["drain", "--concurrency", "8", "--claim-batch", "5", "--log-level", "error"], environment: environment)
                    }
                    for child in children {
                        let output = try await child.exit()
                        #expect(output.status == 0, "\(output.stderr)")
                    }
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
