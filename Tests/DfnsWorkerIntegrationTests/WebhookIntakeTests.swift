import AsyncHTTPClient
import DfnsJobs
import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import Testing

/// Webhook events received by the worker's HTTP endpoint against a real PostgreSQL: what they wake, what is refused,
/// and the simulator delivering them as Dfns does (including lost and duplicated deliveries).
@Suite("Webhooks into the worker", .timeLimit(.minutes(2)))
struct WebhookIntakeTests {
    static let secret = "whs-intake-test"

    /// The worker's HTTP endpoint with webhooks on, on a free port; `body` gets the webhook URL.
    static func withIntake(
        _ database: TestDatabase.Handle, secret: String = secret, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: @Sendable (String) async throws -> Void
    ) async throws {
        let metrics = WorkerMetrics(kinds: JobCatalog.registry().kinds, version: "test", factory: PrometheusMetricsFactory(registry: registry))
        let intake = WebhookIntake(secret: secret, store: database.store, metrics: metrics, logger: WorkerHarness.quietLogger)
        let worker = try Worker(
            store: database.store, registry: JobCatalog.registry(),
            gateway: DfnsGateway(
                client: DfnsClient(
                    configuration: DfnsClientConfiguration(baseURL: "http://127.0.0.1:9", authToken: "unused"),
                    signer: try KeySigner(
                        credentialId: "cr-unused", privateKeyPEM: try KeyGenerator.generate(.ed25519).privateKeyPEM
                    )), logger: WorkerHarness.quietLogger
            ), configuration: WorkerConfiguration(workerId: "intake-test"), databaseURL: nil, logger: WorkerHarness.quietLogger
        )
        try await LoopbackServer.run(
            { onServerRunning in
                OperationsServer.application(
                    port: 0, worker: worker, registry: PrometheusCollectorRegistry(), logger: WorkerHarness.quietLogger, webhooks: intake,
                    onServerRunning: onServerRunning
                )
            }, logger: WorkerHarness.quietLogger
        ) { port in
            try await body("http://127.0.0.1:\(port)/webhooks/dfns")
        }
    }

