import ArgumentParser
import DfnsWorker
import Foundation

/// `dfns-worker cancel ID`: as `dfns_worker.cancel(id)`; exits 1, saying why, when the job could not be cancelled
/// (it is running or finished, or its operation exists or may exist at Dfns).
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a job that is not running and whose operation cannot exist at Dfns."
    )

    @OptionGroup var job: OperatorActionOptions

    func run() async throws { try await job.act(.cancel, verb: "cancelled") }
}

/// `dfns-worker retry ID`: as `dfns_worker.retry(id)`; exits 1, saying why, when the job could not be re-queued.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Re-queue a failed or cancelled job with a fresh attempt budget.")

    @OptionGroup var job: OperatorActionOptions

    func run() async throws { try await job.act(.retry, verb: "re-queued") }
}

/// `dfns-worker run-now ID`: as `dfns_worker.run_now(id)`; a scheduled, retrying or waiting job becomes due now.
struct RunNowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run-now", abstract: "Make a scheduled, retrying or waiting job due now.")

    @OptionGroup var job: OperatorActionOptions

    func run() async throws { try await job.act(.runNow, verb: "made due now") }
}

/// The job and database of an operator command, and how it is done: through `dfns_worker.operator_action`, recorded
/// on the job as done by `cli <user>@<host>`.
struct OperatorActionOptions: ParsableArguments {
    @Argument(help: "Job id.") var id: Int64
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func act(_ action: OperatorAction, verb: String) async throws {
        let logger = try logging.bootstrap(label: "dfns.worker")
        let actor = "cli \(ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())")@\(ProcessInfo.processInfo.hostName)"
        let (refusal, state) = try await withDatabase(try database.resolved(), logger: logger) { store in
            (try await store.act(action, on: id, by: actor), try await store.state(of: id))
        }
        guard let state else {
            FileHandle.standardError.write(Data("job \(id) does not exist\n".utf8))
            throw ExitCode(1)
        }
        if let refusal {
            FileHandle.standardError.write(Data("job \(id) is \(state); not \(verb): \(refusal)\n".utf8))
            throw ExitCode(1)
        }
        print("job \(id) \(verb)")
    }
}

/// `dfns-worker status`: active jobs by state, kind and queue, those finished lately, and the age of the oldest due job.
/// Its cost follows active and recently finished rows, not the table.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show job counts by state, kind and queue.")

    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Count finished jobs of this last period: 1h, 30m, 7d…") var finishedWithin = "1h"

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        guard let window = try RetentionOptions.age(finishedWithin, "--finished-within"), window > .zero else {
            throw ValidationError("--finished-within must be a positive period such as 1h")
        }
        let logger = try logging.bootstrap(label: "dfns.worker")
        let status = try await withDatabase(try database.resolved(), logger: logger) { store in
            var status = try await store.status(finishedWithin: window)
            status.workers = try await store.workersAlive()
            return status
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        let totals = status.byState
        print(JobState.all.map { "\($0): \(totals[$0] ?? 0)" }.joined(separator: "  ") + "  (finished: last \(finishedWithin))")
        print("oldest due job: " + (status.oldestDueAgeSeconds.map { String(format: "%.1f s", $0) } ?? "none"))
        if status.stuckJobs > 0 {
            print(
                "stuck: \(status.stuckJobs) job(s) whose Dfns operation exists or may exist have been failing for over 15 minutes; "
                    + "see last_error of jobs with failing_since set")
        }
        print("workers alive: \(status.workers.count)")
        for worker in status.workers {
            let heartbeat = String(format: "%.0f s ago", Date().timeIntervalSince(worker.heartbeatAt))
            let state = worker.paused.map { "paused: \($0)" } ?? (worker.rateLimited ? "rate-limited by Dfns" : "running")
            print(
                "  \(worker.workerId) on \(worker.host) since \(worker.startedAt.formatted(.iso8601)), heartbeat \(heartbeat), "
                    + "\(worker.inFlight) in flight, \(state)")
        }
        guard !status.counts.isEmpty else { return }
        print("")
        print(
            "queue".padding(toLength: 16, withPad: " ", startingAt: 0) + "kind".padding(toLength: 20, withPad: " ", startingAt: 0)
                + "state".padding(toLength: 12, withPad: " ", startingAt: 0) + "count")
        for count in status.counts {
            print(
                count.queue.padding(toLength: 16, withPad: " ", startingAt: 0) + count.kind.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + count.state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + "\(count.count)")
        }
    }
}
