import ArgumentParser
import DfnsJobs
import DfnsWorker

/// `dfns-worker migrate`: creates or upgrades schema `dfns_worker`.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or upgrade the dfns_worker schema (safe to run concurrently).")

    @Option(
        help:
            "Apply the migrations up to this version only (staging an upgrade); every command that touches jobs refuses a schema older than its own version."
    )
    var to: Int?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        if let to, !(1...JobStore.schemaVersion).contains(to) {
            throw ValidationError("--to must be a schema version from 1 to \(JobStore.schemaVersion)")
        }
        let logger = try logging.bootstrap(label: "dfns.worker")
        let applied = try await withDatabase(try database.resolved(), checkingSchema: false, logger: logger) { store in
            try await store.migrate(kinds: JobCatalog.registry().kinds, through: to)
        }
        print(applied.isEmpty ? "schema dfns_worker is up to date" : "applied migrations \(applied.map(String.init).joined(separator: ", "))")
    }
}
