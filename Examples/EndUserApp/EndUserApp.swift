import ArgumentParser
import DfnsSDK
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `end-user-app`: an application's backend for its end users, who hold their own passkeys. It acts as the
/// application's Dfns service account (it opens registrations for its users) and relays their signed challenges;
/// tokens stay on this server, the browser only ever sees challenges and a session cookie.
///
/// Environment: `DFNS_API_URL`, `DFNS_AUTH_TOKEN` (the service account's token), `DFNS_CRED_ID` and
/// `DFNS_PRIVATE_KEY_FILE` (its key credential), `DFNS_ORG_ID` (optional: Dfns's login without a username may need it),
/// `DATABASE_URL` (optional: dfns-worker's database, for the jobs the worker carries out once the user signed them;
/// without it that part of the page is off).
@main
struct EndUserApp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "end-user-app",
        abstract: "Example web application: end users register, log in and sign wallet creations with their passkeys."
    )

    @Option(help: "Port to listen on, on 127.0.0.1 (0 picks a free one; default: $PORT, else 8080).") var port: Int?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = try port ?? environment["PORT"].map(Self.port) ?? 8080
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else { throw ValidationError("set \(name) (see --help)") }
            return value
        }
        var logger = Logger(label: "end-user-app")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let configuration = DfnsClientConfiguration(
            baseURL: environment["DFNS_API_URL"] ?? "https://api.dfns.io", authToken: try required("DFNS_AUTH_TOKEN"))
        let signer: KeySigner
        do {
            signer = try KeySigner(credentialId: try required("DFNS_CRED_ID"), privateKeyFile: try required("DFNS_PRIVATE_KEY_FILE"))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("DFNS_PRIVATE_KEY_FILE: the service account's key cannot be read: \(error)")
        }
        // The database is optional: without it the app still registers, logs in and signs in the browser.
        let database = try environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }.map {
            PostgresClient(configuration: try DatabaseURL.configuration($0), backgroundLogger: logger)
        }
        logger.info(database == nil ? "no DATABASE_URL: the jobs the worker carries out are off" : "jobs the worker carries out: on")
        let backend = EndUserBackend(
            serviceAccount: DfnsClient(configuration: configuration, signer: signer, logger: logger),
            authenticator: DfnsAuthenticator(configuration: configuration, logger: logger),
            orgId: environment["DFNS_ORG_ID"], jobs: database.map { ParkedJobs(client: $0, logger: logger) }, logger: logger)
        let router = Router()
        backend.register(on: router)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "end-user-app"),
            services: database.map { [$0] } ?? [],
            onServerRunning: { channel in
                // `localhost`, not 127.0.0.1: WebAuthn needs a secure context and a relying party id that is a
                // domain, and http://localhost is both (an IP address is neither an rpId nor, for Dfns, an origin).
                let line = "end-user app listening on http://localhost:\(channel.localAddress?.port ?? port)/\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger
        )
        try await application.runService()
    }

    private static func port(_ text: String) throws -> Int {
        guard let port = Int(text) else { throw ValidationError("PORT must be a number, not \(text)") }
        return port
    }
}
