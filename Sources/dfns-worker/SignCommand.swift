import ArgumentParser
import DfnsWorker
import Foundation

/// `dfns-worker sign ID --file F`: as `dfns_worker.sign(id, signed_challenge)`: hands an end user's signed challenge
/// (the body of Dfns's `POST /auth/action`) to the job awaiting it; exits 1, saying why, when the job refuses it.
struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign", abstract: "Hand an end user's signed challenge to the job awaiting it (state awaiting_signature).")

    @Argument(help: "Job id.") var id: Int64
    @Option(help: "The signed challenge, a JSON file ({challengeIdentifier, firstFactor, secondFactor?}); - reads standard input.")
    var file: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file)
        guard let handle else { throw ValidationError("--file \(file) cannot be read") }
        // A signed challenge is a few KiB; more is not one (dfns_worker.sign refuses over 64 KiB too).
        let data = try handle.read(upToCount: 1 << 20) ?? Data()
        guard data.count < 1 << 20, let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("--file must be UTF-8 JSON of at most 1 MiB")
        }
        let logger = try logging.bootstrap(label: "dfns.worker")
        do {
            try await withDatabase(try database.resolved(), logger: logger) { store in try await store.sign(id, signedChallenge: text) }
        } catch let error as WorkerError where error.code != .database {
            FileHandle.standardError.write(Data("job \(id): not signed: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
        print("job \(id) signed; a worker completes it")
    }
}
