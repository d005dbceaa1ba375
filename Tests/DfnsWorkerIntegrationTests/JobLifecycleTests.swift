import DfnsJobs
import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import PostgresNIO
import Synchronization
import Testing

@Suite("Jobs against the simulator", .timeLimit(.minutes(3)))
struct JobLifecycleTests {
    private static let address = "0x" + String(repeating: "ab", count: 20)

    @Test("create_wallet then a transfer waited to Confirmed; results are the Dfns entities")
    func happyPath() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim)
                let walletJob = try await database.store.enqueue(
                    kind: "create_wallet", payload: #"{"network":"EthereumSepolia","name":"ops","tags":["a"]}"#)
                _ = try await worker.drain()
                let walletId = try #require(
                    try await database.column("SELECT result->>'id' FROM dfns_worker.jobs WHERE id = \(walletJob)").first ?? nil)
                let installation = try #require(try await database.column("SELECT id FROM dfns_worker.installation").first ?? nil)
                #expect(
                    try await database.column("SELECT result->>'externalId' FROM dfns_worker.jobs WHERE id = \(walletJob)") == [
                        "dfns-worker-\(installation)-\(walletJob)"
                    ])

                let transferJob = try await database.store.enqueue(
                    kind: "transfer", payload: #"{"walletId":"\#(walletId)","kind":"Native","to":"\#(Self.address)","amount":"1000"}"#)
                // Submitted and not polled again by this drain, however slow the machine (a full suite's load let a
                // drain with the short first poll follow the transfer past Pending).
                _ = try await WorkerHarness.submittingWorker(database, sim).drain()
                #expect(try await WorkerHarness.row(database, transferJob).state == "waiting")
                #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(transferJob)") == ["Pending"])
                #expect(try await database.column("SELECT dfns_worker.run_now(\(transferJob))::text") == ["true"])
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, transferJob)
                #expect(row.state == "succeeded" && row.attempt == 1, "polls spend no attempts")
                #expect(
                    try await database.column(
                        "SELECT result->>'status' || ' ' || (result->>'externalId') || ' ' || dfns_entity FROM dfns_worker.jobs WHERE id = \(transferJob)"
                    ) == ["Confirmed dfns-worker-\(installation)-\(transferJob) exists"])
                #expect(
                    try await database.column(
                        "SELECT (finished_at IS NOT NULL AND lease_token IS NULL)::text FROM dfns_worker.jobs WHERE id = \(transferJob)") == ["true"])
            }
        }
    }

    @Test(
        "invalid payloads fail at once with invalid_payload naming the field, and never reach Dfns",
        arguments: [
            ("create_wallet", #"{}"#, "network"),
            ("create_wallet", #"{"network":42}"#, "network"),
            ("create_wallet", #"{"network":"Ethereum","colour":"red"}"#, "colour"),
            ("create_wallet", #"{"network":"Ethereum","tags":"a"}"#, "tags"),
            ("create_wallet", #"{"network":"Eth\u0007ereum"}"#, "network"),
            ("transfer", #"{"kind":"Native","to":"0xab","amount":"1"}"#, "walletId"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xab","amount":"-5"}"#, "amount"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xab","amount":"1e5"}"#, "amount"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xab","amount":1}"#, "amount"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","amount":"1"}"#, "to"),
            ("transfer", #"{"walletId":"wa-1","kind":"Warp","to":"0xab","amount":"1"}"#, "kind"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xab","amount":"1","waitFor":"forever"}"#, "waitFor"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xab","amount":"1","note":"x"}"#, "note"),
            ("transfer", #"{"walletId":"wa-1'; DROP TABLE dfns_worker.jobs; --","kind":"Native","to":"0xab","amount":"1"}"#, "walletId"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xäb","amount":"1"}"#, "payload.to"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0x ab","amount":"1"}"#, "payload.to"),
            ("transfer", #"{"walletId":"wa-1","kind":"Native","to":"0xab","amount":"1","memo":"a\u001bb"}"#, "payload.memo"),
            // Deeper than the JSON parser reads: PostgreSQL stores it, the worker names the member instead of crashing.
            (
                "create_wallet",
                #"{"network":"Ethereum","name":"# + String(repeating: "[", count: 5000) + "1" + String(repeating: "]", count: 5000) + "}",
                "payload.name could not be read: nested deeper than 512 levels"
            ),
        ]
    )
    func invalidPayloads(kind: String, payload: String, field: String) async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let id = try await database.store.enqueue(kind: kind, payload: payload)
                let summary = try await WorkerHarness.worker(database, sim).drain()
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "failed" && row.code == "invalid_payload" && row.attempt == 1)
                #expect(row.message?.contains(field) == true, "\(row.message ?? "") should name \(field)")
                #expect(summary.written[.failed] == 1)
                #expect(try await sim.stat("requests") == 0)
            }
        }
    }

    @Test("Dfns's 400 and 404 fail at once; a Rejected transfer fails with Dfns's reason")
    func permanentFailures() async throws {
        let configuration = SimulatorConfiguration(transferStep: .milliseconds(30), deniedDestinations: [Self.address])
        try await SimulatorHarness.withSimulator(configuration) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim)
                let badNetwork = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Atlantis"}"#)
                let noWallet = try await database.store.enqueue(
                    kind: "transfer", payload: #"{"walletId":"wa-00000-00000-0000000000000000","kind":"Native","to":"0x1","amount":"1"}"#)
                let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
                let denied = try await database.store.enqueue(
                    kind: "transfer", payload: #"{"walletId":"\#(wallet.id)","kind":"Native","to":"\#(Self.address)","amount":"1"}"#)
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let network = try await WorkerHarness.row(database, badNetwork)
                #expect(network.state == "failed" && network.code == "validation" && network.attempt == 1)
                let missing = try await WorkerHarness.row(database, noWallet)
                #expect(missing.state == "failed" && missing.code == "not_found" && missing.attempt == 1)
                let rejected = try await WorkerHarness.row(database, denied)
                #expect(rejected.state == "failed" && rejected.code == "dfns_rejected" && rejected.message?.contains("deny list") == true)
                #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(denied)") == ["Rejected"])
                #expect(try await database.column("SELECT last_error->>'httpStatus' FROM dfns_worker.jobs WHERE id = \(badNetwork)") == ["400"])
            }
        }
    }

    @Test("5xx and 429 are retried with backoff and then succeed; attempts are recorded in errors")
    func transientFailures() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.engineRetryingWorker(database, sim)
                // On the challenge call: nothing was sent that could create a wallet (a 5xx to the creation itself
                // makes the job wait for the wallet instead: MoneySafetyTests).
                try await sim.setFaults(["init": ["serverErrorRate": 1]])
                let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Base"}"#)
                _ = try await worker.drain(maxJobs: 1)
                var row = try await WorkerHarness.row(database, id)
                #expect(row.state == "retrying" && row.code == "server_error" && row.attempt == 1)

                try await sim.setFaults(["init": ["rateLimitBurstRate": 1, "rateLimitBurstLength": 1]])
                try await waitFor(.seconds(10)) { try await WorkerHarness.isDue(database, id) }
                _ = try await worker.drain(maxJobs: 1)
                row = try await WorkerHarness.row(database, id)
                #expect(row.state == "retrying" && row.code == "rate_limited" && row.attempt == 1, "a 429 spends no attempt")

                try await sim.setFaults([:])
                try await waitFor(.seconds(10)) { try await WorkerHarness.isDue(database, id) }
                try await WorkerHarness.drainUntilTerminal(worker, database)
                row = try await WorkerHarness.row(database, id)
                #expect(row.state == "succeeded" && row.attempt == 2)
                #expect(
                    try await database.column(
                        "SELECT string_agg(e->>'code', ',') FROM dfns_worker.jobs, jsonb_array_elements(errors) e WHERE id = \(id)") == [
                            "server_error,rate_limited"
                        ])
                #expect(try await sim.stat("walletsCreated") == 1)
            }
        }
    }

    @Test("exhausting max_attempts ends failed when nothing can have reached Dfns")
    func attemptsExhausted() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(faults: [.actionInit: FaultRule(serverErrorRate: 1)])) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim) { $0.retryPolicy = .none }
                let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Base"}"#, maxAttempts: 3)
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "failed" && row.attempt == 3 && row.code == "server_error")
                #expect(row.message?.contains("attempts exhausted (3 of 3)") == true)
                #expect(try await database.column("SELECT jsonb_array_length(errors)::text FROM dfns_worker.jobs WHERE id = \(id)") == ["3"])
            }
        }
    }

    @Test("responses lost after commit never duplicate a transfer or a wallet")
    func lostResponses() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.engineRetryingWorker(database, sim)
                let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
                try await sim.setFaults(["create-transfer": ["lostAfterCommitRate": 1], "create-wallet": ["lostAfterCommitRate": 1]])
                let transfer = try await database.store.enqueue(
                    kind: "transfer", payload: #"{"walletId":"\#(wallet.id)","kind":"Native","to":"0x1","amount":"7","waitFor":"submitted"}"#)
                let newWallet = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Solana"}"#)
                _ = try await worker.drain(maxJobs: 2)
                #expect(try await WorkerHarness.row(database, transfer).code == "transport")
                #expect(try await WorkerHarness.row(database, newWallet).code == "transport")
                #expect(try await sim.stat("lostResponses") == 2)

                try await sim.setFaults([:])
                try await waitFor(.seconds(10)) { try await WorkerHarness.isDue(database, transfer) }
                try await waitFor(.seconds(10)) { try await WorkerHarness.isDue(database, newWallet) }
                try await WorkerHarness.drainUntilTerminal(worker, database)
                #expect(try await WorkerHarness.row(database, transfer).state == "succeeded")
                #expect(try await WorkerHarness.row(database, newWallet).state == "succeeded")
                #expect(try await sim.stat("transfersCreated") == 1, "the replay returned the transfer Dfns already made")
                #expect(try await sim.stat("transferReplays") == 1)
                #expect(try await sim.stat("walletsCreated") == 2, "the harness's wallet and the job's, found again by externalId")
                let ids = try await database.column("SELECT result->>'id' FROM dfns_worker.jobs WHERE id = \(newWallet)")
                #expect(ids.first??.hasPrefix("wa-") == true)
            }
        }
    }

    @Test("401 pauses the worker instead of burning attempts; it resumes when Dfns accepts it again")
    func authPause() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let badClient = DfnsClient(
                    configuration: DfnsClientConfiguration(baseURL: sim.baseURL, authToken: "revoked", requestsPerMinute: nil, retryPolicy: .none),
                    signer: sim.signers[.p256]!
                )
                let gateway = DfnsGateway(client: badClient, logger: WorkerHarness.quietLogger)
                var configuration = WorkerConfiguration(workerId: "paused")
                configuration.authProbeInterval = .milliseconds(100)
                var registry = JobRegistry()
                registry.register(CreateWalletJobProxy())
                let worker = try Worker(
                    store: database.store, registry: registry, gateway: gateway, configuration: configuration, databaseURL: nil,
                    logger: WorkerHarness.quietLogger)
                for _ in 0..<5 { _ = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Base"}"#) }
                // Long enough for a first claim however loaded the machine (a full suite once took over a second).
                let summary = try await worker.drain(maxDuration: .seconds(5))
                #expect(summary.claimed >= 1)
                #expect(gateway.authFailure != nil)
                #expect(worker.health.isReady == false)
                let attempts = try await database.column("SELECT sum(attempt)::text FROM dfns_worker.jobs")
                #expect(attempts == ["0"], "no attempt was spent on 401s")
                #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state = 'failed'") == ["0"])
            }
        }
    }

    @Test("a wallet creation still in progress at Dfns when the next attempt looks is waited for, not repeated")
    func walletCreationInProgress() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                // Settle window: lease 4 s + job timeout 2 s. (A 2-second lease could go unrenewed on a loaded machine and
                // the attempt be stopped before its request timed out, taking another path than the one this test shows.)
                let worker = try WorkerHarness.worker(
                    database, sim,
                    configureClient: {
                        $0.retryPolicy = .none
                        $0.requestTimeout = .milliseconds(500)
                    }
                ) {
                    $0.leaseDuration = .seconds(4)
                    $0.jobTimeout = .seconds(2)
                }
                // Every creation outlives the client's timeout: attempt 1 gets no answer while Dfns goes on creating.
                try await sim.setFaults(["create-wallet": ["latencyMilliseconds": 1000]])
                let job = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Solana"}"#)
                try await WorkerHarness.drainUntilTerminal(worker, database)
                let row = try await WorkerHarness.row(database, job)
                let errors = try await database.column("SELECT errors::text FROM dfns_worker.jobs WHERE id = \(job)").first ?? nil
                #expect(row.state == "succeeded")
                #expect(errors?.contains("timeout") == true, "the first attempt got no answer: \(errors ?? "")")
                #expect(try await sim.stat("walletsCreated") == 1)
            }
        }
    }

    @Test("graceful shutdown hands unfinished jobs back without spending an attempt")
    func gracefulShutdown() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim, listen: true)
                let blocked = try await database.store.enqueue(kind: "test_block", payload: "{}")
                let running = Task { try await worker.run() }
                try await waitFor(.seconds(20)) { try await WorkerHarness.row(database, blocked).state == "running" }
                try await waitFor(.seconds(20)) { worker.health.listenerConnected }
                #expect(worker.health.isReady)
                worker.requestStop()
                try await running.value
                let row = try await WorkerHarness.row(database, blocked)
                #expect(row.state == "queued" && row.attempt == 0)
                #expect(
                    try await database.column("SELECT dfns_entity || ' ' || (lease_token IS NULL)::text FROM dfns_worker.jobs WHERE id = \(blocked)")
                        == ["none true"],
                    "the interrupted attempt sent nothing to Dfns, so nothing there is unknown"
                )
            }
        }
    }

    /// A worker of two slots whose jobs never end on their own (an hour's timeout and grace period), and `jobs`
    /// `test_block` jobs queued for it: only a stop or a cancellation ends them.
    private static func blockingWorker(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, jobs: Int) async throws -> Worker {
        for _ in 0..<jobs { _ = try await database.store.enqueue(kind: "test_block", payload: "{}") }
        return try WorkerHarness.worker(
            database, sim,
            configure: {
                $0.concurrency = 2
                $0.jobTimeout = .seconds(3600)
                $0.shutdownGracePeriod = .seconds(3600)
            })
    }

    @Test("cancelling the worker's task reaches every running handler at once; their jobs go back unspent")
    func cancellation() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try await Self.blockingWorker(database, sim, jobs: 5)
                let running = Task { try await worker.run() }
                try await waitFor(.seconds(20)) {
                    try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state = 'running'") == ["4"]
                }
                running.cancel()
                // The handlers sleep for an hour: only cancellation reaching them ends the run in time.
                let ended = Mutex(false)
                Task {
                    _ = try? await running.value
                    ended.withLock { $0 = true }
                }
                try await Poll.until(.seconds(15), every: .milliseconds(20)) { ended.withLock { $0 } }
                try #require(ended.withLock { $0 }, "the worker's run did not end within 15 s of being cancelled")
                let rows = try await database.column("SELECT state || ' ' || attempt FROM dfns_worker.jobs ORDER BY id")
                #expect(rows == Array(repeating: "queued 0", count: 5), "two running and two buffered, all handed back, attempts unspent: \(rows)")
            }
        }
    }

    @Test("a claim PostgreSQL commits while the worker is being cancelled still reaches it, and its jobs go back unspent")
    func cancellationDuringClaim() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try await Self.blockingWorker(database, sim, jobs: 2)
                // Another session holds the table until the worker is cancelled: its first claim waits, and commits after.
                let running = try await database.whileHolding(["LOCK TABLE dfns_worker.jobs IN EXCLUSIVE MODE"]) {
                    let running = Task { try await worker.run() }
                    do {
                        try await waitFor(.seconds(20)) {
                            try await database.column(
                                "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH due AS%'"
                            ) == ["1"]
                        }
                    } catch {
                        running.cancel()
                        throw error
                    }
                    running.cancel()
                    return running
                }
                _ = try? await running.value
                let rows = try await database.column("SELECT state || ' ' || attempt FROM dfns_worker.jobs ORDER BY id")
                #expect(rows == ["queued 0", "queued 0"], "the claim committed after the cancellation was received and handed back: \(rows)")
            }
        }
    }

    @Test("a plain INSERT wakes a running worker at once")
    func notifyWakes() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let worker = try WorkerHarness.worker(database, sim, listen: true, configure: { $0.pollInterval = .seconds(60) })
                let running = Task { try await worker.run() }
                try await waitFor(.seconds(20)) { worker.health.listenerConnected }
                let started = ContinuousClock.now
                try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('noop', '{}')")
                try await waitFor(.seconds(60)) { try await database.column("SELECT state FROM dfns_worker.jobs") == ["succeeded"] }
                #expect(started.duration(to: .now) < .seconds(30), "woken by NOTIFY, not by the 60 s poll")
                worker.requestStop()
                try await running.value
            }
        }
    }
}

/// The built-in `create_wallet` handler under a worker built by hand.
private struct CreateWalletJobProxy: JobHandler {
    let kind = "create_wallet"
    func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        try await DfnsJobs.CreateWalletJob().run(job, context: context)
    }
}
