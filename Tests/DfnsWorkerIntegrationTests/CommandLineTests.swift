import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

@Suite("The dfns-worker command line", .timeLimit(.minutes(3)))
struct CommandLineTests {
    @Test("enqueue prints the id; drain exits 0, or 3 when a job it processed failed; status reports")
    func enqueueDrainStatus() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            try await WorkerCommand.withEnvironment(database, sim) { environment in
                let enqueued = try await WorkerCommand.run(
                    ["enqueue", "create_wallet", "--payload", #"{"network":"Ethereum"}"#, "--unique-key", "k1"], environment: environment)
                #expect(enqueued.status == 0 && Int64(enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) != nil)
                let again = try await WorkerCommand.run(
                    ["enqueue", "create_wallet", "--payload", #"{"network":"Ethereum"}"#, "--unique-key", "k1"], environment: environment)
                #expect(again.stdout == enqueued.stdout)

                var drained = try await WorkerCommand.run(["drain"], environment: environment)
                #expect(drained.status == 0 && drained.stdout.contains("succeeded 1, failed 0"), "\(drained.stdout) \(drained.stderr)")

                _ = try await WorkerCommand.run(["enqueue", "create_wallet", "--payload", #"{"network":"Nowhere"}"#], environment: environment)
                drained = try await WorkerCommand.run(["drain"], environment: environment)
                #expect(drained.status == 3 && drained.stdout.contains("failed 1"), "\(drained.stdout) \(drained.stderr)")

                let status = try await WorkerCommand.run(["status", "--json"], environment: environment)
                let report = try JSONDecoder().decode(QueueStatus.self, from: Data(status.stdout.utf8))
                #expect(report.byState[.succeeded] == 1 && report.byState[.failed] == 1)

                let submitted = try await database.store.enqueue(kind: "noop", payload: "{}")
                try await database.execute(
                    """
                    UPDATE dfns_worker.jobs SET state = 'waiting', dfns_entity = 'exists', result = '{"id":"xfr-9","status":"Broadcasted"}' WHERE id = \(submitted)
                    """)
                let cancel = try await WorkerCommand.run(["cancel", "\(submitted)"], environment: environment)
                #expect(cancel.status == 1, "\(cancel.stdout) \(cancel.stderr)")
                #expect(
                    cancel.stderr.contains("job \(submitted) is waiting; not cancelled: it was submitted to Dfns (xfr-9, Broadcasted)"),
                    "\(cancel.stderr)")

                // run-now makes the waiting job due; the action is recorded with the CLI user; a second one says why not.
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '1 hour' WHERE id = \(submitted)")
                let runNow = try await WorkerCommand.run(["run-now", "\(submitted)"], environment: environment.merging(["USER": "ops-alice"]) { $1 })
                #expect(runNow.status == 0 && runNow.stdout.contains("job \(submitted) made due now"), "\(runNow.stdout) \(runNow.stderr)")
                let recorded = try await database.column(
                    "SELECT (run_at <= now())::text || ' ' || (operator_actions->0->>'by') FROM dfns_worker.jobs WHERE id = \(submitted)")
                #expect((recorded.first ?? nil)?.hasPrefix("true cli ops-alice@") == true, "\(recorded)")
                let twice = try await WorkerCommand.run(["run-now", "\(submitted)"], environment: environment)
                #expect(twice.status == 1 && twice.stderr.contains("not made due now: it is due already"), "\(twice.stderr)")
                let retry = try await WorkerCommand.run(["retry", "\(submitted)"], environment: environment)
                #expect(retry.status == 1 && retry.stderr.contains("not re-queued: only a failed or cancelled job is retried"), "\(retry.stderr)")
                #expect(try await WorkerCommand.run(["run-now", "999999"], environment: environment).stderr.contains("job 999999 does not exist"))
            }
        }
    }

    @Test("webhooks register creates the webhook with the worker's events and prints its secret once; again, it updates it")
    func registerWebhook() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            try await WorkerCommand.withEnvironment(database, sim) { environment in
                let url = "https://worker.example.com/webhooks/dfns"
                let created = try await WorkerCommand.run(["webhooks", "register", "--url", url], environment: environment)
                #expect(created.status == 0, "\(created.stderr)")
                let secret = created.stdout.split(separator: "\n").first { $0.hasPrefix("DFNS_WEBHOOK_SECRET=whs-") }
                #expect(secret != nil, "\(created.stdout)")
                let webhooks = try await sim.client().send(DfnsWebhooks.listWebhooks()).items
                #expect(
                    webhooks.count == 1 && webhooks[0].url == url && webhooks[0].events.contains("wallet.transfer.confirmed")
                        && webhooks[0].events.contains("policy.approval.resolved"))
                _ = try await sim.client().send(DfnsWebhooks.updateWebhook(webhookId: webhooks[0].id, events: ["wallet.created"], status: "Disabled"))
                let updated = try await WorkerCommand.run(["webhooks", "register", "--url", url], environment: environment)
                #expect(updated.status == 0 && updated.stdout.contains("updated") && !updated.stdout.contains("whs-"), "\(updated.stdout)")
                let after = try await sim.client().send(DfnsWebhooks.listWebhooks()).items
                #expect(after.count == 1 && after[0].status == "Enabled" && after[0].events.count == 12)
                let refused = try await WorkerCommand.run(["webhooks", "register", "--url", "ftp://nowhere"], environment: environment)
                #expect(refused.status != 0 && refused.stderr.contains("--url"))
            }
        }
    }

