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
/// DFNS_CONSOLE_TOKENS_FILE to allow actions; beyond loopback, to show anything). `run` serves the same pages under /console of its HTTP endpoint.
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
        let consoleConfiguration = try ConsoleSetup.configuration(listenHost: httpHost)
        if let refusal = ConsoleSetup.refusal(consoleConfiguration, listenHost: httpHost) { throw ValidationError(refusal) }
        let (client, console) = try ConsoleSetup.make(url: url, configuration: consoleConfiguration, logger: logger)
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
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: client), .init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
            ))
        try await group.run()
    }
}

/// The console's own connection pool (two connections, a 5-second statement timeout) and the console on it, as
/// `run` and `console` both start them, with its operators (`DFNS_CONSOLE_TOKENS_FILE`, `DFNS_CONSOLE_TOKEN`) and host
/// names (`DFNS_CONSOLE_HOSTS`) from the environment.
enum ConsoleSetup {
    /// Why the console cannot be served on `listenHost`, or nil: beyond loopback every page needs a signed-in operator,
    /// so without operators nobody could use it.
    static func refusal(_ configuration: ConsoleConfiguration, listenHost: String) -> String? {
        guard configuration.requiresSignIn, configuration.operators.isEmpty else { return nil }
        return "the console would listen on \(listenHost), beyond this host, where every page needs a signed-in operator, and no operator "
            + "is configured: set DFNS_CONSOLE_TOKENS_FILE (or DFNS_CONSOLE_TOKEN), or listen on 127.0.0.1"
    }

    static func configuration(listenHost: String) throws -> ConsoleConfiguration {
        let environment = ProcessInfo.processInfo.environment
        var configuration: ConsoleConfiguration
        do {
            configuration = ConsoleConfiguration(operators: try ConsoleConfiguration.operators(from: environment))
        } catch {
            throw ValidationError(error.description)
        }
        configuration.allowedHosts = ConsoleConfiguration.hosts(from: environment, listeningOn: listenHost)
        configuration.requiresSignIn = !DatabaseURL.isLoopback(listenHost)
        return configuration
    }

    static func make(url: DatabaseURL, configuration: ConsoleConfiguration, logger: Logger) throws -> (client: PostgresClient, console: Console) {
        var poolConfiguration = url.clientConfiguration(maximumConnections: 2)
        poolConfiguration.options.additionalStartupParameters = Console.connectionOptions
        let client = PostgresClient(configuration: poolConfiguration, backgroundLogger: logger)
        let console = try Console(store: JobStore(client: client, logger: logger), configuration: configuration, logger: logger)
        if configuration.operators.isEmpty { logger.info("console is read-only: set DFNS_CONSOLE_TOKENS_FILE to allow actions") }
        return (client, console)
    }
}
