import ArgumentParser
import DfnsConsole
import DfnsWorker
import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import UnixSignals

/// `dfns-worker console`: the operator console alone, for a host that runs no worker; needs only DATABASE_URL (and
/// DFNS_CONSOLE_TOKEN to allow actions). `run` serves the same pages under /console of its HTTP endpoint.
struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "Serve the operator console (jobs, workers, retry/cancel/run-now) over HTTP."
    )

    @Option(help: "Address to listen on.") var httpHost = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var httpPort = 9410
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0-65535") }
        let logger = try logging.bootstrap(label: "dfns.console")
        let url = try database.resolved()
        // The console acts on jobs (retry, cancel, run now): only on a schema this binary fits.
        try await withDatabase(url, maximumConnections: 1, logger: logger) { _ in }
        let (client, console) = try ConsoleSetup.make(url: url, logger: logger)
        let router = Router()
        console.register(on: router)
        router.get("/health/live") { _, _ in "live" }
        let httpHost = self.httpHost
        let server = Application(
            router: router,
            configuration: .init(address: .hostname(httpHost, port: httpPort), serverName: "dfns-worker-console"),
            onServerRunning: { channel in
                logger.info("console listening", metadata: ["http.address": "http://\(httpHost):\(channel.localAddress?.port ?? 0)\(console.base)/"])
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: client), .init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
    }
}

/// The console's own connection pool (two connections, a 5-second statement timeout) and the console on it, as
/// `run` and `console` both start them.
enum ConsoleSetup {
    static func make(url: DatabaseURL, logger: Logger) throws -> (client: PostgresClient, console: Console) {
        let token: String?
        do {
            token = try ConsoleConfiguration.token(from: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        var configuration = url.clientConfiguration(maximumConnections: 2)
        configuration.options.additionalStartupParameters = Console.connectionOptions
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let console = try Console(store: JobStore(client: client, logger: logger), configuration: ConsoleConfiguration(token: token), logger: logger)
        if token == nil { logger.info("console is read-only: set DFNS_CONSOLE_TOKEN to allow actions") }
        return (client, console)
    }
}
