import ArgumentParser
import DfnsWorker
import Foundation

/// `dfns-worker cancel ID`: as `dfns_worker.cancel(id)`; exits 1 when the job could not be cancelled.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued, retrying or waiting job.")

    @Argument(help: "Job id.") var id: Int64
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try await changeState(id: id, verb: "cancelled", database: database, logging: logging) { try await $0.cancel($1) }
    }
}

/// `dfns-worker retry ID`: as `dfns_worker.retry(id)`; exits 1 when the job could not be re-queued.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Re-queue a failed or cancelled job with a fresh attempt budget.")

    @Argument(help: "Job id.") var id: Int64
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        try await changeState(id: id, verb: "re-queued", database: database, logging: logging) { try await $0.retry($1) }
    }
}

private func changeState(
    id: Int64, verb: String, database: DatabaseOptions, logging: LoggingOptions, _ change: @escaping (JobStore, Int64) async throws -> Bool
) async throws {
    let logger = try logging.bootstrap(label: "dfns.worker")
    let (changed, state) = try await withDatabase(try database.resolved(), logger: logger) { store in
        (try await change(store, id), try await store.state(of: id))
    }
    guard let state else {
        FileHandle.standardError.write(Data("job \(id) does not exist\n".utf8))
        throw ExitCode(1)
    }
    guard changed else {
        FileHandle.standardError.write(Data("job \(id) is \(state); not \(verb)\n".utf8))
        throw ExitCode(1)
    }
    print("job \(id) \(verb)")
}

/// `dfns-worker status`: counts by state, kind and queue, and the age of the oldest due job.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show job counts by state, kind and queue.")

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "dfns.worker")
        let status = try await withDatabase(try database.resolved(), logger: logger) { try await $0.status() }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        let totals = status.byState
        print(JobState.all.map { "\($0): \(totals[$0] ?? 0)" }.joined(separator: "  "))
        print("oldest due job: " + (status.oldestDueAgeSeconds.map { String(format: "%.1f s", $0) } ?? "none"))
        guard !status.counts.isEmpty else { return }
        print("")
        print("queue".padding(toLength: 16, withPad: " ", startingAt: 0) + "kind".padding(toLength: 20, withPad: " ", startingAt: 0) + "state".padding(toLength: 12, withPad: " ", startingAt: 0) + "count")
        for count in status.counts {
            print(count.queue.padding(toLength: 16, withPad: " ", startingAt: 0) + count.kind.padding(toLength: 20, withPad: " ", startingAt: 0)
                + count.state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0) + "\(count.count)")
        }
    }
}
