import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// A parsed `DATABASE_URL`: `postgres://user[:pass]@host[:port]/db[?sslmode=…&sslrootcert=/path/ca.pem]`.
/// The password never appears in ``description``.
///
/// `sslmode` and `sslrootcert` follow libpq (https://www.postgresql.org/docs/current/libpq-ssl.html, "SSL Mode
/// Descriptions" and section 34.19.1; libpq's fe-secure-openssl.c): `disable`, `allow` and `prefer` can be downgraded
/// to a clear connection by anyone on the path; `require` encrypts but accepts any server certificate (a man in the
/// middle can read everything) unless a root certificate file is there, when it checks the chain as `verify-ca` does;
/// `verify-ca` checks the server's certificate chain against the root certificate file; `verify-full` also checks that
/// the certificate names the host. The root certificate file is `sslrootcert`, else `~/.postgresql/root.crt`; without
/// either, `verify-ca` and `verify-full` refuse to start (the system's trust store would accept any certificate a
/// public CA issued, for any host name, under `verify-ca`). `sslrootcert=system` trusts the system's store and, as in
/// libpq, only with `verify-full`. `allow` tries TLS first (libpq tries a clear connection first): the same
/// guarantees, none.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    /// TLS use, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"

    }

    /// The certificate authorities the server's certificate is checked against.
    public enum TrustRoots: Sendable, Equatable {
        /// A PEM file (`sslrootcert`, or libpq's default `~/.postgresql/root.crt`).
        case file(String)
        /// The system's trust store (`sslrootcert=system`, `verify-full` only).
        case system
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert` as given: a PEM file of the certificate authorities trusted for the server's certificate (a
    /// managed database's private CA), or `system`.
    public var sslRootCert: String?
    /// What the server's certificate is checked against: `sslrootcert`, else `~/.postgresql/root.crt` when it exists;
    /// nil when nothing is (`disable` to `require` without a root file).
    public private(set) var trustRoots: TrustRoots?

    /// Whether someone on the network path can turn the connection into a clear one or impersonate the server: every
    /// mode that does not check the certificate's chain (`require` does when a root certificate file is there).
    public var canBeIntercepted: Bool {
        switch sslMode {
        case .disable, .allow, .prefer: true
        case .require: trustRoots == nil
        case .verifyCA, .verifyFull: false
        }
    }

    /// Whether the server is on this host, where there is no network path to intercept.
    public var isLoopback: Bool { Self.isLoopback(host) }

    /// `localhost`, 127.0.0.0/8 and ::1.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// libpq's default root certificate file, `~/.postgresql/root.crt`.
    static var defaultRootCertPath: String? {
        (ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }).map { "\($0)/.postgresql/root.crt" }
    }

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
            throw WorkerError(
                .configuration,
                "DATABASE_URL sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), not \(mode.prefix(40))")
        }
        self.sslMode = sslMode
        self.sslRootCert = components.queryItems?.first { $0.name == "sslrootcert" }?.value.flatMap { $0.isEmpty ? nil : $0 }
        self.trustRoots = try Self.trustRoots(sslMode: sslMode, sslRootCert: sslRootCert)
    }

    /// libpq's choice of root certificates: `sslrootcert=system` only with `verify-full`; an explicit file must be
    /// readable PEM; otherwise `~/.postgresql/root.crt` if it exists, which `verify-ca` and `verify-full` require.
    private static func trustRoots(sslMode: SSLMode, sslRootCert: String?) throws(WorkerError) -> TrustRoots? {
        if sslRootCert == "system" {
            guard sslMode == .verifyFull else {
                throw WorkerError(
                    .configuration,
                    "DATABASE_URL sslrootcert=system trusts every certificate a public authority issued, so libpq allows it only with sslmode=verify-full (not \(sslMode.rawValue))"
                )
            }
            return .system
        }
        if let sslRootCert {
            guard FileManager.default.isReadableFile(atPath: sslRootCert) else {
                throw WorkerError(.configuration, "DATABASE_URL sslrootcert \(sslRootCert) is not a readable file")
            }
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(sslRootCert), !certificates.isEmpty else {
                throw WorkerError(.configuration, "DATABASE_URL sslrootcert \(sslRootCert) holds no PEM certificate")
            }
            return .file(sslRootCert)
        }
        guard sslMode != .disable else { return nil }
        if let path = defaultRootCertPath, FileManager.default.fileExists(atPath: path) {
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else {
                throw WorkerError(.configuration, "the root certificate file \(path) (libpq's default for sslrootcert) holds no PEM certificate")
            }
            return .file(path)
        }
        guard sslMode == .verifyCA || sslMode == .verifyFull else { return nil }
        throw WorkerError(
            .configuration,
            "DATABASE_URL sslmode=\(sslMode.rawValue) needs the certificate authority to check the server against, and the root certificate file \(defaultRootCertPath ?? "~/.postgresql/root.crt") does not exist: add sslrootcert=/path/ca.pem (or sslrootcert=system with verify-full), as libpq requires"
        )
    }

    public var description: String {
        "postgres://\(username)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
            + (sslRootCert.map { "&sslrootcert=\($0)" } ?? "")
    }

    /// What NIOSSL checks for this mode: nothing below `require` (libpq's `prefer` does not verify either), the chain
    /// for `verify-ca` (and `require` with a root certificate), the chain and the host name for `verify-full`.
    func tlsConfiguration() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trustRoots {
        case .file(let path): tls.trustRoots = .file(path)
        case .system: tls.trustRoots = .default
        case nil: break
        }
        switch sslMode {
        case .disable, .allow, .prefer: tls.certificateVerification = .none
        case .require: tls.certificateVerification = trustRoots == nil ? .none : .noHostnameVerification
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        return tls
    }

    /// Configuration of the pooled client.
    public func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch sslMode {
            case .disable: .disable
            case .allow, .prefer: .prefer(tlsConfiguration())
            case .require, .verifyCA, .verifyFull: .require(tlsConfiguration())
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
            let reason: String
            if error.code == .sslUnsupported {
                reason = "the server does not offer TLS, which sslmode=\(sslMode.rawValue) requires"
            } else if let tls = error.underlying, tls is NIOSSLError || tls is NIOSSLExtraError {
                reason =
                    "TLS handshake failed with sslmode=\(sslMode.rawValue)" + (sslRootCert.map { " and sslrootcert=\($0)" } ?? "")
                    + (tls is NIOSSLExtraError ? " (verify-full: the certificate must name the host exactly as the URL does)" : "") + ": \(tls)"
            } else {
                reason = error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
            }
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
            case .allow, .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
            case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration()))
            }
        return PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }
}
