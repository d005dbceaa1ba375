/// A failure of the worker itself (not of a job): configuration, database, migrations.
public struct WorkerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure: a struct over a private enum, so codes can be added without breaking callers' switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable { case configuration, database, migration, notFound }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A flag, variable or key cannot be used.
        public static let configuration = Code(.configuration)
        /// PostgreSQL is unreachable or refused a statement.
        public static let database = Code(.database)
        /// The schema is missing or newer than this binary.
        public static let migration = Code(.migration)
        /// A job id that does not exist.
        public static let notFound = Code(.notFound)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
