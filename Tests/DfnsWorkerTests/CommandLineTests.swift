import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

@Suite("The dfns-worker command line", .timeLimit(.minutes(3)))
struct CommandLineTests {
    /// Runs `dfns-worker arguments…` with `environment` added to the test's own, and waits for it.
    static func run(_ arguments: [String], environment: [String: String] = [:], signalAfter: (Duration, Int32)? = nil) async throws -> ChildProcess.Output {
        let child = try ChildProcess(MultiProcessTests.binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        if let (delay, signal) = signalAfter {
            try await Task.sleep(for: delay)
            child.signal(signal)
        }
        return try await child.exit()
    }

    static func environment(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, keyFile: URL) throws -> [String: String] {
        try Data(sim.privateKeys[.p256]!.utf8).write(to: keyFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        return [
            "DATABASE_URL": database.urlString, "DFNS_API_URL": sim.baseURL, "DFNS_AUTH_TOKEN": SimulatorHarness.token,
            "DFNS_CRED_ID": "cr-test-p256", "DFNS_PRIVATE_KEY_FILE": keyFile.path,
        ]
    }

    @Test("enqueue prints the id; drain exits 0, or 3 when a job it processed failed; status reports")
    func enqueueDrainStatus() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-cli-\(UUID().uuidString).pem")
                defer { try? FileManager.default.removeItem(at: keyFile) }
                let environment = try Self.environment(database, sim, keyFile: keyFile)
                let enqueued = try await Self.run(["enqueue", "create_wallet", "--payload", #"{"network":"Ethereum"}"#, "--unique-key", "k1"], environment: environment)
                #expect(enqueued.status == 0 && Int64(enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
                let again = try await Self.run(["enqueue", "create_wallet", "--payload", #"{"network":"Ethereum"}"#, "--unique-key", "k1"], environment: environment)
                #expect(again.stdout == enqueued.stdout)

                var drained = try await Self.run(["drain"], environment: environment)
                #expect(drained.status == 0 && drained.stdout.contains("succeeded 1, failed 0"), "\(drained.stdout) \(drained.stderr)")

                _ = try await Self.run(["enqueue", "create_wallet", "--payload", #"{"network":"Nowhere"}"#], environment: environment)
                drained = try await Self.run(["drain"], environment: environment)
                #expect(drained.status == 3 && drained.stdout.contains("failed 1"), "\(drained.stdout) \(drained.stderr)")

                let status = try await Self.run(["status", "--json"], environment: environment)
                let report = try JSONDecoder().decode(QueueStatus.self, from: Data(status.stdout.utf8))
                #expect(report.byState[.succeeded] == 1 && report.byState[.failed] == 1)

                let submitted = try await database.store.enqueue(kind: "noop", payload: "{}")
                try await database.execute("""
                    UPDATE dfns_worker.jobs SET state = 'waiting', dfns_entity = 'exists', result = '{"id":"xfr-9","status":"Broadcasted"}' WHERE id = \(submitted)
                    """)
                let cancel = try await Self.run(["cancel", "\(submitted)"], environment: environment)
                #expect(cancel.status == 1, "\(cancel.stdout) \(cancel.stderr)")
                #expect(cancel.stderr.contains("job \(submitted) is waiting; not cancelled: it was submitted to Dfns (xfr-9, Broadcasted)"), "\(cancel.stderr)")

                // run-now makes the waiting job due; the action is recorded with the CLI user; a second one says why not.
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '1 hour' WHERE id = \(submitted)")
                let runNow = try await Self.run(["run-now", "\(submitted)"], environment: environment.merging(["USER": "ops-alice"]) { $1 })
                #expect(runNow.status == 0 && runNow.stdout.contains("job \(submitted) made due now"), "\(runNow.stdout) \(runNow.stderr)")
                let recorded = try await database.column("SELECT (run_at <= now())::text || ' ' || (operator_actions->0->>'by') FROM dfns_worker.jobs WHERE id = \(submitted)")
                #expect((recorded.first ?? nil)?.hasPrefix("true cli ops-alice@") == true, "\(recorded)")
                let twice = try await Self.run(["run-now", "\(submitted)"], environment: environment)
                #expect(twice.status == 1 && twice.stderr.contains("not made due now: it is due already"), "\(twice.stderr)")
                let retry = try await Self.run(["retry", "\(submitted)"], environment: environment)
                #expect(retry.status == 1 && retry.stderr.contains("not re-queued: only a failed or cancelled job is retried"), "\(retry.stderr)")
                #expect(try await Self.run(["run-now", "999999"], environment: environment).stderr.contains("job 999999 does not exist"))
            }
        }
    }

    @Test("webhooks register creates the webhook with the worker's events and prints its secret once; again, it updates it")
    func registerWebhook() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-cli-\(UUID().uuidString).pem")
                defer { try? FileManager.default.removeItem(at: keyFile) }
                let environment = try Self.environment(database, sim, keyFile: keyFile)
                let url = "https://worker.example.com/webhooks/dfns"
                let created = try await Self.run(["webhooks", "register", "--url", url], environment: environment)
                #expect(created.status == 0, "\(created.stderr)")
                let secret = created.stdout.split(separator: "\n").first { $0.hasPrefix("DFNS_WEBHOOK_SECRET=whs-") }
                #expect(secret != nil, "\(created.stdout)")
                let webhooks = try await sim.client().send(DfnsWebhooks.listWebhooks()).items
                #expect(webhooks.count == 1 && webhooks[0].url == url && webhooks[0].events.contains("wallet.transfer.confirmed")
                        && webhooks[0].events.contains("policy.approval.resolved"))
                _ = try await sim.client().send(DfnsWebhooks.updateWebhook(webhookId: webhooks[0].id, events: ["wallet.created"], status: "Disabled"))
                let updated = try await Self.run(["webhooks", "register", "--url", url], environment: environment)
                #expect(updated.status == 0 && updated.stdout.contains("updated") && !updated.stdout.contains("whs-"), "\(updated.stdout)")
                let after = try await sim.client().send(DfnsWebhooks.listWebhooks()).items
                #expect(after.count == 1 && after[0].status == "Enabled" && after[0].events.count == 12)
                let refused = try await Self.run(["webhooks", "register", "--url", "ftp://nowhere"], environment: environment)
                #expect(refused.status != 0 && refused.stderr.contains("--url"))
            }
        }
    }

    @Test("bad configuration and refused inserts exit 1 with a clear message that names no secret")
    func fatalErrors() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-cli-\(UUID().uuidString).pem")
                defer { try? FileManager.default.removeItem(at: keyFile) }
                let environment = try Self.environment(database, sim, keyFile: keyFile)

                let unknownKind = try await Self.run(["enqueue", "mint_money", "--payload", "{}"], environment: environment)
                #expect(unknownKind.status == 1 && unknownKind.stderr.contains("unknown job kind"), "\(unknownKind.stderr)")
                let notObject = try await Self.run(["enqueue", "create_wallet", "--payload", "[1]"], environment: environment)
                #expect(notObject.status == 1 && notObject.stderr.contains("JSON object"))

                for (option, value) in [("--statement-timeout", "0"), ("--lease", "2"), ("--job-timeout", "86401")] {
                    let refused = try await Self.run(["drain", option, value], environment: environment)
                    #expect(refused.status != 0 && refused.stderr.contains("\(option) must be"), "\(option) \(value): \(refused.stderr)")
                }

                var noToken = environment
                noToken["DFNS_AUTH_TOKEN"] = ""
                let missing = try await Self.run(["drain"], environment: noToken)
                #expect(missing.status == 1 && missing.stderr.contains("DFNS_AUTH_TOKEN"))

                var unreachable = environment
                unreachable["DATABASE_URL"] = "postgres://secret-user:hunter2@127.0.0.1:9/none?sslmode=disable"
                let down = try await Self.run(["status"], environment: unreachable)
                #expect(down.status == 1 && !down.stderr.contains("hunter2"), "\(down.stderr)")

                var badKey = environment
                badKey["DFNS_PRIVATE_KEY_FILE"] = "/nonexistent/key.pem"
                let key = try await Self.run(["drain"], environment: badKey)
                #expect(key.status == 1 && key.stderr.contains("private key"))

                var revoked = environment
                revoked["DFNS_AUTH_TOKEN"] = "revoked-canary-token"
                _ = try await Self.run(["enqueue", "create_wallet", "--payload", #"{"network":"Ethereum"}"#], environment: environment)
                let paused = try await Self.run(["drain"], environment: revoked)
                #expect(paused.status == 1 && paused.stderr.contains("refused the credentials") && !paused.stderr.contains("revoked-canary-token"))
                #expect(try await database.column("SELECT state || '/' || attempt FROM dfns_worker.jobs") == ["retrying/0"])
            }
        }
    }

    @Test("SIGTERM stops `run` gracefully and hands jobs back")
    func sigterm() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.createWallet: FaultRule(latencyMilliseconds: 4000)])) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-cli-\(UUID().uuidString).pem")
                defer { try? FileManager.default.removeItem(at: keyFile) }
                let environment = try Self.environment(database, sim, keyFile: keyFile)
                let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Ethereum"}"#)
                let output = try await Self.run(["run", "--shutdown-grace", "1", "--log-level", "warning"], environment: environment, signalAfter: (.seconds(2), SIGTERM))
                #expect(output.status == 0, "\(output.stderr)")
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "queued" && row.attempt == 0, "handed back without spending an attempt: \(row)")
            }
        }
    }

    @Test("a job that runs past its timeout is abandoned and retried")
    func jobTimeout() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim, configure: {
                    $0.jobTimeout = .milliseconds(300)
                    $0.retryBaseDelay = .seconds(30)
                    $0.retryMaxDelay = .seconds(60)
                })
                let id = try await database.store.enqueue(kind: "test_block", payload: "{}")
                _ = try await worker.drain()
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "retrying" && row.code == "job_timeout" && row.attempt == 1)
            }
        }
    }
}
