import Foundation

/// The versioned SQL that creates and upgrades schema `dfns_worker` (the public SQL contract of design.md).
///
/// Each migration runs once, in its own transaction, under an advisory lock, so several workers may run
/// `migrate` at the same time; re-running is a no-op.
package enum SchemaMigrations {
    package struct Migration: Sendable {
        package let version: Int
        package let name: String
        /// For a migration that changes a money rule (how externalIds are derived, what `retry()` may re-key…): the
        /// oldest binary allowed to run against the schema from then on, as the newest version it knows. Recorded in
        /// `schema_migrations.oldest_binary`; older binaries refuse to start and to claim (``JobStore/checkSchema(kinds:)``).
        package let oldestBinary: Int?
        package let sql: String

        init(version: Int, name: String, oldestBinary: Int? = nil, sql: [UInt8]) {
            self.version = version
            self.name = name
            self.oldestBinary = oldestBinary
            self.sql = String(decoding: sql, as: UTF8.self)
        }

        /// The statements, one per `--;` separator (the extended protocol runs one statement at a time).
        var statements: [String] {
            sql.components(separatedBy: "\n--;\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
    }

    /// The newest version this binary knows, which is also the oldest it works on (``JobStore/checkSchema(kinds:)``).
    package static var newest: Int { all.map(\.version).max() ?? 0 }

    /// Key of the transaction advisory lock that serialises migrations (`dfns_wor` in ASCII).
    static let advisoryLockKey: Int64 = 0x6466_6E73_5F77_6F72

    /// Every migration, oldest first. The SQL of version N is `Migrations/NNN_name.sql`, embedded in the binary
    /// (`.embedInCode`: nothing to ship beside it); `schema.sql` beside this file is the schema they make, every
    /// function in its live definition (``SchemaFileTests`` keeps both true). A released migration's file never changes:
    /// a change is a new migration.
    package static let all: [Migration] = [
        Migration(version: 1, name: "jobs table, kinds, enqueue/cancel/retry, insert validation and NOTIFY", sql: PackageResources._01_jobs_sql),
        Migration(
            version: 2, name: "money safety: installation id, stable externalIds, what Dfns may hold, safe cancel/retry",
            sql: PackageResources._02_money_safety_sql),
        Migration(
            version: 3, name: "webhooks: events received once, the waiting job of an entity woken at once; controls",
            sql: PackageResources._03_webhooks_sql),
        Migration(
            version: 4, name: "a fleet for a year: a shared Dfns budget, retention, costs independent of finished rows, insert limits",
            sql: PackageResources._04_fleet_sql),
        Migration(
            version: 5, name: "workers: who is alive, since when, with how many jobs, paused or rate-limited", sql: PackageResources._05_workers_sql),
        Migration(
            version: 6, name: "the operator console: throughput per minute, search, listing, run-now and recorded operator actions",
            sql: PackageResources._06_console_sql),
        Migration(
            version: 7,
            name: "money safety, second round: binaries that fit the schema, externalIds from unique keys, wake-ups while running, clearer retries",
            oldestBinary: 7, sql: PackageResources._07_money_safety_second_round_sql),
        Migration(
            version: 8,
            name: "the engine owns the entity a job follows: dfns_id and dfns_parent_id, keyed on by webhook wake-ups, search and other jobs",
            oldestBinary: 8, sql: PackageResources._08_followed_entities_sql),
        // An older binary would run a signed end user's job as its own service account: it must not claim.
        Migration(
            version: 9,
            name: "end users: jobs on behalf of a Dfns end user, awaiting_signature, dfns_worker.sign() and sealed logins",
            oldestBinary: 9, sql: PackageResources._09_end_users_sql),
    ]
}
