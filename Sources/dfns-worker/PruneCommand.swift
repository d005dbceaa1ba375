import ArgumentParser
import DfnsWorker
import Foundation

/// `--keep-*`, `--prune-batch`, `--archive`: the retention policy of `run` (scheduled) and `prune` (once).
struct RetentionOptions: ParsableArguments {
    @Option(help: "How long succeeded jobs are kept after they finished: 7d, 12h, 30m, 90s, or forever.") var keepSucceeded = "7d"
    @Option(help: "How long failed jobs are kept after they finished.") var keepFailed = "30d"
    @Option(help: "How long cancelled jobs are kept after they were cancelled.") var keepCancelled = "30d"
    @Option(help: "How long received webhook events are remembered (at least 1d: Dfns redelivers for a day).") var keepWebhookEvents = "2d"
    @Option(help: "Rows per prune statement (1-100000); each batch is its own short transaction.") var pruneBatch = 1000
    @Flag(help: "Move pruned jobs to dfns_worker.jobs_archive instead of deleting them.") var archive = false

    func policy() throws -> RetentionPolicy {
        var policy = RetentionPolicy()
        policy.succeeded = try Self.age(keepSucceeded, "--keep-succeeded")
        policy.failed = try Self.age(keepFailed, "--keep-failed")
        policy.cancelled = try Self.age(keepCancelled, "--keep-cancelled")
        guard let events = try Self.age(keepWebhookEvents, "--keep-webhook-events"), events >= .seconds(86_400) else {
            throw ValidationError("--keep-webhook-events must be at least 1d: Dfns redelivers events for a day")
        }
        policy.webhookEvents = events
        guard (1...100_000).contains(pruneBatch) else { throw ValidationError("--prune-batch must be 1-100000") }
        policy.batchSize = pruneBatch
        policy.archive = archive
        return policy
    }

    /// `7d`, `12h`, `30m`, `90s` (at most 10 years), or `forever` (nil).
    static func age(_ text: String, _ flag: String) throws -> Duration? {
        if text == "forever" { return nil }
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last.flatMap({ units[$0] }), let value = Int64(text.dropLast()), value >= 0,
            value <= 3650 * 86_400 / unit
        else {
            throw ValidationError("\(flag) must be a number followed by s, m, h or d (e.g. 7d), or forever; got \(text)")
        }
        return .seconds(value * unit)
    }
}

/// `dfns-worker prune`: one round of retention, for cron or by hand; prints what it pruned.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete (or archive) finished jobs past their retention, once; `run` does it on a schedule."
    )

    @OptionGroup var retention: RetentionOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let policy = try retention.policy()
        let logger = try logging.bootstrap(label: "dfns.worker")
        let report = try await withDatabase(try database.resolved(), logger: logger) { store in
            try await Pruner(policy: policy, store: store, logger: logger).pruneOnce()
        }
        guard let report else {
            print("prune: another worker is pruning now; nothing done")
            return
        }
        let verb = policy.archive ? "archived" : "deleted"
        print(
            "prune: \(verb) succeeded \(report.pruned[.succeeded] ?? 0), failed \(report.pruned[.failed] ?? 0), "
                + "cancelled \(report.pruned[.cancelled] ?? 0); webhook events forgotten \(report.webhookEvents); oldest finished job left: "
                + (report.oldestFinishedAgeSeconds.map { String(format: "%.0f s ago", $0) } ?? "none"))
    }
}
