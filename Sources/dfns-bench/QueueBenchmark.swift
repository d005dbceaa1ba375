import ArgumentParser
import DfnsJobs
import DfnsSDK
import DfnsWorker
import Foundation
import Logging
import PostgresNIO

/// A job that does nothing, registered through the public handler API: measures the engine alone.
struct NoopJob: JobHandler {
    let kind = "noop"
    func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome { .succeeded(result: JobResult(.object([:]))) }
}

/// Enqueues N jobs with one INSERT and drains them with an in-process worker; prints jobs per second.
struct QueueBenchmark: AsyncParsableCommand {
    /// The finished rows `--finished-rows` left in the table.
    static func fillers(_ store: JobStore) async throws -> Int {
        for try await count in try await store.client.query("SELECT count(*) FROM dfns_worker.jobs WHERE payload ? 'filler'").decode(Int.self) {
            return count
        }
        return 0
    }

    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Drain N jobs (noop, or create_wallet against a Dfns API) and report jobs/s. Needs DATABASE_URL; clears dfns_worker.jobs."
    )

    @Option(help: "Job kind: noop or create_wallet.") var kind = "noop"
    @Option(help: "Jobs to enqueue and drain.") var jobs = 20_000
    @Option(help: "Worker concurrency.") var concurrency = 16
    @Option(help: "Most jobs per claim statement.") var claimBatch = 1000
    @Option(help: "Dfns API for create_wallet.") var url = "http://127.0.0.1:8787"
    @Option(help: "Credential id for create_wallet.") var credentialId = "cr-bench"
    @Option(help: "Private key PEM file for create_wallet.") var privateKey: String?
    @Option(help: "Succeeded jobs that finished days ago, left in the table while the jobs run (big-table runs).") var finishedRows = 0
    @Flag(help: "Prune the finished rows (retention, batches of 1000) while the jobs run.") var pruning = false

    func run() async throws {
        let logger = BenchDatabase.logger
        let signer =
            try privateKey.map { try KeySigner(credentialId: credentialId, privateKeyFile: $0) }
            ?? KeySigner(credentialId: credentialId, privateKeyPEM: KeyGenerator.generate(.ed25519).privateKeyPEM)
        let client = DfnsClient(
            configuration: DfnsClientConfiguration(baseURL: url, authToken: "sim-token", requestsPerMinute: nil, writeReplay: .unsentOnly),
            signer: signer
        )
        var registry = JobCatalog.registry()
        registry.register(NoopJob())
        var configuration = WorkerConfiguration(workerId: "bench")
        configuration.concurrency = concurrency
        configuration.claimBatchSize = claimBatch
        try await BenchDatabase.withEmptyQueue(kinds: registry.kinds, finishedRows: finishedRows) { store, _ in
            let payload = kind == "noop" ? "{}" : #"{"network":"EthereumSepolia"}"#
            let enqueueStart = ContinuousClock.now
            try await store.client.query(
                "INSERT INTO dfns_worker.jobs (kind, payload) SELECT \(kind), \(payload)::jsonb FROM generate_series(1, \(jobs))")
            let enqueueSeconds = enqueueStart.duration(to: .now)
            let worker = try Worker(
                store: store, registry: registry, gateway: DfnsGateway(client: client, logger: logger),
                configuration: configuration, databaseURL: nil, logger: logger
            )
            var retention = RetentionPolicy()
            retention.succeeded = .seconds(86_400)
            let pruner = Pruner(policy: retention, store: store, logger: logger)
            // Rounds until nothing is left to prune or the drain ends.
            let fillersBefore = try await Self.fillers(store)
            let prune: Task<Void, any Error>? =
                pruning
                ? Task {
                    do {
                        while !Task.isCancelled, let report = try await pruner.pruneOnce(), report.pruned[.succeeded] ?? 0 > 0 {}
                    } catch is CancellationError {}
                } : nil
            let summary = try await worker.drain()
            prune?.cancel()
            try await prune?.value
            let pruned = try await fillersBefore - Self.fillers(store)
            let succeeded = summary.written[.succeeded] ?? 0
            print(
                String(
                    format:
                        "queue kind=%@ jobs=%d concurrency=%d claim_batch=%d finished_rows=%d pruned=%d succeeded=%d seconds=%.3f jobs_per_s=%.0f enqueue_seconds=%.3f",
                    kind, jobs, concurrency, claimBatch, finishedRows, pruned, succeeded, summary.seconds, Double(summary.claimed) / summary.seconds,
                    enqueueSeconds.seconds))
            if succeeded != jobs { throw ExitCode(1) }
        }
    }
}
