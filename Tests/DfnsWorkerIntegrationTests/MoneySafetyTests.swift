import DfnsJobs
import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Logging
import PostgresNIO
import Testing

/// The money-safety promises (RELIABILITY.md, "The state machine"): no path sends an operation twice, and no row
/// says failed or cancelled while its Dfns entity may still progress. Each test drives the real worker against a
/// real PostgreSQL and the simulator over HTTP, through the failure that used to break the promise.
@Suite("Money safety", .timeLimit(.minutes(3)))
struct MoneySafetyTests {
    static let address = "0x" + String(repeating: "cd", count: 20)

    static func transferPayload(_ walletId: String, amount: Int = 1000, waitFor: String = "confirmed") -> String {
        #"{"walletId":"\#(walletId)","kind":"Native","to":"\#(address)","amount":"\#(amount)","waitFor":"\#(waitFor)"}"#
    }

    /// Enqueues a transfer of 1000 from `walletId` to ``address`` (`maxAttempts` 20 is `JobStore.enqueue`'s own default).
    static func enqueueTransfer(
        _ database: TestDatabase.Handle, from walletId: String, waitFor: String = "confirmed", maxAttempts: Int = 20, uniqueKey: String? = nil
    ) async throws -> Int64 {
        try await database.store.enqueue(
            kind: "transfer", payload: transferPayload(walletId, waitFor: waitFor), maxAttempts: maxAttempts, uniqueKey: uniqueKey)
    }

