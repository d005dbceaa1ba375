import DfnsSDK
import DfnsTestSupport
import DfnsWorker
import Foundation
import Testing

/// Jobs on behalf of end users (design.md "End users"): the worker logs the user in as the application's service
/// account, parks the job with Dfns's challenge, takes the user's signature through `dfns_worker.sign()` and completes
/// the operation with the same login, under the exactly-once rules of every job.
@Suite("Jobs on behalf of end users", .timeLimit(.minutes(3)))
struct EndUserJobsTests {
    private static let address = "0x" + String(repeating: "cd", count: 20)

    /// Drains until job `id` waits for its user's signature (30 s at most).
    private static func parked(_ id: Int64, _ worker: Worker, _ database: TestDatabase.Handle) async throws -> Bool {
        try await Poll.until(.seconds(30)) {
            _ = try await worker.drain()
            return try await WorkerHarness.row(database, id).state == "awaiting_signature"
        }
    }

    /// `state|code` of a job, for short expectations.
    private func outcome(_ database: TestDatabase.Handle, _ id: Int64) async throws -> String {
        let row = try await WorkerHarness.row(database, id)
        return "\(row.state)|\(row.code ?? "")"
    }

    @Test("a wallet and a transfer for an end user: each parks with Dfns's challenge until the user signs, then completes")
    func walletAndTransfer() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            // A service account granted exactly what it needs for its users.
            let user = try await EndUserFixture.make(sim, operations: ["Auth:Register:Delegated", "Auth:Login:Delegated", "Auth:Users:Read"])
            let worker = try WorkerHarness.worker(database, sim, client: user.backend, seal: user.seal)
            let wallet = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            _ = try await worker.drain()

            #expect(try await outcome(database, wallet) == "awaiting_signature|")
            let parked = try await database.column(
                """
                SELECT concat_ws('|', attempt, user_challenge->'allowCredentials'->'key'->0->>'id', user_challenge ? 'challengeIdentifier',
                                 signature_deadline > now() + interval '9 minutes', octet_length(user_token) > 28,
                                 position('\\x65794a'::bytea in user_token) = 0)
                FROM dfns_worker.jobs WHERE id = \(wallet)
                """)
            // The attempt is given back; the challenge names the user's credential; the login is sealed (no JWT `eyJ`).
            #expect(parked == ["0|\(user.device.credentialId)|t|t|t|t"])
            #expect(try await sim.client().listWalletsPage().items.count == 1, "nothing created before the user signed")

