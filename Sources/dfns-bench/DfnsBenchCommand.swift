import ArgumentParser

/// `dfns-bench`: measurements behind `ops/bench`. Build it in release mode; every figure printed is a median of repeats.
@main
struct DfnsBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfns-bench",
        abstract: "Benchmarks of the Dfns SDK and simulator (run through ops/bench).",
        subcommands: [SignBenchmark.self, SignedWritesBenchmark.self, QueueBenchmark.self, LatencyBenchmark.self, SamplingBenchmark.self]
    )
}

/// Median of measurements.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
