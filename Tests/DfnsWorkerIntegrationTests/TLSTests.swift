import DfnsTestSupport
import DfnsWorker
import Foundation
import Logging
import PostgresNIO
import Testing

/// Against the test cluster, which ops/test starts with TLS on: its certificate is signed by $DATABASE_TLS_CA and
/// names DNS:localhost only; $DATABASE_TLS_OTHER_CA signed nothing it presents.
@Suite("TLS to PostgreSQL: libpq's sslmode and sslrootcert", .timeLimit(.minutes(2)))
struct TLSTests {
    static let logger = WorkerHarness.quietLogger

    static func certificateAuthorities() throws -> (trusted: String, other: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let trusted = environment["DATABASE_TLS_CA"], let other = environment["DATABASE_TLS_OTHER_CA"] else {
            throw TestFailure("DATABASE_TLS_CA and DATABASE_TLS_OTHER_CA are not set: run the tests through ops/test")
        }
        return (trusted, other)
    }

    /// The test server's URL with `host`, `sslmode` and optionally `sslrootcert`.
    static func url(host: String, mode: String, rootCert: String? = nil) throws -> String {
        let admin = try DatabaseURL(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "")
        return "postgres://\(admin.username)@\(host):\(admin.port)/\(admin.database)?sslmode=\(mode)" + (rootCert.map { "&sslrootcert=\($0)" } ?? "")
    }

    enum Connection: Sendable, CustomStringConvertible {
        case connected(encrypted: Bool)
        case failed(String)
        var description: String {
            switch self {
            case .connected(let encrypted): encrypted ? "encrypted" : "clear"
            case .failed(let message): "failed: \(message)"
            }
        }
    }