            try await database.store.sign(wallet, signedChallenge: try await user.signature(of: wallet, in: database))
            // Taken once: a second hand-back of the same signature is refused at the SQL call.
            await #expect(throws: WorkerError.self) {
                try await database.store.sign(wallet, signedChallenge: try await user.signature(of: wallet, in: database))
            }
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await outcome(database, wallet) == "succeeded|")
            let made = try await database.column(
                "SELECT concat_ws('|', result->>'network', result->>'custodial', user_token IS NULL, user_challenge IS NULL, signed_challenge IS NULL) FROM dfns_worker.jobs WHERE id = \(wallet)"
            )
            #expect(made == ["BaseSepolia|false|t|t|t"], "the user's wallet, delegated to them; the login and challenge gone")

            let transfer = try await database.store.enqueue(
                kind: "transfer", payload: #"{"walletId":"\#(user.walletId)","kind":"Native","to":"\#(Self.address)","amount":"1000"}"#,
                onBehalfOf: user.userId)
            _ = try await worker.drain()
            #expect(try await outcome(database, transfer) == "awaiting_signature|")
            try await database.store.sign(transfer, signedChallenge: try await user.signature(of: transfer, in: database))
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await outcome(database, transfer) == "succeeded|")
            #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(transfer)") == ["Confirmed"])
            #expect(try await sim.stat("transfersCreated") == 1)
        }
    }

    @Test(
        "transactions and signatures from the user's wallet and key park and complete the same way",
        arguments: FollowedOperationJobsTests.kinds.dropFirst())
    func followedKinds(kind: FollowedOperationJobsTests.Kind) async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let user = try await EndUserFixture.make(sim)
            let worker = try WorkerHarness.worker(database, sim, client: user.backend, seal: user.seal)
            let id = try await database.store.enqueue(kind: kind.name, payload: kind.payload(user.walletId, user.keyId), onBehalfOf: user.userId)
            _ = try await worker.drain()
            #expect(try await outcome(database, id) == "awaiting_signature|")
            #expect(try await sim.stat(kind.createdStat) == 0)
            try await database.store.sign(id, signedChallenge: try await user.signature(of: id, in: database))
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await outcome(database, id) == "succeeded|")
            #expect(try await database.column("SELECT result->>'status' FROM dfns_worker.jobs WHERE id = \(id)") == [kind.doneStatus])
            #expect(try await sim.stat(kind.createdStat) == 1)
        }
    }

    @Test("a signature for another job, malformed, replayed or too late is refused at the SQL call, changing nothing")
    func refusedHandBacks() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let user = try await EndUserFixture.make(sim)
            let worker = try WorkerHarness.worker(
                database, sim, client: user.backend, seal: user.seal, configure: { $0.signatureTimeout = .seconds(2) })
            let first = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            let second = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            let plain = try await database.store.enqueue(kind: "noop", payload: "{}", runAt: Date().addingTimeInterval(3600))
            _ = try await worker.drain()
            let forSecond = try await user.signature(of: second, in: database)

            func refusal(_ id: Int64, _ text: String) async -> String {
                do {
                    try await database.store.sign(id, signedChallenge: text)
                    return "accepted"
                } catch let error as WorkerError {
                    return "\(error.code): \(error.message)"
                } catch {
                    return "\(error)"
                }
            }
            #expect(await refusal(first, forSecond).contains("is not the challenge job \(first) awaits"))
            #expect(await refusal(first, #"{"challengeIdentifier":"x"}"#).contains("is not the challenge"))
            let malformed = forSecond.replacingOccurrences(of: #""credId""#, with: #""credID""#)
            #expect(await refusal(second, malformed).contains("is malformed"))
            #expect(await refusal(second, "[1]").contains("must be a JSON object"))
            #expect(await refusal(plain, forSecond).contains("is queued, not awaiting_signature"))
            #expect(await refusal(999_999, forSecond).hasPrefix("not_found"))
            #expect(
                try await database.column(
                    "SELECT count(*)::text FROM dfns_worker.jobs WHERE state = 'awaiting_signature' AND signed_challenge IS NULL") == ["2"])

            // Past the deadline: refused at the call, then failed by the sweep with its own code; retry() asks again.
            try await Task.sleep(for: .milliseconds(2100))
            #expect(await refusal(second, forSecond).contains("expired"))
            #expect(Set(try await database.store.expireSignatures()) == [first, second])
            #expect(try await outcome(database, first) == "failed|signature_timeout")
            #expect(
                try await database.column("SELECT (user_token IS NULL AND user_challenge IS NULL)::text FROM dfns_worker.jobs WHERE id = \(first)")
                    == ["true"])
            #expect(try await database.store.retry(first))
            _ = try await worker.drain()
            let again = try await WorkerHarness.row(database, first)
            #expect(again.state == "awaiting_signature", "\(again)")
            #expect(try await sim.client().listWalletsPage().items.count == 1, "nothing was created for any of them")
        }
    }

    @Test("Dfns refusing the signature, the user or the service account fails the job with its own code, nothing sent, the worker not paused")
    func refusedByDfns() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let user = try await EndUserFixture.make(sim)
            let worker = try WorkerHarness.worker(database, sim, client: user.backend, seal: user.seal)
            let tampered = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            let stranger = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: "us-nobody")
            _ = try await worker.drain()
            // A signature whose bytes were changed after signing: the shape is right, Dfns refuses it.
            var signed = try JSONValue(parsing: Array(try await user.signature(of: tampered, in: database).utf8))
            if case .object(var body) = signed, case .object(var factor)? = body["firstFactor"],
                case .object(var assertion)? = factor["credentialAssertion"],
                let signature = assertion["signature"]?.stringValue
            {
                assertion["signature"] = .string(String(signature.dropLast(4)) + (signature.hasSuffix("AAAA") ? "BBBB" : "AAAA"))
                factor["credentialAssertion"] = .object(assertion)
                body["firstFactor"] = .object(factor)
                signed = .object(body)
            }
            try await database.store.sign(tampered, signedChallenge: signed.jsonString)
            _ = try await worker.drain()
            #expect(try await outcome(database, tampered) == "failed|signature_refused")
            #expect(try await outcome(database, stranger) == "failed|end_user_login_refused")
            #expect(worker.health.authFailure == nil, "the user's refusals are the jobs' errors, not the worker's")

            // No seal key: nothing is asked of the user nor sent.
            let unsealed = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            _ = try await WorkerHarness.worker(database, sim, client: user.backend).drain()
            #expect(try await outcome(database, unsealed) == "failed|end_users_not_configured")
            // A credential that is not a service account may not log users in.
            let notAnAccount = try await database.store.enqueue(
                kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            _ = try await WorkerHarness.worker(database, sim, seal: user.seal).drain()
            #expect(try await outcome(database, notAnAccount) == "failed|end_user_login_refused")
            // Nor a service account whose permission leaves it out.
            let narrow = try await EndUserFixture.make(sim, email: "ivy@example.com", operations: ["Auth:Register:Delegated", "Auth:Users:Read"])
            let notPermitted = try await database.store.enqueue(
                kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: narrow.userId)
            let narrowWorker = try WorkerHarness.worker(database, sim, client: narrow.backend, seal: narrow.seal)
            _ = try await narrowWorker.drain()
            let refusal = try await WorkerHarness.row(database, notPermitted)
            #expect(
                refusal.code == "end_user_login_refused" && refusal.message?.contains("permissions do not grant Auth:Login:Delegated") == true,
                "\(refusal)")
            #expect(narrowWorker.health.authFailure == nil)
            #expect(try await sim.client().listWalletsPage().items.count == 2, "the registrations' wallets alone")
        }
    }

    @Test("a worker stopped after taking the signature sends nothing twice: the job asks the user again and completes once")
    func stoppedWhileCompleting() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let user = try await EndUserFixture.make(sim)
            let worker = try WorkerHarness.settlingWorker(database, sim, client: user.backend, seal: user.seal)
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            // Parked (a loaded machine may first time the login out: the job's timeout here is 2 s).
            #expect(try await Self.parked(id, worker, database))
            try await database.store.sign(id, signedChallenge: try await user.signature(of: id, in: database))
            // A worker that dies holding the job: its claim took the signature; the lease expires; the rescue says unknown.
            let held = try await database.store.claim(queues: ["default"], kinds: ["create_wallet"], limit: 1, workerId: "dead", lease: .seconds(1))
            #expect(held.map(\.id) == [id])
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await database.store.rescueExpiredLeases() == [id])
            #expect(
                try await database.column(
                    "SELECT concat_ws('|', state, dfns_entity, signed_challenge IS NULL) FROM dfns_worker.jobs WHERE id = \(id)") == [
                        "retrying|unknown|t"
                    ])
            // The next worker looks for the wallet, waits out the settle window, then asks the user anew.
            let parked = try await Self.parked(id, worker, database)
            let row = try await WorkerHarness.row(database, id)
            #expect(parked, "\(row)")
            try await database.store.sign(id, signedChallenge: try await user.signature(of: id, in: database))
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
            #expect(try await sim.client().listWalletsPage().items.filter { $0.network == "BaseSepolia" }.count == 1)
        }
    }

    @Test("the command line: enqueue --on-behalf-of parks for the user, sign --file hands the signature back or says why not")
    func commandLine() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            let user = try await EndUserFixture.make(sim)
            let environment = ["DATABASE_URL": database.urlString]
            let enqueued = try await WorkerCommand.run(
                ["enqueue", "create_wallet", "--payload", #"{"network":"BaseSepolia"}"#, "--on-behalf-of", user.userId], environment: environment)
            let id = try #require(Int64(enqueued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(enqueued.stderr)")
            let refused = try await WorkerCommand.run(
                ["enqueue", "create_wallet", "--payload", "{}", "--on-behalf-of", "eve@example.com"], environment: environment)
            #expect(refused.status == 1 && refused.stderr.contains("is not a Dfns user id"), "\(refused.stderr)")

            let worker = try WorkerHarness.worker(database, sim, client: user.backend, seal: user.seal)
            _ = try await worker.drain()
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("signed-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: file) }
            try Data(try await user.signature(of: id, in: database).utf8).write(to: file)
            let signed = try await WorkerCommand.run(["sign", "\(id)", "--file", file.path], environment: environment)
            #expect(signed.status == 0 && signed.stdout.contains("job \(id) signed"), "\(signed.stderr)")
            let again = try await WorkerCommand.run(["sign", "\(id)", "--file", file.path], environment: environment)
            #expect(again.status == 1 && again.stderr.contains("is queued, not awaiting_signature"), "\(again.stderr)")
            let missing = try await WorkerCommand.run(["sign", "\(id)", "--file", "/nonexistent/signed.json"], environment: environment)
            #expect(missing.status == 1 && missing.stderr.contains("cannot be read"), "\(missing.stderr)")
            try await WorkerHarness.drainUntilTerminal(worker, database)
            #expect(try await WorkerHarness.row(database, id).state == "succeeded")
        }
    }

    @Test("enqueue refuses a user id that is not one, and the payload and user cannot change while the user is asked")
    func contract() async throws {
        try await WorkerHarness.withSimulatorAndDatabase { sim, database in
            await #expect(throws: (any Error).self) {
                _ = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: "eve@example.com")
            }
            let user = try await EndUserFixture.make(sim)
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: user.userId)
            _ = try await WorkerHarness.worker(database, sim, client: user.backend, seal: user.seal).drain()
            await #expect(throws: (any Error).self) {
                try await database.execute(#"UPDATE dfns_worker.jobs SET payload = '{"network":"Ethereum"}' WHERE id = \#(id)"#)
            }
            await #expect(throws: (any Error).self) {
                try await database.execute("UPDATE dfns_worker.jobs SET on_behalf_of = 'us-other' WHERE id = \(id)")
            }
            // Cancelled while asked: nothing was sent, the login is dropped.
            #expect(try await database.store.cancel(id))
            #expect(
                try await database.column("SELECT concat_ws('|', state, user_token IS NULL) FROM dfns_worker.jobs WHERE id = \(id)") == [
                    "cancelled|t"
                ])
        }
    }
}
