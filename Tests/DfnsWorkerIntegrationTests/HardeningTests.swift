import DfnsJobs
import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import Prometheus
import Testing

@Suite("Hardening: insert limits, bounded labels, no secret in clear, no core dumps", .timeLimit(.minutes(2)))
struct HardeningTests {
    /// The PostgreSQL error message of `sql`, or nil when it succeeded.
    static func refusal(_ database: TestDatabase.Handle, _ sql: String) async -> String? {
        do {
            try await database.execute(sql)
            return nil
        } catch {
            return String(reflecting: error)
        }
    }

    @Test("queue names and payload sizes are checked at insert, with a clear message")
    func insertLimits() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            for queue in ["payments-eu", "a", "tenant:42.high_priority", String(repeating: "q", count: 64)] {
                #expect(await Self.refusal(database, "SELECT dfns_worker.enqueue('noop', '{}', now(), '\(queue)')") == nil, "\(queue)")
            }
            for queue in [String(repeating: "q", count: 65), "-leading", "with space", "émoji", "semi;colon"] {
                let message = await Self.refusal(database, "INSERT INTO dfns_worker.jobs (kind, queue) VALUES ('noop', '\(queue)')")
                #expect(message?.contains("queue name") == true && message?.contains("is not allowed") == true, "\(queue): \(message ?? "accepted")")
            }
            let job = try await database.store.enqueue(kind: "noop", payload: "{}")
            #expect(
                await Self.refusal(database, "UPDATE dfns_worker.jobs SET queue = 'bad queue' WHERE id = \(job)")?.contains("is not allowed") == true)

            // 200 KiB is accepted; 300 KiB, or 50 KiB of control characters that JSON escapes to 300 KiB, is not.
            #expect(
                await Self.refusal(
                    database, "INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('noop', jsonb_build_object('memo', repeat('x', 200 * 1024)))")
                    == nil)
            let large = await Self.refusal(
                database, "INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('noop', jsonb_build_object('memo', repeat('x', 300 * 1024)))")
            #expect(large?.contains("over the 262144 (256 KiB) a job may carry") == true, "\(large ?? "accepted")")
            let escaped = await Self.refusal(
                database, "INSERT INTO dfns_worker.jobs (kind, payload) VALUES ('noop', jsonb_build_object('memo', repeat(chr(1), 50 * 1024)))")
            #expect(escaped?.contains("a job may carry") == true, "\(escaped ?? "accepted")")
            #expect(try await database.column("SELECT count(*)::text FROM dfns_worker.jobs") == ["6"])
        }
    }

    @Test("queue depth gauges keep their own label only for the worker's queues; any other queue counts as _other")
    func boundedQueueLabels() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                try await database.execute(
                    """
                    INSERT INTO dfns_worker.jobs (kind, queue, run_at) SELECT 'noop', 'tenant-' || i, now() + interval '1 hour' FROM generate_series(1, 40) i
                    """)
                try await database.execute("INSERT INTO dfns_worker.jobs (kind, run_at) VALUES ('noop', now() + interval '1 hour')")
                let registry = PrometheusCollectorRegistry()
                let metrics = WorkerMetrics(
                    kinds: WorkerHarness.kinds, queues: ["default"], version: "test", factory: PrometheusMetricsFactory(registry: registry))
                var configuration = WorkerConfiguration(workerId: "labels")
                configuration.metricsSampleInterval = .milliseconds(50)
                let worker = try Worker(
                    store: database.store, registry: JobCatalog.registry(),
                    gateway: DfnsGateway(client: sim.client(.p256), logger: WorkerHarness.quietLogger),
                    configuration: configuration, databaseURL: nil, metrics: metrics, logger: WorkerHarness.quietLogger
                )
                let running = Task { try await worker.run() }
                defer { running.cancel() }
                var exposition = ""
                try await Poll.until(.seconds(10)) {
                    var text: [UInt8] = []
                    registry.emit(into: &text)
                    exposition = String(decoding: text, as: UTF8.self)
                    return exposition.contains(#"queue="_other",state="queued"} 40"#)
                }
                #expect(exposition.contains(#"dfns_worker_queue_jobs{queue="_other",state="queued"} 40"#), "\(exposition)")
                #expect(exposition.contains(#"dfns_worker_queue_jobs{queue="default",state="queued"} 1"#))
                #expect(!exposition.contains("tenant-"), "no label per invented queue")
            }
        }
    }

    @Test("the token never goes to Dfns in clear: DFNS_API_URL is https, or http only to a loopback address")
    func apiURLTransport() async throws {
        let base = [
            "DFNS_AUTH_TOKEN": "secret-token", "DFNS_CRED_ID": "cr-x", "DFNS_PRIVATE_KEY": "unused", "DATABASE_URL": "postgres://u@127.0.0.1:1/db",
        ]
        for url in ["http://api.dfns.io", "http://10.0.0.5:8787", "ftp://api.dfns.io", "http://127.evil.example"] {
            let output = try await WorkerCommand.run(["drain"], environment: base.merging(["DFNS_API_URL": url]) { $1 })
            #expect(output.status == 1 && output.stderr.contains("DFNS_API_URL must"), "\(url): \(output.stderr)")
            #expect(!output.stderr.contains("secret-token"))
        }
        for url in ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://127.0.0.2:1"] {
            let output = try await WorkerCommand.run(["drain"], environment: base.merging(["DFNS_API_URL": url]) { $1 })
            #expect(!output.stderr.contains("DFNS_API_URL must"), "\(url): \(output.stderr)")
        }
    }

    @Test("a request budget in the environment that is not a whole number is refused, not silently replaced by the default")
    func budgetsFromEnvironment() async throws {
        let base = [
            "DFNS_AUTH_TOKEN": "t", "DFNS_CRED_ID": "cr-x", "DFNS_PRIVATE_KEY": "unused", "DATABASE_URL": "postgres://u@127.0.0.1:1/db",
            "DFNS_API_URL": "http://127.0.0.1:1",
        ]
        for name in ["DFNS_REQUESTS_PER_MINUTE", "DFNS_ORG_REQUESTS_PER_MINUTE"] {
            for value in ["abc", "1e3", "0", "-5"] {
                let output = try await WorkerCommand.run(["drain"], environment: base.merging([name: value]) { $1 })
                #expect(output.status == 1 && output.stderr.contains("\(name) must be"), "\(name)=\(value): \(output.stderr)")
            }
        }
    }

    @Test("a password on the command line, and a key file others can read, are warned about")
    func warnings() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let withPassword = database.urlString.replacingOccurrences(
                of: "postgres://\(database.url.username)@", with: "postgres://\(database.url.username):hunter2@")
            let status = try await WorkerCommand.run(["status", "--database-url", withPassword], environment: ["DATABASE_URL": ""])
            #expect(status.stderr.contains("warning: --database-url carries a password"), "\(status.stderr)")
            #expect(!status.stderr.contains("hunter2") && !status.stdout.contains("hunter2"))
            let quiet = try await WorkerCommand.run(["status"], environment: ["DATABASE_URL": withPassword])
            #expect(!quiet.stderr.contains("warning"), "the environment is the safe place: \(quiet.stderr)")

            let key = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-perm-\(UUID().uuidString).pem")
            defer { try? FileManager.default.removeItem(at: key) }
            try Data(KeyGenerator.generate(.p256).privateKeyPEM.utf8).write(to: key)
            let environment = [
                "DATABASE_URL": database.urlString, "DFNS_API_URL": "http://127.0.0.1:1", "DFNS_AUTH_TOKEN": "t", "DFNS_CRED_ID": "cr-x",
                "DFNS_PRIVATE_KEY_FILE": key.path,
            ]
            for (mode, warned) in [(0o644, true), (0o600, false)] {
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: key.path)
                let drained = try await WorkerCommand.run(["drain", "--log-level", "critical"], environment: environment)
                #expect(drained.stderr.contains("is readable by every user (mode 644)") == warned, "\(String(mode, radix: 8)): \(drained.stderr)")
            }
        }
    }

    @Test("the process writes no core file: its core limit is zero")
    func noCoreDumps() async throws {
        let child = try ChildProcess(WorkerCommand.binary, ["simulator", "--port", "0"], environment: ProcessInfo.processInfo.environment)
        defer { child.signal(SIGTERM) }
        // The limit is set first thing in main: once the simulator says it listens, it is in place.
        try await waitFor(.seconds(20)) { child.standardOutputSoFar.contains("dfns simulator listening on") }
        var limits = ""
        try await Poll.until(.seconds(10), every: .milliseconds(100)) {
            limits = (try? String(contentsOfFile: "/proc/\(child.processIdentifier)/limits", encoding: .utf8)) ?? ""
            return limits.contains("Max core file size")
        }
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
        #expect(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(line)")
    }
}
