import ArgumentParser
import AsyncHTTPClient
import DfnsJobs
import DfnsSDK
import DfnsWorker
import Foundation
import Logging
import PostgresNIO

/// `--database-url` (default: `DATABASE_URL`).
struct DatabaseOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL postgres://user[:password]@host[:port]/db[?sslmode=…&sslrootcert=…] (default: $DATABASE_URL).")
    var databaseURL: String?

    func resolved() throws -> DatabaseURL {
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty else {
            throw ValidationError("set DATABASE_URL or pass --database-url")
        }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(text)
        } catch {
            throw ValidationError(error.message)
        }
        if databaseURL != nil, url.password != nil {
            // Not an error (a developer's own machine), but on a shared host every user can read it with `ps`.
            warn(
                "--database-url carries a password, and every user of this host can read a command line (ps); set DATABASE_URL in the environment instead"
            )
        }
        if url.canBeIntercepted, !url.isLoopback {
            warn(
                "DATABASE_URL sslmode=\(url.sslMode.rawValue) does not check the server's certificate: anyone on the network path to \(url.host) can read or change what the worker sends (jobs, results, the password); use sslmode=verify-full with sslrootcert"
            )
        }
        return url
    }
}

/// `--log-level` and `--log-format`.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log format on standard error: text, or json (one object per line, for log shippers).")
    var logFormat: String = "text"

    /// Bootstraps swift-log once for the process and returns the root logger.
    func bootstrap(label: String) throws -> Logger {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        switch logFormat {
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case "json":
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
        default:
            throw ValidationError("--log-format must be text or json")
        }
        return Logger(label: label)
    }
}

/// How the worker reaches Dfns. Secrets come from the environment only (never flags, which `ps` shows):
/// DFNS_AUTH_TOKEN, and the key's (``SignerOptions``).
struct DfnsOptions: ParsableArguments {
    @Option(help: "Dfns API base URL (default: $DFNS_API_URL or https://api.dfns.io).") var dfnsApiUrl: String?
    @Option(help: "Key credential id (default: $DFNS_CRED_ID).") var dfnsCredId: String?
    @OptionGroup var signer: SignerOptions
    @Option(help: "Origin written into signed client data (default: $DFNS_APP_ORIGIN or https://app.dfns.io).") var dfnsAppOrigin: String?
    @Option(help: "Requests per minute this process sends to Dfns, init and action calls included (default: $DFNS_REQUESTS_PER_MINUTE or 1000).")
    var dfnsRequestsPerMinute: Int?
    @Option(
        help:
            "Requests per minute of the Dfns organisation, shared by every worker of the database (default: $DFNS_ORG_REQUESTS_PER_MINUTE or the per-process value)."
    )
    var dfnsOrgRequestsPerMinute: Int?
    @Option(
        help: "Name of the shared request budget, one per Dfns organisation; off paces each process alone (default: $DFNS_RATE_BUDGET or default).")
    var dfnsRateBudget: String?

    /// The per-process limit: an upper bound whatever the shared budget grants.
    func requestsPerMinute() throws -> Int {
        try Self.perMinute(dfnsRequestsPerMinute, flag: "--dfns-requests-per-minute", variable: "DFNS_REQUESTS_PER_MINUTE") ?? 1000
    }

    /// A requests-per-minute value from its flag, else its environment variable, else nil; anything but a whole number
    /// within 1...1,000,000,000 is an error naming where it came from (never silently the default).
    static func perMinute(_ flagValue: Int?, flag: String, variable: String) throws -> Int? {
        let text = flagValue.map(String.init) ?? ProcessInfo.processInfo.environment[variable]
        guard let text, !text.isEmpty else { return nil }
        let source = flagValue == nil ? variable : flag
        guard let value = Int(text), (1...1_000_000_000).contains(value) else {
            throw ValidationError("\(source) must be a whole number of requests per minute, 1-1000000000, not \(text.prefix(40))")
        }
        return value
    }

    /// The shared budget's configuration, or nil when it is off.
    func sharedBudget(workerId: String) throws -> SharedRateBudget.Configuration? {
        let environment = ProcessInfo.processInfo.environment
        let name = dfnsRateBudget ?? environment["DFNS_RATE_BUDGET"] ?? "default"
        if name == "off" { return nil }
        guard (1...64).contains(name.utf8.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw ValidationError("--dfns-rate-budget must be 1-64 letters, digits, '-', '_' or '.', or off")
        }
        let perMinute =
            try Self.perMinute(dfnsOrgRequestsPerMinute, flag: "--dfns-org-requests-per-minute", variable: "DFNS_ORG_REQUESTS_PER_MINUTE")
            ?? requestsPerMinute()
        return SharedRateBudget.Configuration(name: name, requestsPerMinute: perMinute, workerId: workerId)
    }