    @Test("a retry after an unknown outcome keeps the externalId: one transfer, and the job follows it")
    func retryAfterUnknownOutcome() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.worker(database, sim, configureClient: { $0.retryPolicy = .none }) { $0.jobTimeout = .seconds(5) }
            let wallet = try await sim.createWallet()
            try await sim.setFaultRules(["create-transfer": FaultRule(lostAfterCommitRate: 1)])
            let id = try await Self.enqueueTransfer(database, from: wallet.id, maxAttempts: 1)
            _ = try await worker.drain(maxJobs: 1)
            #expect(try await sim.stat("transfersCreated") == 1, "the only attempt reached Dfns and lost its answer")
            try await sim.setFaultRules([:])
            // What an operator does with a job whose attempts ran out: retry it (refused when nothing failed).
            _ = try await database.store.retry(id)
            try await WorkerHarness.drainUntilTerminal(worker, database)
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "succeeded", "\(row)")
            #expect(try await sim.stat("transfersCreated") == 1, "the transfer made by the lost attempt is the job's")
            #expect(try await sim.stat("transferReplays") == 0, "found by a read-only look-up, not by sending it again")
        }
    }

    @Test(
        "attempts used up without one answer: the job looks the operation up, and fails only once Dfns shows nothing was created",
        arguments: ["create-transfer", "create-wallet"]
    )
    func attemptsExhaustedNothingCreated(endpoint: String) async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.settlingWorker(database, sim)
            let wallet = try await sim.createWallet()
            // A 5xx before Dfns processes anything: the worker cannot know that nothing was made.
            try await sim.setFaultRules([endpoint: FaultRule(serverErrorRate: 1)])
            let id =
                endpoint == "create-wallet"
                ? try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Tron"}"#, maxAttempts: 2)
                : try await Self.enqueueTransfer(database, from: wallet.id, maxAttempts: 2)
            let started = ContinuousClock.now
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(started.duration(to: .now) >= .seconds(5), "it waited the settle window (lease 3 s + timeout 2 s) before concluding")
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "failed" && row.code == "attempts_exhausted" && row.attempt == 2, "\(row)")
            #expect(row.message?.contains("nothing was created") == true)
            #expect(try await database.column("SELECT dfns_entity FROM dfns_worker.jobs WHERE id = \(id)") == ["none"])
            #expect(try await sim.stat("walletsCreated") == 1, "the harness's wallet only")
            #expect(try await sim.stat("transfersCreated") == 0)
        }
    }

    @Test("a 409 (the payload's externalId belongs to another transfer) fails the job: nothing of its own was created")
    func conflictingExternalId() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let client = sim.client()
            let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
            let other = try await client.createTransfer(walletId: wallet.id, .native(to: Self.address, amount: "1", externalId: "order-9"))
            let id = try await database.store.enqueue(
                kind: "transfer",
                payload: #"{"walletId":"\#(wallet.id)","kind":"Native","to":"\#(Self.address)","amount":"2","externalId":"order-9"}"#
            )
            try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "failed" && row.code == "conflict" && row.message?.contains(other.id) == true, "\(row)")
            #expect(try await database.column("SELECT dfns_entity FROM dfns_worker.jobs WHERE id = \(id)") == ["none"])
            #expect(try await sim.stat("transfersCreated") == 1)
        }
    }

    @Test("a retry after Dfns rejected the transfer uses a new externalId, recorded on the row")
    func retryAfterRejection() async throws {
        try await WorkerHarness.withSimulatorAndDatabase(SimulatorConfiguration(transferStep: .milliseconds(30), deniedDestinations: [Self.address]))
        { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let wallet = try await sim.createWallet()
            let id = try await Self.enqueueTransfer(database, from: wallet.id)
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).code == "dfns_rejected")
            let first = try await database.column("SELECT result->>'externalId' FROM dfns_worker.jobs WHERE id = \(id)")
            #expect(try await database.store.retry(id))
            try await WorkerHarness.drainUntilTerminal(worker, database)
            let second = try await database.column("SELECT result->>'externalId' FROM dfns_worker.jobs WHERE id = \(id)")
            #expect(first != second && second.first??.hasSuffix("-r1") == true, "\(first) then \(second)")
            #expect(try await sim.stat("transfersCreated") == 2)
            #expect(try await sim.stat("distinctTransferExternalIds") == 2)
        }
    }

    @Test("cancel refuses a job whose transfer was submitted; the job then succeeds and keeps its unique_key")
    func cancelWhileWaiting() async throws {
        try await WorkerHarness.withSimulatorAndDatabase(SimulatorConfiguration(transferStep: .milliseconds(700))) { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let wallet = try await sim.createWallet()
            let id = try await Self.enqueueTransfer(database, from: wallet.id, uniqueKey: "order-7")
            // Its first poll a minute away: the job is waiting however slow the machine.
            _ = try await WorkerHarness.submittingWorker(database, sim).drain()
            #expect(try await WorkerHarness.row(database, id).state == "waiting")
            try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
            #expect(try await database.store.cancel(id) == false, "the transfer is at Dfns and may still move")
            #expect(try await database.store.enqueue(kind: "transfer", payload: Self.transferPayload(wallet.id), uniqueKey: "order-7") == id)
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            #expect(try await sim.stat("transfersCreated") == 1)
        }
    }

    @Test("HTTP 202 (a policy holds the transfer for approval) is an accepted transfer, followed until Confirmed")
    func acceptedForApproval() async throws {
        let configuration = SimulatorConfiguration(transferStep: .milliseconds(50), approvalFraction: 1, approvalDelay: .milliseconds(1500))
        try await WorkerHarness.withSimulatorAndDatabase(configuration) { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let wallet = try await sim.createWallet()
            let id = try await Self.enqueueTransfer(database, from: wallet.id)
            // Submitted by a worker that polls only after a minute: on a loaded machine a fast-polling drain could
            // outlast the 1.5 s approval and see the transfer Confirmed before the test looks.
            _ = try await WorkerHarness.submittingWorker(database, sim).drain()
            let waiting = try await WorkerHarness.row(database, id)
            #expect(waiting.state == "waiting" && waiting.code == nil, "\(waiting)")
            #expect(try await database.column("SELECT (result->>'approvalId' IS NOT NULL)::text FROM dfns_worker.jobs WHERE id = \(id)") == ["true"])
            try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(id)") == ["Confirmed"])
            #expect(try await sim.stat("transfersCreated") == 1)
        }
    }

    @Test("a NUL in Dfns's rejection reason fails that job with the reason; every other outcome lands and drain ends")
    func unstorableText() async throws {
        try await WorkerHarness.withSimulatorAndDatabase(SimulatorConfiguration(transferStep: .milliseconds(100))) { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let wallet = try await sim.createWallet()
            try await sim.setFaultRules(["create-transfer": FaultRule(nulReasonRate: 1)])
            let transfer = try await Self.enqueueTransfer(database, from: wallet.id)
            _ = try await worker.drain()
            try await waitFor(.seconds(10)) {
                (try await sim.control("transfers")["items"] as? [[String: Any]])?.first?["status"] as? String == "Rejected"
            }
            // The poll that learns the rejection is written back in one batch with these.
            try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'noop', '{}' FROM generate_series(1, 30)")
            try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(transfer)")
            try await withTimeout(.seconds(30), "drain never ended") {
                try await WorkerHarness.drainUntilTerminal(worker, database)
            }
            let row = try await WorkerHarness.row(database, transfer)
            #expect(row.state == "failed" && row.code == "dfns_rejected", "\(row)")
            #expect(row.message?.contains("Blocked by policy") == true && row.message?.contains("daily limit") == true, "\(row)")
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE kind = 'noop' AND state = 'succeeded'") == ["30"])
        }
    }

    @Test("an outcome PostgreSQL refuses anyway is written without its content and says why; the rest of its batch lands")
    func refusedOutcome() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'noop', '{}' FROM generate_series(1, 40)")
            // A check of the application's that refuses one job's result (SQLSTATE 22023, a data exception).
            try await database.execute(
                """
                CREATE FUNCTION public.refuse_job_7() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.id = 7 AND NEW.result IS DISTINCT FROM OLD.result THEN
                        RAISE EXCEPTION 'job 7 may not have a result' USING ERRCODE = '22023';
                    END IF;
                    RETURN NEW;
                END $$
                """)
            try await database.execute(
                "CREATE TRIGGER refuse_job_7 BEFORE UPDATE ON dfns_worker.jobs FOR EACH ROW EXECUTE FUNCTION public.refuse_job_7()")
            let summary = try await withTimeout(.seconds(30), "drain never ended") { try await WorkerHarness.worker(database, sim).drain() }
            #expect(summary.written[.succeeded] == 40)
            let row = try await WorkerHarness.row(database, 7)
            #expect(row.state == "succeeded" && row.code == "write_refused", "\(row)")
            #expect(row.message?.contains("job 7 may not have a result") == true)
            #expect(
                try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state = 'succeeded' AND result IS NOT NULL") == ["39"])
        }
    }

    @Test("an absurd Retry-After neither crashes the worker nor pauses it; the job is due again within the backoff cap")
    func absurdRetryAfter() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.worker(database, sim, configureClient: { $0.retryPolicy = .none }) { $0.retryMaxDelay = .seconds(60) }
            try await sim.setFaultRules(["init": FaultRule(rateLimitBurstRate: 1, rateLimitBurstLength: 1, rateLimitRetryAfter: "1e300")])
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Base"}"#)
            _ = try await worker.drain(maxJobs: 1)
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "retrying" && row.code == "rate_limited" && row.attempt == 0, "\(row)")
            let delay = try await database.column("SELECT extract(epoch FROM run_at - now())::int::text FROM dfns_worker.jobs WHERE id = \(id)")
            #expect((Int(delay.first.flatMap { $0 } ?? "") ?? -1) <= 60, "run_at \(delay) s away")
        }
    }

    @Test("a proxy's 502 while Dfns goes on creating the wallet: the job waits for it and creates one wallet")
    func proxyErrorDuringCreation() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.settlingWorker(database, sim)
            try await sim.setFaultRules(["create-wallet": FaultRule(latencyMilliseconds: 800, proxyTimeoutMilliseconds: 150)])
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Solana"}"#)
            // A job whose 3-second lease could not be renewed in time on a loaded machine is handed back before it
            // starts (no attempt spent): drain again until an attempt ran, however long a loaded machine takes.
            try await Poll.until(.seconds(60), every: .milliseconds(100)) {
                if try await WorkerHarness.row(database, id).code != nil { return true }
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
                _ = try await worker.drain(maxJobs: 1)
                return false
            }
            let first = try await WorkerHarness.row(database, id)
            // The proxy's 502 after 150 ms; on a loaded machine the 2-second attempt timeout may come first. Either
            // way the request may have reached Dfns: the outcome is unknown, which is what this test is about.
            #expect(["server_error", "job_timeout"].contains(first.code) && first.state == "retrying", "\(first)")
            try await sim.setFaultRules([:])
            try await WorkerHarness.drainUntilTerminal(worker, database)
            try await Task.sleep(for: .seconds(1))
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            #expect(try await sim.stat("walletsCreated") == 1, "the wallet whose answer the proxy replaced is the job's")
        }
    }

    @Test("two job tables against one Dfns organisation never share a derived externalId")
    func twoInstallations() async throws {
        try await SimulatorHarness.withSimulator { sim in
            let wallet = try await sim.createWallet()
            let ids = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await WorkerHarness.withDatabase { database in
                            let id = try await Self.enqueueTransfer(database, from: wallet.id, waitFor: "submitted")
                            try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                            return try await database.column("SELECT result->>'id' FROM dfns_worker.jobs WHERE id = \(id)").first ?? nil
                        }
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(Set(ids.compactMap { $0 }).count == 2, "each table's job made its own transfer: \(ids)")
            #expect(try await sim.stat("transfersCreated") == 2)
        }
    }

    @Test("a worker cut off from PostgreSQL stops its jobs before its leases expire: no job runs twice at once")
    func databasePartition() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let log = ExecutionLog()
            try await Self.runPartitioned(database, sim, log)
            let runs = log.runs
            #expect(Set(runs.filter { $0.tag == "cut-off" }.map(\.job)).count == 4, "the cut-off worker ran every job first: \(runs)")
            for job in Set(runs.map(\.job)) {
                let ordered = runs.filter { $0.job == job }.sorted { $0.started < $1.started }
                for (earlier, later) in zip(ordered, ordered.dropFirst()) {
                    #expect(
                        earlier.ended <= later.started,
                        "job \(job) ran on \(earlier.tag) until \(earlier.ended) and on \(later.tag) from \(later.started)")
                }
            }
        }
    }

    /// Runs four 8-second jobs on a worker whose database connections go through a proxy, cuts the proxy once they
    /// run, and lets a second worker (connected directly) take them over.
    static func runPartitioned(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, _ log: ExecutionLog) async throws {
        let proxy = try await TCPProxy.start(to: database.url.host, port: database.url.port)
        defer { proxy.stop() }
        var proxied = database.url
        proxied.port = proxy.port
        let client = PostgresClient(configuration: proxied.clientConfiguration(maximumConnections: 4), backgroundLogger: WorkerHarness.quietLogger)
        let clientTask = Task { await client.run() }
        defer { clientTask.cancel() }
        let cutOff = try WorkerHarness.worker(
            database, sim, store: JobStore(client: client, logger: WorkerHarness.quietLogger, statementTimeout: .seconds(3)),
            handlers: [RecordingJob(tag: "cut-off", log: log)], configure: partitionTimings
        )
        let healthy = try WorkerHarness.worker(database, sim, handlers: [RecordingJob(tag: "healthy", log: log)], configure: partitionTimings)
        try await database.execute("INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'test_record', '{\"seconds\":8}' FROM generate_series(1, 4)")
        let first = Task { try await cutOff.run() }
        // Whatever happens, both workers stop (a worker left running would hold the database open).
        defer {
            proxy.restore()
            healthy.requestStop()
            cutOff.requestStop()
        }
        // Claims through the proxy can be slow on a loaded machine (the whole suite at once): wait for the four to run
        // on the cut-off worker before cutting it off, then give the healthy one the time rescues and 8-second jobs take.
        try await waitFor(.seconds(60)) { log.running("cut-off") == 4 }
        proxy.cut()
        let second = Task { try await healthy.run() }
        try await waitFor(.seconds(90)) {
            try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state = 'succeeded'") == ["4"]
        }
        healthy.requestStop()
        try await second.value
        proxy.restore()
        cutOff.requestStop()
        _ = try? await first.value
    }

    /// A 4 s lease renewed every second, so a cut-off worker's leases expire quickly; jobs may run a minute.
    static func partitionTimings(_ configuration: inout WorkerConfiguration) {
        configuration.leaseDuration = .seconds(4)
        configuration.heartbeatInterval = .seconds(1)
        configuration.rescueInterval = .milliseconds(300)
        configuration.jobTimeout = .seconds(60)
    }

    @Test("a 404, or a body that does not decode, while following a submitted transfer keeps it waiting; no attempt spent")
    func pollErrorsKeepWaiting() async throws {
        try await WorkerHarness.withSimulatorAndDatabase(SimulatorConfiguration(transferStep: .milliseconds(300))) { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let wallet = try await sim.createWallet()
            let id = try await Self.enqueueTransfer(database, from: wallet.id)
            // Submitted by a worker that polls only after a minute: a fast-polling drain on a loaded machine could
            // follow the 300 ms stages to Confirmed before the faults are set.
            _ = try await WorkerHarness.submittingWorker(database, sim).drain()
            for (rule, code) in [(FaultRule(notFoundRate: 1), "not_found"), (FaultRule(garbledResponseRate: 1), "decoding")] {
                try await sim.setFaultRules(["read": rule])
                for _ in 0..<3 {
                    try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
                    _ = try await worker.drain()
                }
                let row = try await WorkerHarness.row(database, id)
                #expect(row.state == "waiting" && row.code == code && row.attempt == 1, "\(row)")
            }
            try await sim.setFaultRules([:])
            try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            #expect(try await sim.stat("transfersCreated") == 1)
        }
    }

    @Test("a 2xx whose body does not decode is an entity that exists: reconciled, never failed", arguments: ["create-transfer", "create-wallet"])
    func undecodableCreation(endpoint: String) async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.settlingWorker(database, sim)
            let wallet = try await sim.createWallet()
            try await sim.setFaultRules([endpoint: FaultRule(garbledResponseRate: 1)])
            let id =
                endpoint == "create-wallet"
                ? try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Tron"}"#)
                : try await Self.enqueueTransfer(database, from: wallet.id, waitFor: "submitted")
            _ = try await worker.drain(maxJobs: 1)
            #expect(try await WorkerHarness.row(database, id).state != "failed")
            try await sim.setFaultRules([:])
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            let created = try await sim.stat(endpoint == "create-wallet" ? "walletsCreated" : "transfersCreated")
            #expect(created == (endpoint == "create-wallet" ? 2 : 1), "the harness's wallet plus the job's, or the one transfer")
        }
    }

    @Test("a 403 that concerns one job fails it after a few tries while the others run; the worker is not left paused")
    func forbiddenForOneJob() async throws {
        try await WorkerHarness.withSimulatorAndDatabase(SimulatorConfiguration(transferStep: .milliseconds(30))) { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let denied = try await sim.createWallet()
            let allowed = try await sim.createWallet()
            try await sim.control(put: "forbidden-wallets", [denied.id])
            let refused = try await Self.enqueueTransfer(database, from: denied.id)
            let fine = try await Self.enqueueTransfer(database, from: allowed.id)
            for _ in 0..<8 {
                if try await WorkerHarness.row(database, refused).state == "failed" { break }
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE state IN ('retrying', 'waiting')")
                _ = try await worker.drain()
            }
            let row = try await WorkerHarness.row(database, refused)
            #expect(row.state == "failed" && row.code == "forbidden", "\(row)")
            #expect(row.message?.contains("Wallets:Transfers:Create") == true, "\(row)")
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, fine).state == "succeeded")
            #expect(worker.health.authFailure == nil)
        }
    }

    @Test("403s after an unknown outcome stop the sending: the job looks the transfer up and fails once Dfns shows none was made")
    func forbiddenAfterUnknownOutcome() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.settlingWorker(database, sim)
            let wallet = try await sim.createWallet()
            try await sim.setFaultRules(["create-transfer": FaultRule(serverErrorRate: 1)])
            let id = try await Self.enqueueTransfer(database, from: wallet.id)
            // A job whose 3-second lease could not be renewed in time on a loaded machine is handed back before it
            // starts (no attempt spent): drain again until an attempt ran, however long a loaded machine takes.
            try await Poll.until(.seconds(60), every: .milliseconds(100)) {
                if try await WorkerHarness.row(database, id).code != nil { return true }
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
                _ = try await worker.drain(maxJobs: 1)
                return false
            }
            #expect(try await database.column("SELECT dfns_entity FROM dfns_worker.jobs WHERE id = \(id)") == ["unknown"])
            try await sim.setFaultRules([:])
            try await sim.control(put: "forbidden-wallets", [wallet.id])
            try await Poll.until(.seconds(30), every: .milliseconds(200)) {
                if try await WorkerHarness.row(database, id).state == "failed" { return true }
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(id)")
                _ = try await worker.drain()
                return false
            }
            let row = try await WorkerHarness.row(database, id)
            #expect(row.state == "failed" && row.code == "attempts_exhausted" && row.message?.contains("nothing was created") == true, "\(row)")
            #expect(try await sim.stat("transfersCreated") == 0)
        }
    }

    @Test(
        "the wallet look-up after an unknown outcome adopts only a wallet of the job's network, past wallets it cannot read",
        arguments: [false, true]
    )
    func walletLookUp(oddWalletFirst: Bool) async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.settlingWorker(database, sim)
            if oddWalletFirst { try await sim.control(post: "foreign-wallets", ["network": "Bitcoin", "oddShape": true]) }
            try await sim.control(post: "foreign-wallets", ["network": "Ethereum", "externalId": "shared-7"])
            try await sim.setFaultRules(["create-wallet": FaultRule(lostAfterCommitRate: 1)])
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"Solana","externalId":"shared-7"}"#)
            _ = try await worker.drain(maxJobs: 1)
            try await sim.setFaultRules([:])
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            #expect(try await database.column("SELECT result->>'network' FROM dfns_worker.jobs WHERE id = \(id)") == ["Solana"])
            #expect(try await sim.stat("walletsCreated") == 1)
        }
    }

    @Test(
        "a unique_key keeps protecting the payment after retention pruned its job: the same key enqueued again makes no second operation",
        arguments: ["transfer", "create_wallet"]
    )
    func uniqueKeyAcrossRetention(kind: String) async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let worker = try WorkerHarness.worker(database, sim)
            let before = try await sim.stat(kind == "transfer" ? "transfersCreated" : "walletsCreated")
            let payload =
                kind == "transfer"
                ? Self.transferPayload(try await sim.createWallet().id, waitFor: "submitted")
                : #"{"network":"Ethereum"}"#
            let first = try await database.store.enqueue(kind: kind, payload: payload, uniqueKey: "invoice-42")
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, first).state == "succeeded")
            let entity = try await database.column("SELECT result->>'id' FROM dfns_worker.jobs WHERE id = \(first)")
            // A week later retention deletes it; then a reconciliation replays the event that enqueued it.
            try await database.execute("UPDATE dfns_worker.jobs SET finished_at = now() - interval '8 days' WHERE id = \(first)")
            #expect(try await database.column("SELECT dfns_worker.prune_jobs('succeeded', interval '7 days', 100)::text") == ["1"])
            let again = try await database.store.enqueue(kind: kind, payload: payload, uniqueKey: "invoice-42")
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, again).state == "succeeded")
            #expect(try await database.column("SELECT result->>'id' FROM dfns_worker.jobs WHERE id = \(again)") == entity, "the same operation")
            let created = try await sim.stat(kind == "transfer" ? "transfersCreated" : "walletsCreated") - before
            #expect(created == 1, "one \(kind) at Dfns for the key")
        }
    }
}
