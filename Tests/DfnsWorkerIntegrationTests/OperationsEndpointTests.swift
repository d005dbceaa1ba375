import AsyncHTTPClient
import DfnsJobs
import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import Testing

@Suite("Metrics and health endpoint", .timeLimit(.minutes(2)))
struct OperationsEndpointTests {
    /// Runs a worker with metrics and its HTTP endpoint on a free port; `body` gets the endpoint's base URL.
    static func withEndpoint(
        _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, token: String = SimulatorHarness.token,
        _ body: @Sendable (String, Worker) async throws -> Void
    ) async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let metrics = WorkerMetrics(kinds: JobCatalog.registry().kinds, version: "test", factory: factory)
        var configuration = WorkerConfiguration(workerId: "ops-test")
        configuration.pollInterval = .milliseconds(100)
        configuration.metricsSampleInterval = .milliseconds(100)
        configuration.authProbeInterval = .seconds(30)
        let client = DfnsClient(
            configuration: DfnsClientConfiguration(
                baseURL: sim.baseURL, authToken: token, requestsPerMinute: nil, retryPolicy: .none, observer: metrics),
            signer: sim.signers[.p256]!
        )
        let worker = try Worker(
            store: database.store, registry: JobCatalog.registry(), gateway: DfnsGateway(client: client, logger: WorkerHarness.quietLogger),
            configuration: configuration, databaseURL: database.url, metrics: metrics, logger: WorkerHarness.quietLogger
        )
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = OperationsServer.application(host: "127.0.0.1", port: 0, worker: worker, registry: registry, logger: WorkerHarness.quietLogger) {
            continuation.yield($0.localAddress?.port ?? 0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask { try await worker.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { group.cancelAll() }
            try await body("http://127.0.0.1:\(port)", worker)
            worker.requestStop()
        }
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test("/metrics reports jobs, errors, Dfns requests and queue depth; /health answers")
    func metrics() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                try await Self.withEndpoint(database, sim) { base, worker in
                    try await waitFor(.seconds(20)) { worker.health.isReady }
                    let live = try await Self.get(base + "/health/live")
                    #expect(live.status == 200 && live.body.contains("live"))
                    let ready = try await Self.get(base + "/health/ready")
                    #expect(ready.status == 200 && ready.body.contains(#""status":"ready""#))

                    _ = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"EthereumSepolia"}"#)
                    _ = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":1}"#)
                    try await waitFor(.seconds(20)) {
                        try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state IN ('succeeded','failed')") == ["2"]
                    }
                    // The counters are recorded before the rows are written; the queue depth is sampled every 100 ms.
                    try await Poll.until(.seconds(20)) {
                        try await Self.get(base + "/metrics").body.contains(#"dfns_worker_queue_jobs{queue="default",state="queued"} 0"#)
                    }
                    let scrape = try await Self.get(base + "/metrics")
                    #expect(scrape.status == 200)
                    let text = scrape.body
                    #expect(text.contains(#"dfns_worker_jobs_finished_total{kind="create_wallet",outcome="succeeded"} 1"#), "\(text.prefix(3000))")
                    #expect(text.contains(#"dfns_worker_jobs_finished_total{kind="create_wallet",outcome="failed"} 1"#))
                    #expect(text.contains(#"dfns_worker_attempt_errors_total{code="invalid_payload"} 1"#))
                    #expect(text.contains(#"dfns_worker_dfns_request_duration_seconds_count{method="POST",endpoint="/wallets",status="200"} 1"#))
                    #expect(
                        text.contains(#"dfns_worker_dfns_request_duration_seconds_count{method="POST",endpoint="/auth/action/init",status="200"} 1"#))
                    #expect(text.contains(#"dfns_worker_job_duration_seconds_count{kind="create_wallet"} 2"#))
                    #expect(text.contains(#"dfns_worker_queue_jobs{queue="default",state="queued"} 0"#))
                    #expect(text.contains(#"dfns_worker_build_info{version="test"} 1"#))
                    #expect(text.contains("dfns_worker_paused 0"))
                    #expect(!text.contains(SimulatorHarness.token), "no secret in metrics")
                }
            }
        }
    }

    @Test("readiness fails, naming the check, while Dfns refuses the credentials")
    func notReadyWhenPaused() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                try await Self.withEndpoint(database, sim, token: "revoked-token") { base, worker in
                    _ = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"EthereumSepolia"}"#)
                    try await waitFor(.seconds(20)) { worker.health.authFailure != nil }
                    let ready = try await Self.get(base + "/health/ready")
                    #expect(ready.status == 503 && ready.body.contains(#""failing":["dfnsCredentials"]"#), "\(ready.body)")
                    #expect(!ready.body.contains("revoked-token"))
                    // The gauge is sampled every 100 ms.
                    try await Poll.until(.seconds(20)) { try await Self.get(base + "/metrics").body.contains("dfns_worker_paused 1") }
                    #expect(try await Self.get(base + "/metrics").body.contains("dfns_worker_paused 1"))
                    worker.requestStop()
                    let stopping = try await Self.get(base + "/health/ready")
                    #expect(stopping.status == 503 && stopping.body.contains("shutting down"))
                }
            }
        }
    }
}