    /// Builds the signer and client; every problem is a clear configuration error that names no secret.
    func makeClient(
        logger: Logger, httpClient: HTTPClient = .shared, observer: (any DfnsRequestObserver)? = nil, sharedBudget: (any DfnsRequestBudget)? = nil
    ) throws -> DfnsClient {
        let environment = ProcessInfo.processInfo.environment
        guard let token = environment["DFNS_AUTH_TOKEN"], !token.isEmpty else { throw ValidationError("set DFNS_AUTH_TOKEN") }
        guard let credentialId = dfnsCredId ?? environment["DFNS_CRED_ID"], !credentialId.isEmpty else {
            throw ValidationError("set DFNS_CRED_ID or pass --dfns-cred-id")
        }
        let baseURL = dfnsApiUrl ?? environment["DFNS_API_URL"] ?? "https://api.dfns.io"
        try Self.checkTransport(baseURL)
        let signer = try signer.signer(credentialId: credentialId)
        let configuration = DfnsClientConfiguration(
            baseURL: baseURL,
            authToken: token,
            appOrigin: dfnsAppOrigin ?? environment["DFNS_APP_ORIGIN"] ?? UserActionSigning.defaultOrigin,
            requestsPerMinute: try requestsPerMinute(),
            sharedBudget: sharedBudget,
            // The engine owns every retry of a write that may have reached Dfns (attempts, backoff, look-ups).
            writeReplay: .unsentOnly,
            observer: observer
        )
        // Signers are safe to share: each KeySigner signature uses its own OpenSSL context, each PKCS11Signer one its own
        // session, so jobs sign in parallel.
        return DfnsClient(configuration: configuration, signer: signer, httpClient: httpClient, logger: logger)
    }
}

extension DfnsOptions {
    /// The bearer token goes with every request: `https://`, or plain `http://` only to this host (the simulator).
    static func checkTransport(_ baseURL: String) throws {
        guard let url = URLComponents(string: baseURL), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw ValidationError("DFNS_API_URL must be a URL such as https://api.dfns.io, not \(baseURL)")
        }
        switch scheme {
        case "https": return
        case "http" where DatabaseURL.isLoopback(host): return
        case "http":
            throw ValidationError(
                "DFNS_API_URL must use https:// (http:// only to a loopback address such as a local simulator): the token would travel in clear to \(host)"
            )
        default:
            throw ValidationError("DFNS_API_URL must use https://, not \(scheme)://")
        }
    }

    /// Warns when the key file can be read by others, or by a group other than this process's own (the systemd unit
    /// installs it root-owned, mode 0640, group dfns-worker: readable by the service and no one else).
    static func checkKeyFilePermissions(_ path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value
        else { return }
        let group = (attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value
        let otherReadable = mode & 0o004 != 0
        let foreignGroupReadable = mode & 0o040 != 0 && group != getegid()
        if otherReadable || foreignGroupReadable {
            warn(
                "the private key file \(path) is readable by \(otherReadable ? "every user" : "its group") (mode \(String(mode & 0o777, radix: 8))); chmod 600 it, or 640 with the service's own group"
            )
        }
    }
}

/// A warning on standard error before logging is set up (configuration is read first).
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

/// Runs `body` with a pooled PostgreSQL client that is running, and shuts it down afterwards. Unless `checkingSchema` is
/// false (`migrate`), it first refuses a schema this binary does not fit (``JobStore/checkSchema(kinds:)``): exit 1,
/// both versions named, no job touched.
func withDatabase<Result: Sendable>(
    _ url: DatabaseURL, maximumConnections: Int = 4, checkingSchema: Bool = true, logger: Logger, _ body: (JobStore) async throws -> Result
) async throws -> Result {
    do {
        try await url.checkReachable(logger: logger)
    } catch {
        throw CommandFailure(error.message)
    }
    let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        do {
            let store = JobStore(client: client, logger: logger)
            if checkingSchema { try await store.checkSchema(kinds: JobCatalog.registry().kinds) }
            return try await body(store)
        } catch let error as PSQLError {
            throw CommandFailure(describe(error))
        } catch let error as PostgresTransactionError {
            throw CommandFailure((error.closureError ?? error.beginError ?? error.commitError).map(describe) ?? "database transaction failed")
        } catch let error as WorkerError {
            throw CommandFailure(error.message)
        }
    }
}

/// A failure at run time (not a usage error): printed as `Error: message`, exit 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The server's message (and hint) of a PostgreSQL error, or its code; never query text or binds.
func describe(_ error: any Error) -> String {
    guard let error = error as? PSQLError else { return "\(error)" }
    if let message = error.serverInfo?[.message] {
        return message + (error.serverInfo?[.hint].map { " (\($0))" } ?? "")
    }
    return "database error: \(error.code)" + (error.underlying.map { " (\($0))" } ?? "")
}
