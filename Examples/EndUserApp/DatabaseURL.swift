import ArgumentParser
import Foundation
import PostgresNIO

/// `DATABASE_URL`, `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…]`, as PostgresNIO's
/// client configuration: the database dfns-worker's jobs live in, which the app writes to as any application does (an
/// `enqueue` for its user, a `sign` with their signature) and nothing more.
///
/// `sslmode` as libpq names them, the ones an application needs: `disable`; `prefer` (libpq's default: TLS when the
/// server offers it) and `require` encrypt without checking the server, so anyone on the network path can read or
/// change the traffic; `verify-full` checks the server's certificate against `sslrootcert` (a PEM file, or `system`)
/// and its host name.
enum DatabaseURL {
    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""), let host = url.host,
            !host.isEmpty, let user = url.user, !user.isEmpty
        else { throw ValidationError("DATABASE_URL must look like postgres://user[:password]@host[:port]/database") }
        let query = { (name: String) in url.queryItems?.first { $0.name == name }?.value }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let tls: PostgresClient.Configuration.TLS
        switch query("sslmode") ?? "prefer" {
        case "disable":
            tls = .disable
        case "prefer", "require":
            var unverified = TLSConfiguration.makeClientConfiguration()
            unverified.certificateVerification = .none
            tls = query("sslmode") == "require" ? .require(unverified) : .prefer(unverified)
        case "verify-full":
            var verified = TLSConfiguration.makeClientConfiguration()
            switch query("sslrootcert") {
            case nil, "": throw ValidationError("DATABASE_URL sslmode=verify-full needs sslrootcert=/path/ca.pem (or sslrootcert=system)")
            case "system": verified.trustRoots = .default
            case let file?: verified.trustRoots = .file(file)
            }
            tls = .require(verified)
        case let other:
            throw ValidationError("DATABASE_URL sslmode must be disable, prefer, require or verify-full, not \(other.prefix(40))")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user.removingPercentEncoding ?? user,
            password: url.password.map { $0.removingPercentEncoding ?? $0 },
            database: path.isEmpty ? nil : (path.removingPercentEncoding ?? path), tls: tls)
        configuration.options.maximumConnections = 4
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
