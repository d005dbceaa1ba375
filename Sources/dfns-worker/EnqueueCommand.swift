import ArgumentParser
import DfnsSDK
import DfnsWorker
import Foundation

/// `dfns-worker enqueue KIND --payload JSON`: inserts a job through `dfns_worker.enqueue` and prints its id.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enqueue", abstract: "Insert a job and print its id.")

    @Argument(help: "Job kind, e.g. create_wallet or transfer.") var kind: String
    @Option(help: "The payload, a JSON object.") var payload: String
    @Option(help: "Not before this time (ISO 8601, e.g. 2026-12-01T09:00:00Z).") var runAt: String?
    @Option(help: "Queue name.") var queue = "default"
    @Option(help: "Higher runs first.") var priority = 0
    @Option(help: "Attempts allowed.") var maxAttempts = 20
    @Option(help: "At most one non-cancelled job per key: enqueueing again returns the existing id.") var uniqueKey: String?
    @Option(help: "The Dfns end user (us-...) the job acts for; they sign its write (dfns-worker sign).") var onBehalfOf: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        guard (try? JSONValue(parsing: Array(payload.utf8)))?.objectValue != nil else {
            throw ValidationError("--payload must be a JSON object")
        }
        var runAtDate: Date?
        if let runAt {
            guard let date = try? Date(runAt, strategy: .iso8601) else { throw ValidationError("--run-at must be an ISO 8601 date-time") }
            runAtDate = date
        }
        guard (Int(Int16.min)...Int(Int16.max)).contains(priority) else { throw ValidationError("--priority must fit a smallint") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        let logger = try logging.bootstrap(label: "dfns.worker")
        let id = try await withDatabase(try database.resolved(), logger: logger) { store in
            try await store.enqueue(
                kind: kind, payload: payload, runAt: runAtDate, queue: queue, priority: priority, maxAttempts: maxAttempts, uniqueKey: uniqueKey,
                onBehalfOf: onBehalfOf)
        }
        print(id)
    }
}
