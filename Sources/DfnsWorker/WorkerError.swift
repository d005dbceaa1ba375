/// A failure of the worker itself (not of a job): configuration, database, migrations.
public struct WorkerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure; a struct so codes can be added without breaking callers' switches.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A flag, variable or key cannot be used.
        public static let configuration = Code(rawValue: "configuration")
        /// PostgreSQL is unreachable or refused a statement.
        public static let database = Code(rawValue: "database")
        /// The schema is missing or newer than this binary.
        public static let migration = Code(rawValue: "migration")
        /// A job id that does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// OpenSSL could not seal or open an end user's token (``TokenSeal``).
        public static let sealing = Code(rawValue: "sealing")

        public var description: String { rawValue }
    }

    public let code: Code
    /// What an operator reads: what failed and what to do about it.
    public let message: String

    public init(_ code: Code, _ message: String) {
        (self.code, self.message) = (code, message)
    }

    public var description: String { message }
}
