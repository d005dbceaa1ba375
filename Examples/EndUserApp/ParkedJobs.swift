import DfnsSDK
import Foundation
import HTTPTypes
import Logging
import PostgresNIO

/// The application's side of dfns-worker's jobs on behalf of end users, in SQL with bind parameters only: it queues
/// a job for the logged-in user (`dfns_worker.enqueue(…, on_behalf_of => user)`), reads that user's jobs (the worker
/// parks each one in `awaiting_signature` with Dfns's challenge in `user_challenge`) and hands the user's signed
/// challenge back (`dfns_worker.sign`). The worker does everything with Dfns: it logs the user in as the
/// application's service account, asks for the challenge, and completes the write once signed; this app never
/// holds the user's token for these jobs.
///
/// Every statement names the session's user, so a user sees and signs their own jobs only.
struct ParkedJobs: Sendable {
    /// The kinds the page may queue: a wallet, or a transfer from one of the user's wallets (the worker acts with the
    /// user's own login, so Dfns refuses a transfer from a wallet that is not theirs and the job fails).
    static let kinds: Set<String> = ["create_wallet", "transfer"]
    /// The most jobs `GET /api/jobs` lists, newest first.
    static let listed = 50

    let client: PostgresClient
    let logger: Logger

    /// Queues `kind` with `payload` for `user`; answers the job's id.
    func enqueue(_ kind: String, payload: JSONValue, for user: String) async throws -> Int64 {
        guard Self.kinds.contains(kind) else {
            throw AppProblem(.badRequest, "a job is one of \(Self.kinds.sorted().joined(separator: ", ")), not \(kind.prefix(40))")
        }
        guard case .object = payload, payload.jsonBytes().count <= 4096 else {
            throw AppProblem(.badRequest, "a job's payload is a JSON object of at most 4 KiB")
        }
        let rows = try await run("queue your job") {
            try await client.query(
                "SELECT dfns_worker.enqueue(\(kind), \(payload.jsonString)::jsonb, on_behalf_of => \(user))", logger: logger)
        }
        guard let row = rows.first else { throw AppProblem(.internalServerError, "dfns_worker.enqueue answered no job id") }
        return try row.decode(Int64.self)
    }

    /// The jobs acting for `user`, newest first.
    func jobs(of user: String) async throws -> [ParkedJob] {
        let rows = try await run("read your jobs") {
            try await client.query(
                """
                SELECT id, kind, state, payload->>'network', payload->>'walletId', payload->>'to', payload->>'amount',
                       CASE WHEN state = 'awaiting_signature' THEN user_challenge::text END,
                       result->>'id', result->>'status', CASE WHEN state IN ('failed', 'retrying') THEN last_error->>'code' END
                FROM dfns_worker.jobs WHERE on_behalf_of = \(user) ORDER BY id DESC LIMIT \(Self.listed)
                """, logger: logger)
        }
        return try rows.map { row in
            let (id, kind, state, network, walletId, to, amount, challenge, resultId, resultStatus, errorCode) = try row.decode(
                (Int64, String, String, String?, String?, String?, String?, String?, String?, String?, String?).self)
            let summary =
                switch kind {
                case "create_wallet": "Create a wallet on \(network ?? "?")"
                case "transfer": "Send \(amount ?? "?") wei from \(walletId ?? "?") to \(to ?? "?")"
                default: kind
                }
            return ParkedJob(
                id: id, kind: kind, state: state, summary: summary,
                challenge: challenge.flatMap { try? JSONDecoder().decode(UserActionChallenge.self, from: Data($0.utf8)) }
                    .map(BrowserChallenge.assertion),
                resultId: resultId, resultStatus: resultStatus, errorCode: errorCode)
        }
    }

    /// Hands `user`'s signature of job `id`'s challenge to the worker: the assertion as the `Fido2` first factor of
    /// the challenge the row holds, through `dfns_worker.sign`, which takes it once, while the job awaits it and
    /// before its deadline. Dfns checks the signature itself when the worker completes the write: a wrong one fails
    /// the job (`signature_refused`), not this call.
    /// - Throws: ``AppProblem`` 400 for an assertion that is malformed (first) or of another challenge, 404 for a job
    ///   that is not the user's, 409 for one not awaiting a signature (signed already, a replay, expired).
    func sign(_ id: Int64, by user: String, _ assertion: BrowserAssertion) async throws {
        try assertion.checkEncoding()
        let rows = try await run("read your job") {
            try await client.query(
                "SELECT state, user_challenge::text FROM dfns_worker.jobs WHERE id = \(id) AND on_behalf_of = \(user)", logger: logger)
        }
        guard let row = rows.first else { throw AppProblem(.notFound, "you have no job \(id)") }
        let (state, challengeText) = try row.decode((String, String?).self)
        guard let text = challengeText, let challenge = try? JSONDecoder().decode(UserActionChallenge.self, from: Data(text.utf8)) else {
            throw AppProblem(.conflict, "job \(id) is \(state): it is not waiting for your signature")
        }
        let signed = try JSONEncoder().encode(try assertion.signed(challenge))
        _ = try await run("hand your signature to job \(id)") {
            try await client.query("SELECT dfns_worker.sign(\(id), \(String(decoding: signed, as: UTF8.self))::jsonb)", logger: logger)
        }
    }

    /// Runs a statement to its end (a function's exception arrives after the rows' description); PostgreSQL's refusals
    /// become the page's problems. Its messages name jobs and states, never the statement's parameters (a signature),
    /// so they are answered as they are; any other failure is logged without its details and answered 503.
    private func run(_ what: String, _ statement: () async throws -> PostgresRowSequence) async throws -> [PostgresRow] {
        do {
            return try await statement().collect()
        } catch let error as PSQLError {
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            let status: HTTPResponse.Status =
                switch error.serverInfo?[.sqlState] {
                case "P0002": .notFound  // sign(): no such job
                case "55000": .conflict  // sign(): not awaiting a signature (signed already, replayed), or expired
                case "22023": .badRequest  // sign(): another job's challenge, or malformed; enqueue(): not a user id
                default: .serviceUnavailable
                }
            if status == .serviceUnavailable {
                logger.error("the job queue failed", metadata: ["doing": "\(what)", "error": "\(message)"])
                throw AppProblem(status, "could not \(what): the job queue is unavailable")
            }
            throw AppProblem(status, "could not \(what): \(message)")
        } catch {
            logger.error("the job queue failed", metadata: ["doing": "\(what)", "error": "\(type(of: error))"])
            throw AppProblem(.serviceUnavailable, "could not \(what): the job queue is unavailable")
        }
    }
}
