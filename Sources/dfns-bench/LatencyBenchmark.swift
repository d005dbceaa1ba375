import ArgumentParser
import DfnsJobs
import DfnsSDK
import DfnsWorker
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Pickup latency: a plain SQL INSERT every `interval` into an idle, listening worker; measures INSERT (the row's
/// `created_at`, the inserting transaction's time) to handler start.
struct LatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "INSERT → handler start latency of an idle worker woken by NOTIFY. Needs DATABASE_URL; clears dfns_worker.jobs."
    )

    @Option(help: "Milliseconds between INSERTs.") var intervalMs = 10
    @Option(help: "Seconds to insert for.") var seconds = 30
    @Option(help: "Succeeded jobs that finished days ago, left in the table (big-table runs).") var finishedRows = 0

    /// Records, for each job, handler start minus the row's created_at.
    struct ProbeJob: JobHandler {
        let kind = "probe"
        let samples: Samples
        func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
            let started = Date().timeIntervalSince1970
            if case .number(let created)? = job.payload["created"] { samples.add(started - created) }
            return .succeeded(result: JobResult(.object([:])))
        }
    }

    final class Samples: Sendable {
        private let values = Mutex<[Double]>([])
        func add(_ value: Double) { values.withLock { $0.append(value) } }
        var all: [Double] { values.withLock { $0 } }
    }

    func run() async throws {
        let logger = BenchDatabase.logger
        let samples = Samples()
        var registry = JobRegistry()
        registry.register(ProbeJob(samples: samples))
        var configuration = WorkerConfiguration(workerId: "latency")
        configuration.concurrency = 16
        let signer = try KeySigner(credentialId: "unused", privateKeyPEM: KeyGenerator.generate(.p256).privateKeyPEM)
        let client = DfnsClient(configuration: DfnsClientConfiguration(baseURL: "http://127.0.0.1:9", authToken: "unused"), signer: signer)
        try await BenchDatabase.withEmptyQueue(kinds: registry.kinds, finishedRows: finishedRows) { store, databaseURL in
            try await withThrowingTaskGroup(of: Void.self) { group in
                defer { group.cancelAll() }
                let worker = try Worker(
                    store: store, registry: registry, gateway: DfnsGateway(client: client, logger: logger),
                    configuration: configuration, databaseURL: databaseURL, logger: logger
                )
                group.addTask { try await worker.run() }
                while !worker.health.listenerConnected { try await Task.sleep(for: .milliseconds(20)) }
                try await Task.sleep(for: .milliseconds(500))
                let inserts = seconds * 1000 / intervalMs
                let clock = ContinuousClock()
                var next = clock.now
                for _ in 0..<inserts {
                    next = next.advanced(by: .milliseconds(intervalMs))
                    // The row records its own transaction time; the handler subtracts it from its start.
                    try await store.client.query(
                        """
                        INSERT INTO dfns_worker.jobs (kind, payload)
                        VALUES ('probe', jsonb_build_object('created', extract(epoch FROM clock_timestamp())))
                        """)
                    try await clock.sleep(until: next)
                }
                try await Task.sleep(for: .seconds(1))
                worker.requestStop()
                let sorted = samples.all.sorted()
                guard !sorted.isEmpty else { throw ExitCode(1) }
                func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
                print(
                    String(
                        format: "latency inserts=%d picked=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f", inserts, sorted.count, percentile(0.5),
                        percentile(0.99), sorted.last! * 1000))
            }
        }
    }
}
