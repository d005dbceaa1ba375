import ArgumentParser
import DfnsConsole
import DfnsJobs
import DfnsWorker
import Foundation
import Logging
import Metrics
import NIOCore
import PostgresNIO
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `dfns-worker run`: the long-running worker. Stops on SIGTERM/SIGINT: no new claims, in-flight jobs finish
/// within the grace period, the rest go back to the queue without spending an attempt.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the worker until SIGTERM or SIGINT.")

    @Option(help: "Address of the metrics and health endpoint.") var httpHost = "127.0.0.1"
    @Option(help: "Port of the metrics and health endpoint (0 picks a free one).") var httpPort = 9400
    @Option(
        help: """
            Path on the HTTP endpoint where Dfns webhook events are received; on only when $DFNS_WEBHOOK_SECRET holds the \
            webhook's secret (see `dfns-worker webhooks register`). Polls then start after 30 s and back off to 5 minutes.
            """)
    var webhookPath = "/webhooks/dfns"
    @Option(help: "The operator console under /console of the HTTP endpoint: on (read-only without $DFNS_CONSOLE_TOKEN) or off.")
    var console = "on"
    @Option(help: "How often this worker prunes finished jobs (one worker of the database at a time), or off.") var pruneInterval = "10m"
    @OptionGroup var retention: RetentionOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var dfns: DfnsOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0-65535") }
        guard webhookPath.hasPrefix("/"), webhookPath.count <= 200, !["/metrics", "/health/live", "/health/ready"].contains(webhookPath),
            !webhookPath.hasPrefix("/console")
        else {
            throw ValidationError("--webhook-path must be a path starting with / other than the metrics and health paths")
        }
        // The secret comes from the environment only: a flag would show it to every user of the host (`ps`).
        let webhookSecret = ProcessInfo.processInfo.environment["DFNS_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        var retentionPolicy = try retention.policy()
        let pruneEvery = pruneInterval == "off" ? nil : try RetentionOptions.age(pruneInterval, "--prune-interval")
        if let pruneEvery {
            guard pruneEvery >= .seconds(10) else { throw ValidationError("--prune-interval must be at least 10s, or off") }
            retentionPolicy.interval = pruneEvery
        }
        guard ["on", "off"].contains(console) else { throw ValidationError("--console must be on or off") }
        let logger = try logging.bootstrap(label: "dfns.worker")
        let consoleParts = try consoleSetup(logger: logger)
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60),
        ]
        MetricsSystem.bootstrap(factory)
        let metrics = WorkerMetrics(
            kinds: JobCatalog.registry().kinds, queues: try worker.configuration().queues,
            version: DfnsWorkerCommand.configuration.version, factory: factory
        )
        let runtime = try await WorkerRuntime(database: database, dfns: dfns, options: worker, logger: logger, listen: true, metrics: metrics) {
            configuration in
            if webhookSecret != nil { configuration.polls = .withWebhooks }
            configuration.version = DfnsWorkerCommand.configuration.version
        }
        let httpHost = self.httpHost
        let webhooks = webhookSecret.map { WebhookIntake(secret: $0, path: webhookPath, store: runtime.store, metrics: metrics, logger: logger) }
        let receivingAt = webhooks?.path
        let server = OperationsServer.application(
            host: httpHost, port: httpPort, worker: runtime.worker, registry: registry, logger: logger, webhooks: webhooks,
            onServerRunning: { channel in
                let address = "http://\(httpHost):\(channel.localAddress?.port ?? 0)"
                logger.info("metrics and health endpoint listening", metadata: ["http.address": "\(address)"])
                if consoleParts != nil { logger.info("operator console", metadata: ["http.console": "\(address)/console/"]) }
                if let receivingAt { logger.info("receiving Dfns webhook events", metadata: ["http.webhooks": "\(address)\(receivingAt)"]) }
            },
            routes: { router in consoleParts?.console.register(on: router) }
        )
        logger.info("worker starting", metadata: ["worker.concurrency": "\(worker.concurrency)", "worker.queues": "\(worker.queues)"])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: StopBound.Service(runtime.client, name: "database pool", logger: logger)),
            .init(service: StopBound.Service(server, name: "http server", logger: logger)),
            .init(service: runtime.worker, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let consoleParts {
            services.append(.init(service: StopBound.Service(consoleParts.client, name: "console's database pool", logger: logger)))
        }
        if pruneEvery != nil {
            let pruner = Pruner(policy: retentionPolicy, store: runtime.store, metrics: metrics, logger: logger)
            services.append(.init(service: StopBound.Service(pruner, name: "pruner", logger: logger)))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A service that does not end on a graceful shutdown (seen twice under load, RELIABILITY.md "Limits"; each part
        // logs its end at debug level) is cancelled once the jobs' grace period and one statement's deadline have
        // passed, and a cancellation that does not end within 10 s stops the process: SIGTERM always ends it.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(worker.shutdownGrace + worker.statementTimeout + 5)
        groupConfiguration.maximumCancellationDuration = .seconds(10)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await runtime.withHTTPClient(logger: logger) {
            try await runtime.checkDatabase(logger: logger)
            try await group.run()
        }
        logger.info("worker stopped")
    }
}

extension RunCommand {
    /// The console `run` serves, or nil: `--console off`, or beyond loopback without operators (the worker runs
    /// regardless: metrics and webhooks on a public address are what it listens there for).
    func consoleSetup(logger: Logger) throws -> (client: PostgresClient, console: Console)? {
        guard console == "on" else { return nil }
        let configuration = try ConsoleSetup.configuration(listenHost: httpHost)
        if let refusal = ConsoleSetup.refusal(configuration, listenHost: httpHost) {
            logger.warning("operator console off", metadata: ["console.reason": "\(refusal)"])
            return nil
        }
        return try ConsoleSetup.make(url: try database.resolved(), configuration: configuration, logger: logger)
    }
}

/// `dfns-worker drain`: processes every job due now, prints a summary and exits 0, or 3 when a job it processed
/// ended failed.
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "drain", abstract: "Process every due job, print a summary, exit (3 if any failed).")

    @Option(help: "Stop claiming after this many jobs.") var maxJobs: Int?
    @Option(help: "Stop claiming after this many seconds.") var maxDuration: Int?
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var dfns: DfnsOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be positive") }
        if let maxDuration, !(1...31 * 86_400).contains(maxDuration) { throw ValidationError("--max-duration must be 1-2678400 seconds") }
        let logger = try logging.bootstrap(label: "dfns.worker")
        let runtime = try await WorkerRuntime(database: database, dfns: dfns, options: worker, logger: logger, listen: false)
        let summary = try await runtime.withHTTPClient(logger: logger) {
            try await runtime.checkDatabase(logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await runtime.client.run() }
                defer { group.cancelAll() }
                return try await runtime.worker.drain(maxJobs: maxJobs, maxDuration: maxDuration.map { .seconds($0) })
            }
        }
        let written = summary.written
        let rate = summary.seconds > 0 ? Double(summary.claimed) / summary.seconds : 0
        print(
            String(
                format: "drain: %d jobs in %.2f s (%.0f jobs/s): succeeded %d, failed %d, retrying %d, waiting %d, handed back %d, lease lost %d",
                summary.claimed, summary.seconds, rate, written[.succeeded] ?? 0, written[.failed] ?? 0, written[.retrying] ?? 0,
                written[.waiting] ?? 0, written[.queued] ?? 0, summary.discarded
            ))
        if let authFailure = summary.authFailure {
            throw CommandFailure("Dfns refused the credentials (\(authFailure)); jobs were left queued without spending attempts")
        }
        if (written[.failed] ?? 0) > 0 { throw ExitCode(3) }
    }
}
