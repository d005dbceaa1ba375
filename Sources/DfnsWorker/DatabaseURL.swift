import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// A parsed `DATABASE_URL`: `postgres://user[:pass]@host[:port]/db[?sslmode=disable|prefer|require]`.
/// The password never appears in ``description``.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// TLS use, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    /// Parses the URL; the error message names what is wrong and never echoes the password.
    public init(_ text: String) throws(WorkerError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw WorkerError(.configuration, "DATABASE_URL must look like postgres://user[:password]@host[:port]/database")
        }
        guard let host = components.host, !host.isEmpty else { throw WorkerError(.configuration, "DATABASE_URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw WorkerError(.configuration, "DATABASE_URL has no user") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? self.username : (path.removingPercentEncoding ?? path)
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw WorkerError(.configuration, "DATABASE_URL sslmode must be disable, prefer or require, not \(mode)")
        }
        self.sslMode = sslMode
    }

    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// Configuration of the pooled client.
    public func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// Opens and closes one connection, so a command fails at once with a clear message (the pool would retry
    /// for a minute before giving up).
    public func checkReachable(logger: Logger) async throws(WorkerError) {
        do {
            let connection = try await PostgresConnection.connect(configuration: connectionConfiguration(), id: 0, logger: logger)
            try await connection.close()
        } catch let error as PSQLError {
            let reason = error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
            throw WorkerError(.database, "cannot connect to PostgreSQL at \(host):\(port) as \(username): \(reason)")
        } catch {
            throw WorkerError(.database, "cannot connect to PostgreSQL at \(host):\(port): \(error)")
        }
    }

    /// Configuration of a dedicated connection (the LISTEN connection lives outside the pool).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
