import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// `dfns-worker`: the command-line entry point. Exit codes: 0 success, 1 fatal (bad configuration included).
@main
struct DfnsWorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfns-worker",
        abstract: "Drive the Dfns wallet API from PostgreSQL jobs, and run a local Dfns simulator.",
        version: "0.1.0",
        subcommands: [
            MigrateCommand.self, RunCommand.self, DrainCommand.self, EnqueueCommand.self, StatusCommand.self,
            CancelCommand.self, RetryCommand.self, RunNowCommand.self, SignCommand.self, ConsoleCommand.self, PruneCommand.self, KeygenCommand.self,
            SimulatorCommand.self, WebhooksCommand.self,
        ]
    )

    static func main() async {
        // Async code runs on NIO's event loops instead of a separate thread pool: every PostgreSQL and Dfns exchange
        // completes on an event loop, so resuming its task there saves a thread hop and a wake-up per await
        // (BENCHMARKS.md, "Cost per job"). First, before any other task is enqueued.
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        ProcessHardening.disableCoreDumps()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(withError: code)
        } catch {
            // Usage and configuration errors exit 1, the contract's "fatal", rather than ArgumentParser's 64.
            let success = exitCode(for: error) == .success
            let message = fullMessage(for: error)
            if !message.isEmpty {
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
            Foundation.exit(success ? 0 : 1)
        }
    }
}
