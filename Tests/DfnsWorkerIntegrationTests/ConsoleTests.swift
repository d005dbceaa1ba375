import AsyncHTTPClient
import DfnsConsole
import DfnsSimulator
import DfnsTestSupport
import DfnsWorker
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing

/// The operator console over HTTP against a real PostgreSQL: every page, the filters and pagination, escaping of
/// hostile text, and the actions with their token, session, CSRF and origin checks.
@Suite("Operator console", .timeLimit(.minutes(2)))
struct ConsoleTests {
    static let token = "console-test-token-0123456789"
    static let bobToken = "console-test-token-bob-9876543210"
    static let operators = [ConsoleOperator(name: "Ada", token: token), ConsoleOperator(name: "Bob", token: bobToken)]

    struct Page {
        let status: Int
        let body: String
        let headers: [String: String]
    }

    /// The console on a free port; `body` gets its base URL (`http://127.0.0.1:PORT/console`).
    static func withConsole(
        _ database: TestDatabase.Handle, operators: [ConsoleOperator] = operators, pageSize: Int = 50, requiresSignIn: Bool = false,
        _ body: @Sendable (String) async throws -> Void
    ) async throws {
        var configuration = ConsoleConfiguration(operators: operators)
        configuration.pageSize = pageSize
        configuration.requiresSignIn = requiresSignIn
        configuration.allowedHosts.insert("console.example.test")
        let console = try Console(store: database.store, configuration: configuration, logger: WorkerHarness.quietLogger)
        try await LoopbackServer.run(
            { onServerRunning in
                let router = Router()
                console.register(on: router)
                return Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: onServerRunning,
                    logger: WorkerHarness.quietLogger)
            }, logger: WorkerHarness.quietLogger
        ) { port in
            try await body("http://127.0.0.1:\(port)/console")
        }
    }

    /// One request, redirects not followed.
    static func request(
        _ url: String, form: [String: String]? = nil, cookie: String? = nil, origin: String? = nil, headers extra: [String: String] = [:]
    ) async throws -> Page {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: url)
        if let form {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            var components = URLComponents()
            components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
            request.body = .bytes(ByteBuffer(string: (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")))
        }
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if let origin { request.headers.add(name: "Origin", value: origin) }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Page(status: Int(response.status.code), body: String(buffer: body), headers: headers)
    }

    /// Signs in with `token` (Ada's by default); returns the session cookie (`name=value`).
    static func signIn(_ base: String, token: String = token) async throws -> String {
        let page = try await request("\(base)/login", form: ["token": token])
        #expect(page.status == 303)
        let cookie = try #require(page.headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"), "\(cookie)")
        return String(cookie.prefix { $0 != ";" })
    }

    /// The CSRF token in a page's forms.
    static func csrf(_ page: Page) throws -> String {
        let match = try #require(page.body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/))
        return String(match.1)
    }

    static func enqueue(_ database: TestDatabase.Handle, _ kind: String = "noop", payload: String = "{}", extra: String = "") async throws -> Int64 {
        let id = try await database.column("SELECT dfns_worker.enqueue('\(kind)', '\(payload)'::jsonb\(extra))::text")
        return Int64(try #require(id.first ?? nil))!
    }

    @Test("the overview shows counts by queue and kind, outcomes of 5 and 60 minutes counted by the worker, jobs waiting on Dfns and workers")
    func overview() async throws {
        try await SimulatorHarness.withSimulator { sim in
            try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
                for _ in 0..<7 { _ = try await Self.enqueue(database) }
                _ = try await WorkerHarness.worker(database, sim).drain()
                // The Completer counted them in job_stats, in the same statement that finished them.
                #expect(
                    try await database.column("SELECT sum(jobs)::text FROM dfns_worker.job_stats WHERE kind = 'noop' AND outcome = 'succeeded'") == [
                        "7"
                    ])
                // Outcomes 30 minutes ago count for the hour only; two hours ago, for neither.
                try await database.execute(
                    """
                    INSERT INTO dfns_worker.job_stats VALUES
                        (date_trunc('minute', now()) - interval '30 minutes', 'w-old', 'default', 'noop', 'failed', 3),
                        (date_trunc('minute', now()) - interval '2 hours', 'w-old', 'default', 'noop', 'succeeded', 100)
                    """)
                let waiting = try await Self.enqueue(database, "transfer", payload: #"{"walletId":"wa-1","to":"0x1","amount":"1","kind":"Native"}"#)
                try await database.execute(
                    """
                    UPDATE dfns_worker.jobs SET state = 'waiting', dfns_entity = 'exists', result = '{"id":"xfr-1","status":"Broadcasted"}',
                        checkpoint = '{"transferId":"xfr-1","walletId":"wa-1"}', dfns_id = 'xfr-1', dfns_parent_id = 'wa-1', run_at = now() + interval '1 minute' WHERE id = \(waiting)
                    """)
                try await database.execute(
                    """
                    INSERT INTO dfns_worker.workers (worker_id, host, pid, version, queues, concurrency, in_flight, paused)
                    VALUES ('w-1', 'host-a', 4242, 'test', '{default}', 16, 3, 'Dfns refuses the credentials (401)')
                    """)
                try await Self.withConsole(database) { base in
                    let page = try await Self.request("\(base)/")
                    #expect(page.status == 200)
                    #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
                    #expect(
                        page.body.contains(#"<td class="num">7 / 7</td><td class="num">0 / 3</td>"#),
                        "failed in 5 min is 0, so not marked: \(page.body)")
                    #expect(page.body.contains(#"<span class="count">7</span> <span>done, last hour</span>"#))
                    #expect(page.body.contains(#"<li class="tile bad"><span class="count">3</span> <span>failed, last hour</span>"#))
                    #expect(page.body.contains("<td>Broadcasted</td>"))
                    #expect(page.body.contains("host-a (pid 4242)") && page.body.contains("paused: Dfns refuses the credentials (401)"))
                    #expect(page.body.contains("Worker w-1 on host-a is paused"))
                    #expect(page.body.contains(#"data-refresh="5""#))
                    #expect(page.body.contains("Sign in to act"))
                    let script = try await Self.request("\(base)/assets/console.js")
                    #expect(script.status == 200 && script.headers["content-type"]?.hasPrefix("text/javascript") == true)
                }
            }
        }
    }

    @Test("operators come from a file of token hashes and names, or the shared token; what cannot be used is refused by line")
    func operatorsFromTheEnvironment() throws {
        #expect(throws: ConsoleError.self) { try ConsoleConfiguration.operators(from: ["DFNS_CONSOLE_TOKEN": "short"]) }
        #expect(try ConsoleConfiguration.operators(from: ["DFNS_CONSOLE_TOKEN": ""]).isEmpty)
        #expect(
            try ConsoleConfiguration.operators(from: ["DFNS_CONSOLE_TOKEN": Self.token]) == [
                ConsoleOperator(name: ConsoleConfiguration.sharedTokenName, token: Self.token)
            ])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-operators-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        // sha256("console-test-token-0123456789"), as `printf %s TOKEN | sha256sum` prints it.
        let adaHash = "sha256:" + ConsoleTests.hex(of: Self.token)
        try Data("# operators\n\n\(adaHash) Ada Lovelace\n".utf8).write(to: file)
        #expect(
            try ConsoleConfiguration.operators(from: ["DFNS_CONSOLE_TOKENS_FILE": file.path]) == [
                ConsoleOperator(name: "Ada Lovelace", token: Self.token)
            ])
        for bad in ["\(adaHash)", "sha256:00 Ada", "md5:\(String(repeating: "0", count: 64)) Ada", "\(adaHash) Ada\n\(adaHash) Ada"] {
            try Data(bad.utf8).write(to: file)
            #expect(throws: ConsoleError.self, "\(bad)") { try ConsoleConfiguration.operators(from: ["DFNS_CONSOLE_TOKENS_FILE": file.path]) }
        }
        #expect(throws: ConsoleError.self) { try ConsoleConfiguration.operators(from: ["DFNS_CONSOLE_TOKENS_FILE": "/nonexistent/operators"]) }
        #expect(
            ConsoleConfiguration.hosts(from: ["DFNS_CONSOLE_HOSTS": "Console.Example.com, [fd00::1]"], listeningOn: "0.0.0.0")
                == ["localhost", "127.0.0.1", "::1", "console.example.com", "fd00::1"])
        #expect(ConsoleConfiguration.hosts(from: [:], listeningOn: "10.1.2.3").contains("10.1.2.3"))
    }

    /// The SHA-256 of `text` in hex, from the system's `sha256sum` (not our own code).
    static func hex(of text: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64).description
    }

    @Test("beyond loopback without operators, `console` refuses to start: nobody could sign in to see a page")
    func noOperatorsBeyondLoopback() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let output = try await WorkerCommand.run(
                ["console", "--http-host", "0.0.0.0", "--http-port", "0"],
                environment: ["DATABASE_URL": database.urlString, "DFNS_CONSOLE_TOKEN": "", "DFNS_CONSOLE_TOKENS_FILE": ""],
                stopAfter: .seconds(8)
            )
            #expect(output.status == 1 && output.stderr.contains("beyond this host, where every page needs a signed-in operator"), "\(output.stderr)")
        }
    }

    @Test("a request naming another host (DNS rebinding) gets nothing; beyond loopback every page needs a signed-in operator")
    func door() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let id = try await Self.enqueue(database)
            try await Self.withConsole(database) { base in
                let port = base.split(separator: ":")[2].prefix { $0.isNumber }
                for path in ["/", "/jobs", "/jobs/\(id)", "/login", "/assets/console.css"] {
                    let rebound = try await Self.request("\(base)\(path)", headers: ["Host": "attacker.example:\(port)"])
                    #expect(rebound.status == 421 && !rebound.body.contains("noop"), "\(path): \(rebound.status)")
                }
                let action = try await Self.request(
                    "\(base)/jobs/\(id)/actions", form: ["action": "cancel", "csrf": "x"], headers: ["Host": "attacker.example"])
                #expect(action.status == 421)
                #expect(try await Self.request("\(base)/jobs/\(id)", headers: ["Host": "localhost:\(port)"]).status == 200)
                #expect(try await Self.request("\(base)/jobs/\(id)", headers: ["Host": "CONSOLE.example.test"]).status == 200, "a configured name")
            }
            try await Self.withConsole(database, requiresSignIn: true) { base in
                for path in ["/", "/jobs", "/jobs/\(id)"] {
                    let anonymous = try await Self.request("\(base)\(path)")
                    #expect(
                        anonymous.status == 303 && anonymous.headers["location"] == "/console/login" && !anonymous.body.contains("noop"), "\(path)")
                }
                #expect(try await Self.request("\(base)/login").status == 200)
                #expect(try await Self.request("\(base)/assets/console.css").status == 200)
                let cookie = try await Self.signIn(base)
                #expect(try await Self.request("\(base)/jobs/\(id)", cookie: cookie).body.contains("noop"))
            }
        }
    }

    @Test("the job list filters by state, kind, queue and time, finds a job by any of its ids, and pages by keyset")
    func list() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            try await database.execute(
                """
                INSERT INTO dfns_worker.jobs (kind, queue, payload, created_at)
                SELECT 'noop', CASE WHEN n % 2 = 0 THEN 'even' ELSE 'odd' END, '{}', now() - interval '3 days' + n * interval '1 second'
                FROM generate_series(1, 120) n
                """)
            let failed = try await Self.enqueue(
                database, "transfer", payload: #"{"walletId":"wa-search","to":"0x1","amount":"1","kind":"Native","externalId":"my-ext-1"}"#,
                extra: ", unique_key => 'order-7'")
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'failed', finished_at = now(), external_id = dfns_worker.derived_external_id(id),
                    result = '{"id":"xfr-search","status":"Failed"}', dfns_id = 'xfr-search', dfns_parent_id = 'wa-search', last_error = '{"code":"dfns_failed","message":"Dfns reports the transfer Failed"}'
                WHERE id = \(failed)
                """)
            let cancelled = try await Self.enqueue(database, extra: ", unique_key => 'order-8'")
            try await database.execute("UPDATE dfns_worker.jobs SET state = 'cancelled', finished_at = now() WHERE id = \(cancelled)")
            let derived = try #require(try await database.column("SELECT external_id FROM dfns_worker.jobs WHERE id = \(failed)").first ?? nil)
            try await Self.withConsole(database) { base in
                let first = try await Self.request("\(base)/jobs")
                #expect(first.status == 200)
                #expect(first.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 50)
                let next = try #require(first.body.firstMatch(of: /href="([^"]+)" rel="next"/)).1.replacingOccurrences(of: "&amp;", with: "&")
                let second = try await Self.request("http://127.0.0.1:\(URL(string: base)!.port!)\(next)")
                #expect(second.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 50)
                #expect(second.body.contains(">Newest</a>"))
                #expect(!second.body.contains(#">#\#(failed)</a>"#) && first.body.contains(#">#\#(failed)</a>"#))
                let third = try await Self.request("\(base)/jobs?before=\(failed - 100)")
                #expect(third.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 20)
                #expect(!third.body.contains(#"rel="next""#))

                let odd = try await Self.request("\(base)/jobs?queue=odd&kind=noop")
                #expect(odd.body.contains(">odd</td>") && !odd.body.contains(">even</td>"))
                let failedOnly = try await Self.request("\(base)/jobs?state=failed&kind=transfer")
                #expect(failedOnly.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 1)
                #expect(failedOnly.body.contains("<code>dfns_failed</code> Dfns reports the transfer Failed"))
                let recent = try await Self.request("\(base)/jobs?since=1h")
                #expect(recent.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 2, "only the jobs created now")
                let month = try await Self.request("\(base)/jobs?since=7d&queue=even")
                #expect(month.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 50)

                for key in ["\(failed)", "order-7", "my-ext-1", derived, "wa-search", "xfr-search"] {
                    let found = try await Self.request("\(base)/jobs?q=\(key)")
                    #expect(
                        found.body.contains(#">#\#(failed)</a>"#) && found.body.components(separatedBy: #"<th scope="row">"#).count - 1 == 1, "\(key)"
                    )
                }
                let byCancelledKey = try await Self.request("\(base)/jobs?q=order-8")
                #expect(byCancelledKey.body.contains(#">#\#(cancelled)</a>"#), "a cancelled job is found by its unique key too")
                let none = try await Self.request("\(base)/jobs?q=nothing-like-this")
                #expect(none.body.contains("No job matches."))

                for (query, message) in [
                    ("state=stuck", "state must be one of"), ("since=2y", "since must be one of"), ("before=-4", "before must be a job id"),
                    ("queue=%3Cx%3E", "queue must be a queue name"),
                ] {
                    let bad = try await Self.request("\(base)/jobs?\(query)")
                    #expect(bad.status == 400 && bad.body.contains(message), "\(query)")
                }
            }
        }
    }

    @Test("hostile text in a payload, an error, a unique key or a search is shown as text, never as markup")
    func escaping() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let hostile = #"<script>alert(1)</script>\"><img src=x onerror=alert(2)>"#
            let id = try await Self.enqueue(database, payload: #"{"note":"\#(hostile)"}"#, extra: #", unique_key => '<script>alert(3)</script>'"#)
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'failed', finished_at = now(),
                    last_error = jsonb_build_object('code', '<b>x</b>', 'message', '<script>alert(4)</script>'),
                    errors = jsonb_build_array(jsonb_build_object('code', '<b>x</b>', 'message', '<script>alert(4)</script>', 'attempt', 1, 'httpStatus', 500))
                WHERE id = \(id)
                """)
            try await Self.withConsole(database) { base in
                let pages = [
                    try await Self.request("\(base)/jobs/\(id)"),
                    try await Self.request("\(base)/jobs"),
                    try await Self.request("\(base)/jobs?q=%3Cscript%3Ealert(5)%3C%2Fscript%3E"),
                ]
                for page in pages {
                    #expect(page.status == 200)
                    #expect(!page.body.contains("<script>alert"), "\(page.body)")
                    #expect(!page.body.contains("<img src=x"))
                    #expect(!page.body.contains("<b>x</b>"))
                }
                #expect(pages[0].body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(pages[0].body.contains("&lt;script&gt;alert(3)&lt;/script&gt;"))
                #expect(pages[0].body.contains("&lt;script&gt;alert(4)&lt;/script&gt;") && pages[0].body.contains("HTTP 500"))
                #expect(pages[2].body.contains(#"value="&lt;script&gt;alert(5)&lt;/script&gt;""#))
            }
        }
    }

    @Test("a job's page shows its timeline, lease holder, Dfns ids and why an action is not possible")
    func jobPage() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let id = try await Self.enqueue(database, "transfer", payload: #"{"walletId":"wa-9","to":"0x1","amount":"1","kind":"Native"}"#)
            try await database.execute(
                """
                INSERT INTO dfns_worker.workers (worker_id, host, pid, version, queues, concurrency) VALUES ('w-9', 'host-9', 9, 'test', '{default}', 4);
                """)
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'running', attempt = 2, worker_id = 'w-9', lease_token = gen_random_uuid(),
                    lease_expires_at = now() + interval '1 minute', dfns_entity = 'exists', external_id = 'dfns-worker-x-\(id)',
                    checkpoint = '{"transferId":"xfr-9","walletId":"wa-9","polls":1}', dfns_id = 'xfr-9', dfns_parent_id = 'wa-9', result = '{"id":"xfr-9","status":"Pending"}',
                    errors = '[{"code":"dfns_unavailable","message":"Dfns answered 503","attempt":1,"httpStatus":503,"at":"2026-12-01T00:00:00Z"}]',
                    controls = '[{"jobId":77,"at":"2026-12-01T00:01:00Z","verb":"hold","until":"tomorrow","nested":{"x":1}}]'
                WHERE id = \(id)
                """)
            try await Self.withConsole(database) { base in
                let page = try await Self.request("\(base)/jobs/\(id)")
                #expect(page.status == 200)
                #expect(page.body.contains("Attempt 1 failed</strong> <code>dfns_unavailable</code> HTTP 503"))
                #expect(page.body.contains("<code>w-9</code> <small>on host-9, alive"))
                #expect(page.body.contains("<code>xfr-9</code>") && page.body.contains("<dd>Pending</dd>") && page.body.contains("<code>wa-9</code>"))
                #expect(page.body.contains("<code>dfns-worker-x-\(id)</code>"))
                // Another job's control, in a shape the console knows nothing of: its fields as they are.
                #expect(page.body.contains("Control by job #77") && page.body.contains("until tomorrow, verb hold"))
                #expect(page.body.contains("nested {&quot;x&quot;:1}"), "nested values shown as JSON, not dropped")
                #expect(page.body.contains("<strong>Cannot cancel</strong>: it is running"))
                #expect(page.body.contains("<strong>Cannot retry</strong>: only a failed or cancelled job is retried"))
                let missing = try await Self.request("\(base)/jobs/999999")
                #expect(missing.status == 404 && missing.body.contains("There is no job #999999"))
                #expect(try await Self.request("\(base)/jobs/abc").status == 400)
            }
        }
    }

    @Test("a job awaiting its end user's signature shows who signs, by when, and Dfns's challenge, never the sealed login")
    func awaitingSignaturePage() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let id = try await database.store.enqueue(kind: "create_wallet", payload: #"{"network":"BaseSepolia"}"#, onBehalfOf: "us-eve-1")
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'awaiting_signature', signature_deadline = now() + interval '9 minutes',
                    user_challenge = '{"challenge":"Y2hhbGxlbmdl","challengeIdentifier":"ci-77"}', user_token = '\\x5ea1ed70cafe'
                WHERE id = \(id)
                """)
            try await Self.withConsole(database) { base in
                let overview = try await Self.request("\(base)/")
                #expect(overview.body.contains("awaiting_signature"))
                let page = try await Self.request("\(base)/jobs/\(id)")
                #expect(page.body.contains("<code>us-eve-1</code>") && page.body.contains("Signature due by"))
                #expect(page.body.contains("Challenge for the end user") && page.body.contains("ci-77"))
                #expect(!page.body.contains("5ea1ed70cafe") && !page.body.lowercased().contains("user_token"))
                #expect(!page.body.contains("Cannot cancel"), "nothing was sent: it may be cancelled")
            }
        }
    }

    @Test("actions need the operator token, a session, its CSRF token and this site's origin; done ones are recorded, refused ones say why")
    func actions() async throws {
        try await TestDatabase.with(kinds: WorkerHarness.kinds) { database in
            let scheduled = try await Self.enqueue(database, extra: ", run_at => now() + interval '1 day'")
            let failed = try await Self.enqueue(database)
            try await database.execute("UPDATE dfns_worker.jobs SET state = 'failed', finished_at = now(), attempt = 20 WHERE id = \(failed)")
            let submitted = try await Self.enqueue(database, "transfer", payload: #"{"walletId":"wa-1","to":"0x1","amount":"1","kind":"Native"}"#)
            try await database.execute(
                """
                UPDATE dfns_worker.jobs SET state = 'waiting', dfns_entity = 'exists', result = '{"id":"xfr-3","status":"Broadcasted"}',
                    run_at = now() + interval '1 hour' WHERE id = \(submitted)
                """)
            @Sendable func state(_ id: Int64) async throws -> String? {
                try await database.column("SELECT state FROM dfns_worker.jobs WHERE id = \(id)").first ?? nil
            }

            // Without a token the console is read-only: no sign-in, and every action is refused.
            try await Self.withConsole(database, operators: []) { base in
                #expect(try await Self.request("\(base)/login").status == 404)
                #expect(try await Self.request("\(base)/login", form: ["token": Self.token]).status == 404)
                let refused = try await Self.request("\(base)/jobs/\(scheduled)/actions", form: ["action": "run_now", "csrf": "x"])
                #expect(refused.status == 403 && refused.body.contains("read-only"))
                #expect(try await Self.request("\(base)/jobs/\(scheduled)").body.contains("DFNS_CONSOLE_TOKENS_FILE"))
            }
            try await Self.withConsole(database) { base in
                let login = try await Self.request("\(base)/login")
                #expect(login.status == 200 && login.body.contains(#"<label for="token">Operator token</label>"#))
                #expect(try await Self.request("\(base)/login", form: ["token": "wrong-token-wrong-token"]).status == 403)
                #expect(try await Self.request("\(base)/login", form: ["token": ""]).status == 400)
                #expect(try await Self.request("\(base)/login", form: ["name": "Ada"]).status == 400)
                // The operator is whoever the token belongs to: a name sent along changes nothing.
                let bob = try await Self.signIn(base, token: Self.bobToken)
                let bobPage = try await Self.request("\(base)/jobs/\(scheduled)", cookie: bob)
                #expect(bobPage.body.contains("Signed in as <strong>Bob</strong>"))
                let claimed = try await Self.request("\(base)/login", form: ["name": "Ada", "token": Self.bobToken])
                let claimedCookie = String((claimed.headers["set-cookie"] ?? "").prefix { $0 != ";" })
                #expect(try await Self.request("\(base)/jobs/\(scheduled)", cookie: claimedCookie).body.contains("Signed in as <strong>Bob</strong>"))
                let anonymous = try await Self.request("\(base)/jobs/\(scheduled)/actions", form: ["action": "run_now", "csrf": "x"])
                #expect(anonymous.status == 403 && anonymous.body.contains("Sign in"))
                let forged = try await Self.request(
                    "\(base)/jobs/\(scheduled)/actions", form: ["action": "run_now", "csrf": "x"],
                    cookie: "dfns_console=9999999999.00.QWRh.00")
                #expect(forged.status == 403)

                let cookie = try await Self.signIn(base)
                #expect(!(try await Self.request("\(base)/login", form: ["token": Self.token]).headers["set-cookie"] ?? "").contains("Secure"))
                let proxied = try await Self.request("\(base)/login", form: ["token": Self.token], headers: ["X-Forwarded-Proto": "https"])
                #expect(proxied.headers["set-cookie"]?.contains("Secure") == true, "behind a TLS proxy the session cookie is Secure")
                let page = try await Self.request("\(base)/jobs/\(scheduled)", cookie: cookie)
                #expect(page.body.contains("Signed in as <strong>Ada</strong>"))
                let csrf = try Self.csrf(page)
                let noCSRF = try await Self.request(
                    "\(base)/jobs/\(scheduled)/actions", form: ["action": "run_now", "csrf": (csrf.hasPrefix("0") ? "1" : "0") + csrf.dropFirst()],
                    cookie: cookie)
                #expect(noCSRF.status == 403 && noCSRF.body.contains("CSRF"))
                let foreign = try await Self.request(
                    "\(base)/jobs/\(scheduled)/actions", form: ["action": "run_now", "csrf": csrf], cookie: cookie,
                    origin: "https://evil.example")
                #expect(foreign.status == 403 && foreign.body.contains("another site"))
                #expect(
                    try await database.column("SELECT (run_at > now())::text FROM dfns_worker.jobs WHERE id = \(scheduled)") == ["true"],
                    "nothing changed yet")

                let done = try await Self.request(
                    "\(base)/jobs/\(scheduled)/actions", form: ["action": "run_now", "csrf": csrf], cookie: cookie,
                    origin: base.replacingOccurrences(of: "/console", with: ""))
                #expect(done.status == 303 && done.headers["location"] == "/console/jobs/\(scheduled)?done=run_now")
                #expect(try await database.column("SELECT (run_at <= now())::text FROM dfns_worker.jobs WHERE id = \(scheduled)") == ["true"])
                let after = try await Self.request("\(base)/jobs/\(scheduled)?done=run_now", cookie: cookie)
                #expect(after.body.contains("Done: run now.") && after.body.contains("Run now by console: Ada"))

                #expect(
                    try await Self.request("\(base)/jobs/\(failed)/actions", form: ["action": "retry", "csrf": csrf], cookie: cookie).status == 303)
                #expect(try await state(failed) == "queued")
                #expect(
                    try await Self.request("\(base)/jobs/\(failed)/actions", form: ["action": "cancel", "csrf": csrf], cookie: cookie).status == 303)
                #expect(try await state(failed) == "cancelled")
                let actions = try await database.column(
                    "SELECT string_agg(a->>'action' || ' by ' || (a->>'by'), ', ') FROM dfns_worker.jobs, jsonb_array_elements(operator_actions) a WHERE id = \(failed)"
                )
                #expect(actions == ["retry by console: Ada, cancel by console: Ada"])

                // The money-safety rule of cancel(): a submitted transfer may still move, so it is not cancelled.
                let refused = try await Self.request("\(base)/jobs/\(submitted)/actions", form: ["action": "cancel", "csrf": csrf], cookie: cookie)
                #expect(refused.status == 409 && refused.body.contains("Not done: it was submitted to Dfns (xfr-3, Broadcasted)"))
                #expect(try await state(submitted) == "waiting")
                #expect(try await database.column("SELECT operator_actions::text FROM dfns_worker.jobs WHERE id = \(submitted)") == [nil])
                let unknown = try await Self.request(
                    "\(base)/jobs/\(submitted)/actions", form: ["action": "drop_table", "csrf": csrf], cookie: cookie)
                #expect(unknown.status == 400)

                let logout = try await Self.request("\(base)/logout", form: ["csrf": csrf], cookie: cookie)
                #expect(logout.status == 303 && logout.headers["set-cookie"]?.contains("Max-Age=0") == true)
            }
        }
    }
}
