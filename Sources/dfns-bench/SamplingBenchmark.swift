import ArgumentParser
import DfnsWorker
import Foundation
import PostgresNIO

/// What the queue sampling (every worker, every 5 s) and `dfns-worker status` cost: median and p99 of each statement
/// set, with 1,000 active jobs and `--finished-rows` finished ones in the table.
struct SamplingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampling",
        abstract: "Time the queue sampling and `status` on a table of finished rows. Needs DATABASE_URL; clears dfns_worker.jobs."
    )

    @Option(help: "Succeeded jobs that finished days ago, left in the table.") var finishedRows = 0
    @Option(help: "Calls of each to time.") var calls = 50

    func run() async throws {
        try await BenchDatabase.withEmptyQueue(kinds: ["noop"], finishedRows: finishedRows) { store, _ in
            // Active jobs that nobody claims: due later, in two queues.
            try await store.client.query(
                """
                INSERT INTO dfns_worker.jobs (kind, queue, run_at) SELECT 'noop', 'q' || (i % 2), now() + interval '1 hour' FROM generate_series(1, 1000) i
                """)
            func time(_ call: () async throws -> QueueStatus) async throws -> (p50: Double, p99: Double) {
                var samples: [Double] = []
                for _ in 0..<calls {
                    let started = ContinuousClock.now
                    _ = try await call()
                    let elapsed = started.duration(to: .now)
                    samples.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                }
                samples.sort()
                return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)])
            }
            let sampling = try await time { try await store.status() }
            let status = try await time { try await store.status(finishedWithin: .seconds(3600)) }
            print(
                String(
                    format: "sampling finished_rows=%d sampling_p50_ms=%.2f sampling_p99_ms=%.2f status_p50_ms=%.2f status_p99_ms=%.2f",
                    finishedRows, sampling.p50, sampling.p99, status.p50, status.p99))
        }
    }
}