    static func post(_ url: String, _ body: [UInt8], signature: String?) async throws -> (status: Int, json: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        if let signature { request.headers.add(name: DfnsWebhookVerifier.signatureHeader, value: signature) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let data = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:])
    }

    static func event(id: String, transferId: String, sent: Date = Date()) -> [UInt8] {
        Array(
            #"{"id":"\#(id)","kind":"wallet.transfer.confirmed","date":"2026-11-30T00:00:00.000Z","data":{"transferRequest":{"id":"\#(transferId)"}},"timestampSent":\#(Int(sent.timeIntervalSince1970)),"deliveryAttempt":1}"#
                .utf8)
    }

    /// A transfer job submitted and waiting, its next poll an hour away.
    static func waitingTransfer(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running) async throws -> (job: Int64, transfer: String) {
        let wallet = try await sim.client().createWallet(CreateWalletRequest(network: "Ethereum"))
        let id = try await database.store.enqueue(
            kind: "transfer", payload: #"{"walletId":"\#(wallet.id)","kind":"Native","to":"0x\#(String(repeating: "cd", count: 20))","amount":"1"}"#)
        _ = try await WorkerHarness.submittingWorker(database, sim).drain()
        try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '1 hour' WHERE id = \(id)")
        let transfer = try await database.column("SELECT checkpoint->>'transferId' FROM dfns_worker.jobs WHERE id = \(id) AND state = 'waiting'")
        return (id, (transfer.first ?? nil) ?? "")
    }

    @Test("a verified event wakes the waiting job of its transfer; replayed, forged, unsigned, stale and malformed ones change nothing")
    func intake() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(30))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (job, transfer) = try await Self.waitingTransfer(database, sim)
                #expect(transfer.hasPrefix("xfr-"))
                let registry = PrometheusCollectorRegistry()
                try await Self.withIntake(database, registry: registry) { url in
                    let verifier = DfnsWebhookVerifier(secret: Self.secret)
                    let forged = Self.event(id: "whe-forged", transferId: transfer)
                    #expect(try await Self.post(url, forged, signature: DfnsWebhookVerifier(secret: "guess").signature(of: forged)).status == 401)
                    #expect(try await Self.post(url, forged, signature: nil).status == 401)
                    let stale = Self.event(id: "whe-stale", transferId: transfer, sent: Date().addingTimeInterval(-600))
                    let staleAnswer = try await Self.post(url, stale, signature: verifier.signature(of: stale))
                    #expect(staleAnswer.status == 400 && staleAnswer.json["error"] as? String == "stale")
                    let malformed = Array(#"{"kind":"wallet.transfer.confirmed"}"#.utf8)
                    #expect(try await Self.post(url, malformed, signature: verifier.signature(of: malformed)).status == 400)
                    #expect(try await !WorkerHarness.isDue(database, job), "nothing refused touched the job")
                    #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.webhook_events") == ["0"])

                    let valid = Self.event(id: "whe-1", transferId: transfer)
                    let answer = try await Self.post(url, valid, signature: verifier.signature(of: valid))
                    #expect(answer.status == 200 && answer.json["woken"] as? String == "1", "\(answer)")
                    #expect(try await WorkerHarness.isDue(database, job))
                    try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '1 hour' WHERE id = \(job)")
                    let replay = try await Self.post(url, valid, signature: verifier.signature(of: valid))
                    #expect(replay.status == 200 && replay.json["duplicate"] as? String == "true")
                    #expect(try await !WorkerHarness.isDue(database, job), "a replay wakes nothing")
                    let other = Self.event(id: "whe-2", transferId: "xfr-someone-else")
                    #expect(try await Self.post(url, other, signature: verifier.signature(of: other)).json["woken"] as? String == "0")
                }
                var text: [UInt8] = []
                registry.emit(into: &text)
                let exposition = String(decoding: text, as: UTF8.self)
                for (outcome, count) in [("forged", 2), ("invalid", 2), ("accepted", 2), ("duplicate", 1), ("unavailable", 0)] {
                    #expect(exposition.contains(#"dfns_worker_webhook_events_total{outcome="\#(outcome)"} \#(count)"#), "\(outcome)")
                }
            }
        }
    }

    @Test("an event about the entity of a running job is not used up: the job's next poll is due as soon as the attempt ends")
    func eventWhileRunning() async throws {
        try await SimulatorHarness.withSimulator(SimulatorConfiguration(transferStep: .seconds(30))) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (job, transfer) = try await Self.waitingTransfer(database, sim)
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() WHERE id = \(job)")
                let polling = try await database.store.claim(queues: ["default"], kinds: ["transfer"], limit: 1, workerId: "w", lease: .seconds(30))
                #expect(polling.map(\.id) == [job])
                // The event arrives while the poll runs, having read the transfer before it changed.
                #expect(
                    try await database.store.receiveWebhookEvent(id: "whe-running", kind: "wallet.transfer.confirmed", entityId: transfer) == .woke(1)
                )
                let outcome = JobCompletion(job: polling[0], state: .waiting)
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '1 hour' WHERE id = \(job)")
                #expect(try await database.store.finish([outcome]) == [job])
                #expect(try await WorkerHarness.isDue(database, job), "the poll that the event asked for is due now, not in an hour")
            }
        }
    }

    /// A webhook at the simulator for `wallet.transfer.confirmed`, pointed at the worker's endpoint once it listens with
    /// the webhook's secret (Dfns makes the secret; the endpoint needs it to start).
    static func withDeliveries(
        _ sim: SimulatorHarness.Running, _ database: TestDatabase.Handle, _ body: @Sendable (_ webhookId: String) async throws -> Void
    ) async throws {
        let client = sim.client()
        let webhook = try await client.send(
            DfnsWebhooks.createWebhook(url: "http://127.0.0.1:9/later", events: ["wallet.transfer.confirmed"], status: "Disabled"))
        try await withIntake(database, secret: try #require(webhook.secret)) { url in
            _ = try await client.send(DfnsWebhooks.updateWebhook(webhookId: webhook.id, url: url, status: "Enabled"))
            try await body(webhook.id)
        }
    }

    @Test("the simulator's deliveries finish a waiting job long before its next poll; a duplicated delivery is recorded once")
    func deliveredBySimulator() async throws {
        let configuration = SimulatorConfiguration(transferStep: .milliseconds(300), webhookFaults: WebhookFaults(duplicateRate: 1))
        try await SimulatorHarness.withSimulator(configuration) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (job, _) = try await Self.waitingTransfer(database, sim)
                try await Self.withDeliveries(sim, database) { _ in
                    try await waitFor(.seconds(10)) { try await WorkerHarness.isDue(database, job) }
                    try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                    #expect(try await WorkerHarness.row(database, job).state == "succeeded")
                    #expect(
                        try await database.column("SELECT kind || ' ' || entity_id FROM dfns_worker.webhook_events").count == 1,
                        "each delivery came twice with one event id")
                }
            }
        }
    }

    @Test("deliveries lost on the way: the job still finishes by polling")
    func droppedDeliveries() async throws {
        let configuration = SimulatorConfiguration(
            transferStep: .milliseconds(300), webhookRetryDelays: [], webhookFaults: WebhookFaults(dropRate: 1))
        try await SimulatorHarness.withSimulator(configuration) { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                let (job, _) = try await Self.waitingTransfer(database, sim)
                try await database.execute("UPDATE dfns_worker.jobs SET run_at = now() + interval '2 seconds' WHERE id = \(job)")
                try await Self.withDeliveries(sim, database) { webhookId in
                    try await WorkerHarness.drainUntilTerminal(WorkerHarness.worker(database, sim), database)
                    #expect(try await WorkerHarness.row(database, job).state == "succeeded")
                    #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.webhook_events") == ["0"])
                    let events = try await sim.client().send(DfnsWebhooks.listWebhookEvents(webhookId: webhookId))
                    #expect(
                        !events.items.isEmpty && events.items.allSatisfy { $0.raw["deliveryFailed"] == true },
                        "the simulator recorded the lost deliveries")
                }
            }
        }
    }
}