    /// Connects through the pool as the worker does; returns whether the session is encrypted, or the error message.
    static func connect(_ text: String) async -> Connection {
        do {
            let url = try DatabaseURL(text)
            try await url.checkReachable(logger: logger)
            let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: 1), backgroundLogger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                for try await ssl in try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").decode(Bool.self) {
                    return .connected(encrypted: ssl)
                }
                return .failed("no pg_stat_ssl row")
            }
        } catch let error as WorkerError {
            return .failed(error.message)
        } catch {
            return .failed(String(reflecting: error))
        }
    }

    @Test(
        "each mode connects, encrypts and verifies as libpq's does",
        arguments: [
            // mode, host, root certificate (trusted, other, none), expected: encrypted, or a failure naming TLS
            ("disable", "127.0.0.1", "none", "clear"),
            ("allow", "127.0.0.1", "none", "encrypted"),
            ("prefer", "127.0.0.1", "none", "encrypted"),
            ("require", "127.0.0.1", "none", "encrypted"),
            ("require", "127.0.0.1", "other", "refused"),
            ("verify-ca", "127.0.0.1", "trusted", "encrypted"),
            ("verify-ca", "127.0.0.1", "other", "refused"),
            ("verify-ca", "127.0.0.1", "none", "needs a root certificate"),
            ("verify-full", "localhost", "none", "needs a root certificate"),
            ("verify-ca", "127.0.0.1", "system", "system needs verify-full"),
            ("require", "127.0.0.1", "system", "system needs verify-full"),
            ("verify-full", "localhost", "system", "refused"),
            ("verify-full", "localhost", "trusted", "encrypted"),
            ("verify-full", "127.0.0.1", "trusted", "refused"),
            ("verify-full", "localhost", "other", "refused"),
        ])
    func modes(mode: String, host: String, root: String, expected: String) async throws {
        let authorities = try Self.certificateAuthorities()
        let rootCert = ["trusted": authorities.trusted, "other": authorities.other, "system": "system"][root]
        let result = await Self.connect(try Self.url(host: host, mode: mode, rootCert: rootCert))
        switch (expected, result) {
        case ("clear", .connected(encrypted: false)), ("encrypted", .connected(encrypted: true)): break
        case ("refused", .failed(let message)):
            #expect(message.contains("TLS handshake failed with sslmode=\(mode)"), "\(message)")
        case ("needs a root certificate", .failed(let message)):
            // libpq: "root certificate file … does not exist" — the system store would accept any public CA's
            // certificate for any host under verify-ca.
            #expect(
                message.contains("sslmode=\(mode) needs the certificate authority") && message.contains(".postgresql/root.crt does not exist"),
                "\(message)")
        case ("system needs verify-full", .failed(let message)):
            #expect(message.contains("sslrootcert=system") && message.contains("only with sslmode=verify-full (not \(mode))"), "\(message)")
        default:
            Issue.record("sslmode=\(mode) host=\(host) root=\(root): expected \(expected), got \(result)")
        }
    }

    @Test("a bad sslmode or sslrootcert is a configuration error that says what is wrong")
    func badParameters() throws {
        let authorities = try Self.certificateAuthorities()
        #expect(throws: WorkerError.self) { try DatabaseURL("postgres://u@h/db?sslmode=verify") }
        do {
            _ = try DatabaseURL("postgres://u:pw@h/db?sslmode=verify")
        } catch {
            #expect(error.message.contains("disable, allow, prefer, require, verify-ca, verify-full") && !error.message.contains("pw"))
        }
        do {
            _ = try DatabaseURL("postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
            Issue.record("a missing sslrootcert was accepted")
        } catch {
            #expect(error.message.contains("sslrootcert /nonexistent/ca.pem is not a readable file"))
        }
        let notPEM = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-not-pem-\(UUID().uuidString)")
        try Data("hello".utf8).write(to: notPEM)
        defer { try? FileManager.default.removeItem(at: notPEM) }
        #expect(throws: WorkerError.self) { try DatabaseURL("postgres://u@h/db?sslmode=verify-ca&sslrootcert=\(notPEM.path)") }
        let url = try DatabaseURL("postgres://u:secret@h/db?sslmode=verify-full&sslrootcert=\(authorities.trusted)")
        #expect(url.description == "postgres://u:***@h:5432/db?sslmode=verify-full&sslrootcert=\(authorities.trusted)")
        #expect(url.canBeIntercepted == false && url.trustRoots == .file(authorities.trusted))
        #expect(try DatabaseURL("postgres://u@h/db?sslmode=require").canBeIntercepted)
        #expect(try DatabaseURL("postgres://u@h/db?sslmode=require&sslrootcert=\(authorities.trusted)").canBeIntercepted == false)
    }

    /// libpq reads ~/.postgresql/root.crt when no sslrootcert is given: verify-ca then checks the chain against it,
    /// and require does too.
    /// `url` with the test database's name in place of the server's.
    static func url(host: String, mode: String, of database: TestDatabase.Handle) throws -> String {
        try url(host: host, mode: mode).replacingOccurrences(
            of: "/\(try DatabaseURL(ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").database)?", with: "/\(database.url.database)?")
    }

    @Test("the default root certificate file, ~/.postgresql/root.crt, is used as libpq uses it")
    func defaultRootCertificate() async throws {
        let authorities = try Self.certificateAuthorities()
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-home-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: home.appendingPathComponent(".postgresql"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: home) }
            let rootFile = home.appendingPathComponent(".postgresql/root.crt")
            try FileManager.default.copyItem(atPath: authorities.trusted, toPath: rootFile.path)
            let trusted = try await WorkerCommand.run(
                ["status"], environment: ["HOME": home.path, "DATABASE_URL": try Self.url(host: "127.0.0.1", mode: "verify-ca", of: database)])
            #expect(trusted.status == 0, "\(trusted.stderr)")
            try FileManager.default.removeItem(at: rootFile)
            try FileManager.default.copyItem(atPath: authorities.other, toPath: rootFile.path)
            for mode in ["verify-ca", "require"] {
                let refused = try await WorkerCommand.run(
                    ["status"], environment: ["HOME": home.path, "DATABASE_URL": try Self.url(host: "127.0.0.1", mode: mode, of: database)])
                #expect(refused.status == 1 && refused.stderr.contains("TLS handshake failed with sslmode=\(mode)"), "\(mode): \(refused.stderr)")
            }
        }
    }

    @Test("a mode that can be intercepted is warned about at start-up, unless the server is on this host")
    func interceptionWarning() async throws {
        let remote = try await WorkerCommand.run(["status"], environment: ["DATABASE_URL": "postgres://u@db.invalid:1/db?sslmode=require"])
        #expect(remote.stderr.contains("warning: DATABASE_URL sslmode=require does not check the server's certificate"), "\(remote.stderr)")
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let local = try await WorkerCommand.run(
                ["status"], environment: ["DATABASE_URL": try Self.url(host: "127.0.0.1", mode: "require", of: database)])
            #expect(local.status == 0 && !local.stderr.contains("does not check the server's certificate"), "\(local.stderr)")
        }
    }

    @Test("the worker runs its jobs over verify-full")
    func workerOverVerifiedTLS() async throws {
        let authorities = try Self.certificateAuthorities()
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let verified = database.urlString
                .replacingOccurrences(of: "@\(database.url.host):", with: "@localhost:")
                .replacingOccurrences(of: "sslmode=\(database.url.sslMode.rawValue)", with: "sslmode=verify-full&sslrootcert=\(authorities.trusted)")
            let enqueued = try await WorkerCommand.run(["enqueue", "noop", "--payload", "{}"], environment: ["DATABASE_URL": verified])
            #expect(enqueued.status == 0, "\(enqueued.stderr)")
            let status = try await WorkerCommand.run(["status", "--json"], environment: ["DATABASE_URL": verified])
            #expect(status.status == 0 && status.stdout.contains("\"queued\""), "\(status.stderr)")
            let refused = try await WorkerCommand.run(
                ["status"],
                environment: [
                    "DATABASE_URL": verified.replacingOccurrences(of: authorities.trusted, with: authorities.other)
                ])
            #expect(refused.status == 1 && refused.stderr.contains("TLS handshake failed with sslmode=verify-full"), "\(refused.stderr)")
        }
    }
}
