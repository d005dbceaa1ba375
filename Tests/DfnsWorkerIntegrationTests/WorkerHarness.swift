import DfnsJobs
import DfnsSDK
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Logging

/// A job kind that does nothing, registered through the public handler API.
struct NoopJob: JobHandler {
    let kind = "noop"
    func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome { .succeeded(result: JobResult(.object(["ok": .bool(true)]))) }
}

/// A job kind that runs until it is cancelled.
struct BlockingJob: JobHandler {
    let kind = "test_block"
    func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        try await Task.sleep(for: .seconds(3600))
        return .succeeded(result: JobResult(.null))
    }
}

enum WorkerHarness {
    static let kinds = JobCatalog.registry().kinds + ["noop", "test_block", "test_record"]

    /// A fresh database migrated for ``kinds``: the set-up of a test of the store on its own.
    static func withDatabase<Result: Sendable>(_ body: @Sendable (TestDatabase.Handle) async throws -> Result) async throws -> Result {
        try await TestDatabase.with(kinds: kinds, body)
    }

    /// The simulator with `configuration` and a fresh database migrated for ``kinds``: the set-up of a test of the worker.
    static func withSimulatorAndDatabase<Result: Sendable>(
        _ configuration: SimulatorConfiguration = SimulatorHarness.defaultConfiguration,
        _ body: @Sendable (SimulatorHarness.Running, TestDatabase.Handle) async throws -> Result
    ) async throws -> Result {
        try await SimulatorHarness.withSimulator(configuration) { sim in
            try await withDatabase { database in try await body(sim, database) }
        }
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "test.worker")
        logger.logLevel = .critical
        return logger
    }

    /// A worker with fast timings against the simulator and the test database, acting as the simulator's test
    /// credential, or as `client` (an application's service account); `seal` keeps end users' logins in the rows.
    static func worker(
        _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, listen: Bool = false, store: JobStore? = nil,
        client: DfnsClient? = nil, seal: TokenSeal? = nil,
        configureClient: (inout DfnsClientConfiguration) -> Void = { _ in },
        handlers: [any JobHandler] = [],
        configure: (inout WorkerConfiguration) -> Void = { _ in }
    ) throws -> Worker {
        var configuration = WorkerConfiguration(workerId: "test-\(UUID().uuidString.prefix(8))")
        configuration.concurrency = 8
        configuration.leaseDuration = .seconds(10)
        configuration.heartbeatInterval = .milliseconds(500)
        configuration.rescueInterval = .milliseconds(500)
        configuration.pollInterval = .milliseconds(200)
        configuration.retryBaseDelay = .milliseconds(20)
        configuration.retryMaxDelay = .milliseconds(200)
        configuration.authProbeInterval = .milliseconds(300)
        configuration.shutdownGracePeriod = .milliseconds(300)
        configure(&configuration)
        var registry = JobCatalog.registry()
        registry.register(NoopJob())
        registry.register(BlockingJob())
        for handler in handlers { registry.register(handler) }
        return try Worker(
            store: store ?? database.store, registry: registry,
            gateway: DfnsGateway(
                client: client
                    ?? sim.client(.p256) { client in
                        client.writeReplay = .unsentOnly  // as `run` wires it
                        configureClient(&client)
                    }, seal: seal, logger: quietLogger),
            configuration: configuration, databaseURL: listen ? database.url : nil, logger: quietLogger
        )
    }

    /// A worker whose submitted jobs are polled again only after a minute: one drain leaves them `waiting`, however
    /// slow the machine, for a test to act on before another worker follows them.
    static func submittingWorker(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running) throws -> Worker {
        try worker(database, sim, configure: { $0.polls = PollSchedule(first: .seconds(60), ceiling: .seconds(60)) })
    }

    /// A worker whose client does not retry, so every failure reaches the engine, which retries after 500 ms.
    static func engineRetryingWorker(_ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running) throws -> Worker {
        try worker(database, sim, configureClient: { $0.retryPolicy = .none }) {
            $0.retryBaseDelay = .milliseconds(500)
            $0.retryMaxDelay = .milliseconds(500)  // at least the base delay (WorkerConfiguration.validate)
        }
    }

    /// A worker whose settle window is short (lease 3 s, the shortest ``WorkerConfiguration/validate()`` allows, + job
    /// timeout 2 s) and whose client does not retry: each unknown outcome reaches the engine, and a wallet creation waits
    /// 5 s for an earlier request before repeating it.
    static func settlingWorker(
        _ database: TestDatabase.Handle, _ sim: SimulatorHarness.Running, client: DfnsClient? = nil, seal: TokenSeal? = nil
    ) throws -> Worker {
        try worker(database, sim, client: client, seal: seal, configureClient: { $0.retryPolicy = .none }) {
            $0.leaseDuration = .seconds(3)
            $0.jobTimeout = .seconds(2)
        }
    }

    /// Runs `drain` until every job is terminal (polls waiting and retrying jobs as they come due).
    static func drainUntilTerminal(_ worker: Worker, _ database: TestDatabase.Handle, timeout: Duration = .seconds(30)) async throws {
        let done = try await Poll.until(timeout) {
            _ = try await worker.drain()
            return try await database.column("SELECT count(*)::text FROM dfns_worker.jobs WHERE state NOT IN ('succeeded', 'failed', 'cancelled')")
                == ["0"]
        }
        guard done else { throw TestFailure("jobs still open after \(timeout)") }
    }

    /// Whether job `id` is due (its `run_at` has come).
    static func isDue(_ database: TestDatabase.Handle, _ id: Int64) async throws -> Bool {
        try await database.column("SELECT (run_at <= now())::text FROM dfns_worker.jobs WHERE id = \(id)") == ["true"]
    }

    /// `state|attempt|last_error.code` of a job.
    static func row(_ database: TestDatabase.Handle, _ id: Int64) async throws -> (state: String, attempt: Int, code: String?, message: String?) {
        let values = try await database.column(
            """
            SELECT concat_ws(E'\\x1f', state, attempt, coalesce(last_error->>'code', ''), coalesce(last_error->>'message', '')) FROM dfns_worker.jobs WHERE id = \(id)
            """)
        let parts = (values.first ?? "").map { $0.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init) } ?? []
        guard parts.count == 4 else { return ("missing", 0, nil, nil) }
        return (parts[0], Int(parts[1]) ?? -1, parts[2].isEmpty ? nil : parts[2], parts[3].isEmpty ? nil : parts[3])
    }
}
