import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

/// The schema's files tell the truth: `Store/Migrations/NNN_name.sql` are the migrations the binary runs, a released one
/// never changes, and `Store/schema.sql` is exactly what they make, so a reader finds every table, index, trigger and
/// the live definition of every function in one file.
@Suite("Schema files")
struct SchemaFileTests {
    static let store = Repository.root.appendingPathComponent("Sources/DfnsWorker/Store")
    static let schemaFile = store.appendingPathComponent("schema.sql")

    /// SHA-256 of each released migration's file. A released migration may have run anywhere: changing it would leave
    /// those databases different from new ones. Change the schema with a new migration; add its hash once released.
    static let released: [Int: String] = [
        1: "0d2891cb34f17b756a40066b1ec186816b4f1483f85ce74bcb0d2241405e7bc2",
        2: "a0027943a7e20550890be42a23798fe7a8cf4751f1b5ee3ace7a4d1cd9817a20",
        3: "72d6635ffb58034919fce724536b36a55307ae6e656089e1a2f9db5e8c1f1eae",
        4: "190e5a521743929e26f5a2cea73bdfd02f56a44fa09fc789617d177ccbe5962d",
        5: "056af50c5fb134850ab5102a8a767436261e4a61f8e027aa37f5d24f84df147d",
        6: "74d079ab0d9e63e31770558034c089e3c1df133b33f4a883a6926b41f291c292",
        7: "66bb3785c055b826f8f71f92e579ff23400e9f1036a8a4d8bb795f12ed191b55",
        8: "c25d09f91f8b6c51646c2a9bbe1070201d0801a7e0de61d5e3def7af074d6d14",
    ]

    @Test("each migration file is one the binary runs, numbered without gaps, and released ones are unchanged")
    func migrationFiles() throws {
        let folder = Self.store.appendingPathComponent("Migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        let versions = files.map { Int($0.prefix { $0 != "_" }) }
        #expect(versions == Array(1...files.count).map(Optional.some), "files are NNN_name.sql, numbered 1, 2, 3…: \(files)")
        #expect(SchemaMigrations.all.map(\.version) == Array(1...files.count), "SchemaMigrations.all lists every file")
        for (file, migration) in zip(files, SchemaMigrations.all) {
            let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent(file)))
            #expect(String(decoding: bytes, as: UTF8.self) == migration.sql, "\(file) is the SQL the binary embeds (rebuild)")
            if let hash = Self.released[migration.version] {
                #expect(Digest.hex(Digest.sha256(bytes)) == hash, "\(file) was released: write a new migration instead of changing it")
            }
        }
    }

    @Test("schema.sql is what the migrations make (DFNS_WRITE_SCHEMA=1 writes it)")
    func schemaFile() async throws {
        let dump = try await TestDatabase.with(kinds: []) { database in
            let installation = try await database.column("SELECT id FROM dfns_worker.installation").first ?? nil
            let output = try await ChildProcess(
                Self.pgDump, ["--schema-only", "--no-owner", "--no-privileges", "--schema=dfns_worker", "--dbname=\(database.urlString)"]
            ).exit()
            guard output.status == 0, let installation else { throw TestFailure("pg_dump failed (\(output.status)): \(output.stderr)") }
            return Self.normalized(output.stdout, installation: installation)
        }
        if ProcessInfo.processInfo.environment["DFNS_WRITE_SCHEMA"] == "1" {
            try dump.write(to: Self.schemaFile, atomically: true, encoding: .utf8)
        }
        let file = try String(contentsOf: Self.schemaFile, encoding: .utf8)
        if file != dump {
            let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-schema-\(UUID().uuidString).sql")
            try dump.write(to: fresh, atomically: true, encoding: .utf8)
            Issue.record(
                "Sources/DfnsWorker/Store/schema.sql is not what the migrations make (see `diff` with \(fresh.path)); after adding a migration, run DFNS_WRITE_SCHEMA=1 swift test --filter SchemaFileTests"
            )
        }
    }

    /// The newest pg_dump installed (it must be at least the server's version), else the one on PATH.
    static let pgDump: String = {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let newest = versions.compactMap(Int.init).max()
        return newest.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } ?? "/usr/bin/pg_dump"
    }()

    /// pg_dump's text without what varies between servers and runs (its comments, session settings, `\restrict` keys,
    /// the installation id baked into the externalId functions), under a header saying where it comes from.
    static func normalized(_ dump: String, installation: String) -> String {
        var lines: [Substring] = []
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            let varying = ["--", "SET ", "SELECT pg_catalog.set_config(", "\\restrict", "\\unrestrict"].contains { line.hasPrefix($0) }
            if varying || (line.isEmpty && (lines.last?.isEmpty ?? true)) { continue }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        let header = """
            -- Schema dfns_worker as migrations 1 to \(SchemaMigrations.newest) make it (Store/Migrations): every table, index, trigger
            -- and the live definition of every function, from pg_dump --schema-only. Generated, never edited: change the
            -- schema with a new migration, then run DFNS_WRITE_SCHEMA=1 swift test --filter SchemaFileTests.
            -- <installation> stands for the installation's id (dfns_worker.installation), baked into externalIds.


            """
        return header + lines.joined(separator: "\n").replacingOccurrences(of: installation, with: "<installation>") + "\n"
    }
}
