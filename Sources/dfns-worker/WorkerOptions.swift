import ArgumentParser
import AsyncHTTPClient
import DfnsJobs
import DfnsSDK
import DfnsWorker
import Foundation
import Logging
import PostgresNIO

/// Options shared by `run` and `drain`.
struct WorkerOptions: ParsableArguments {
    @Option(help: "Jobs run at once.") var concurrency = 16
    @Option(help: "Comma-separated queues to claim from.") var queues = "default"
    @Option(help: "Most jobs claimed per statement (claims adapt to job duration up to this).") var claimBatch = 1000
    @Option(help: "Seconds one attempt may run.") var jobTimeout = 120
    @Option(help: "Seconds in-flight jobs get to finish after SIGTERM/SIGINT before they are handed back.") var shutdownGrace = 20
    @Option(help: "Seconds a claimed job's lease lasts; leases are renewed every third of it and dead workers' jobs looked for every sixth.")
    var lease = 30
    @Option(help: "Seconds between probes of Dfns while it refuses the credentials (401/403), and before a refused job runs again.")
    var authProbeInterval = 30
    @Option(help: "Seconds the worker waits for PostgreSQL to answer one statement before it gives it up as lost and tries again.")
    var statementTimeout = 30
    @Option(help: "Seconds an end user has to sign a job's challenge before the job fails with signature_timeout.")
    var signatureTimeout = 600

    /// The option that sets each ``WorkerConfiguration`` property, so a value out of its range is reported by its flag.
    static let flags: [String: String] = [
        "queues": "--queues", "concurrency": "--concurrency", "claimBatchSize": "--claim-batch", "jobTimeout": "--job-timeout",
        "shutdownGracePeriod": "--shutdown-grace", "leaseDuration": "--lease", "authProbeInterval": "--auth-probe-interval",
        "signatureTimeout": "--signature-timeout",
    ]

    /// The worker's configuration from the options, held to ``WorkerConfiguration/validate()``'s ranges.
    func configuration() throws -> WorkerConfiguration {
        guard (1...3600).contains(statementTimeout) else { throw ValidationError("--statement-timeout must be 1-3600 seconds") }
        var configuration = WorkerConfiguration(workerId: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)")
        configuration.queues = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        configuration.concurrency = concurrency
        configuration.claimBatchSize = claimBatch
        configuration.jobTimeout = .seconds(jobTimeout)
        configuration.shutdownGracePeriod = .seconds(shutdownGrace)
        configuration.setLease(.seconds(lease))
        configuration.authProbeInterval = .seconds(authProbeInterval)
        configuration.signatureTimeout = .seconds(signatureTimeout)
        if let problem = configuration.problems.first {
            throw ValidationError("\(Self.flags[problem.property] ?? problem.property) \(problem.requirement)")
        }
        return configuration
    }
}

extension WorkerOptions {
    /// The key end users' logins are sealed with in the rows: `$DFNS_WORKER_SEAL_KEY` (base64 of 32 bytes) or the file
    /// `$DFNS_WORKER_SEAL_KEY_FILE`; nil when neither is set (jobs on behalf of end users then fail, nothing sent).
    static func seal() throws -> TokenSeal? {
        let environment = ProcessInfo.processInfo.environment
        var text = environment["DFNS_WORKER_SEAL_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if text == nil, let path = environment["DFNS_WORKER_SEAL_KEY_FILE"], !path.isEmpty {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ValidationError("DFNS_WORKER_SEAL_KEY_FILE \(path) cannot be read")
            }
            text = String(decoding: contents, as: UTF8.self)
        }
        guard let text else { return nil }
        do {
            return try TokenSeal(base64: text)
        } catch let error as WorkerError {
            throw ValidationError("DFNS_WORKER_SEAL_KEY: \(error.message)")
        }
    }
}

/// Everything `run` and `drain` wire together.
struct WorkerRuntime {
    let client: PostgresClient
    /// The HTTP client of every Dfns request, without tracing: the worker exports no traces, and span bookkeeping
    /// cost about a tenth of its CPU per signed request (BENCHMARKS.md). Shut down by ``withHTTPClient(logger:_:)``.
    let httpClient: HTTPClient
    let store: JobStore
    let worker: Worker
    let url: DatabaseURL
    /// The organisation's Dfns budget shared through the database; nil when `--dfns-rate-budget off`.
    let budget: SharedRateBudget?

    /// Fails fast with a clear message when PostgreSQL cannot be reached at start-up.
    func checkDatabase(logger: Logger) async throws {
        do {
            try await url.checkReachable(logger: logger)
        } catch {
            throw CommandFailure(error.message)
        }
    }

    /// Runs `body`, then shuts the HTTP client down whatever the outcome (bounded: ``StopBound``).
    func withHTTPClient<Value>(logger: Logger, _ body: () async throws -> Value) async throws -> Value {
        let result: Result<Value, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await StopBound.run("http client", logger: logger) { [httpClient] in try? await httpClient.shutdown() }
        return try result.get()
    }

    init(
        database: DatabaseOptions, dfns: DfnsOptions, options: WorkerOptions, logger: Logger, listen: Bool, metrics: WorkerMetrics? = nil,
        configure: (inout WorkerConfiguration) -> Void = { _ in }
    ) async throws {
        url = try database.resolved()
        var configuration = try options.configuration()
        configure(&configuration)
        var poolConfiguration = url.clientConfiguration(maximumConnections: min(configuration.concurrency, 8) + 2)
        poolConfiguration.options.additionalStartupParameters = JobStore.connectionOptions(statementTimeout: .seconds(options.statementTimeout))
        client = PostgresClient(configuration: poolConfiguration, backgroundLogger: logger)
        let pool = client
        budget = try dfns.sharedBudget(workerId: configuration.workerId).map {
            SharedRateBudget(configuration: $0, client: pool, logger: logger)
        }
        var http = HTTPClient.Configuration()
        http.tracing.tracer = nil
        // A connection per concurrent job (with AsyncHTTPClient's default of 8, jobs beyond the eighth queued in its
        // pool: BENCHMARKS.md "Cost per job"), at most 64: a concurrency of thousands must not open thousands of TLS
        // connections to Dfns, whose rate limit is reached long before.
        http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = min(max(8, configuration.concurrency), 64)
        httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http, backgroundActivityLogger: logger)
        store = JobStore(client: client, logger: logger, statementTimeout: .seconds(options.statementTimeout))
        do {
            let dfnsClient = try dfns.makeClient(logger: logger, httpClient: httpClient, observer: metrics, sharedBudget: budget)
            worker = try Worker(
                store: store, registry: JobCatalog.registry(),
                gateway: DfnsGateway(client: dfnsClient, seal: try WorkerOptions.seal(), logger: logger),
                configuration: configuration, databaseURL: listen ? url : nil, metrics: metrics, sharedBudget: budget, logger: logger
            )
        } catch {
            // An HTTP client must be shut down before it is released; asynchronously, since this runs on an event loop.
            try? await httpClient.shutdown()
            throw error
        }
    }
}