    @Test("bad configuration and refused inserts exit 1 with a clear message that names no secret")
    func fatalErrors() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            try await WorkerCommand.withEnvironment(database, sim) { environment in

                let unknownKind = try await WorkerCommand.run(["enqueue", "mint_money", "--payload", "{}"], environment: environment)
                #expect(unknownKind.status == 1 && unknownKind.stderr.contains("unknown job kind"), "\(unknownKind.stderr)")
                let notObject = try await WorkerCommand.run(["enqueue", "create_wallet", "--payload", "[1]"], environment: environment)
                #expect(notObject.status == 1 && notObject.stderr.contains("JSON object"))

                for (option, value) in [("--statement-timeout", "0"), ("--lease", "2"), ("--job-timeout", "86401")] {
                    let refused = try await WorkerCommand.run(["drain", option, value], environment: environment)
                    #expect(refused.status != 0 && refused.stderr.contains("\(option) must be"), "\(option) \(value): \(refused.stderr)")
                }

                let missing = try await WorkerCommand.run(["drain"], environment: environment.merging(["DFNS_AUTH_TOKEN": ""]) { $1 })
                #expect(missing.status == 1 && missing.stderr.contains("DFNS_AUTH_TOKEN"))

                let unreachable = "postgres://secret-user:hunter2@127.0.0.1:9/none?sslmode=disable"
                let down = try await WorkerCommand.run(["status"], environment: environment.merging(["DATABASE_URL": unreachable]) { $1 })
                #expect(down.status == 1 && !down.stderr.contains("hunter2"), "\(down.stderr)")

                let key = try await WorkerCommand.run(
                    ["drain"], environment: environment.merging(["DFNS_PRIVATE_KEY_FILE": "/nonexistent/key.pem"]) { $1 })
                #expect(key.status == 1 && key.stderr.contains("private key"))

                _ = try await WorkerCommand.run(["enqueue", "create_wallet", "--payload", #"{"network":"Ethereum"}"#], environment: environment)
                let paused = try await WorkerCommand.run(
                    ["drain"], environment: environment.merging(["DFNS_AUTH_TOKEN": "revoked-canary-token"]) { $1 })
                #expect(paused.status == 1 && paused.stderr.contains("refused the credentials") && !paused.stderr.contains("revoked-canary-token"))
                #expect(try await database.column("SELECT state || '/' || attempt FROM dfns_worker.jobs") == ["retrying/0"])
            }
        }
    }

    @Test("SIGTERM stops `run` gracefully and hands jobs back")
    func sigterm() async throws {
        try await WorkerHarness.withSimulatorAndDatabase(SimulatorConfiguration(faults: [.createWallet: FaultRule(latencyMilliseconds: 4000)])) {
            sim, database in
            try await WorkerCommand.withEnvironment(database, sim) { environment in
                let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Ethereum"}"#)
                let child = try WorkerCommand.start(["run", "--shutdown-grace", "1", "--log-level", "warning"], environment: environment)
                // Stopped while its creation is at the simulator, which answers only after 4 s.
                try await waitFor(.seconds(30)) { try await sim.requests(to: "create-wallet") >= 1 }
                child.signal(SIGTERM)
                let output = try await child.exit()
                #expect(output.status == 0, "\(output.stderr)")
                #expect(try await sim.requests(to: "create-wallet") == 1, "the job's creation reached the simulator, once")
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "queued" && row.attempt == 0, "handed back without spending an attempt: \(row)")
            }
        }
    }

    @Test("a job that runs past its timeout is abandoned and retried")
    func jobTimeout() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.worker(
                database, sim,
                configure: {
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
