import DfnsSDK
import DfnsWorker
import Foundation
import Mustache
import PostgresNIO

/// Turns what the queries read into the console's HTML: the page models (what a reader sees, in words) are built
/// here, the markup lives in ``ConsoleTemplates``, and every value goes through Mustache's HTML escaping.
struct ConsolePages: Sendable {
    /// What every page shows around its content.
    struct Frame {
        var title: String
        var signedIn: ConsoleSession.Operator?
        var canSignIn: Bool
        var refresh: Int?
        var notice: String?
        var problem: String?
        var searchText = ""
        var section: Section = .none

        enum Section { case overview, jobs, none }
    }

    let base: String
    private let library: MustacheLibrary

    init(base: String) throws {
        self.base = base
        var library = MustacheLibrary()
        for (name, text) in ConsoleTemplates.all {
            try library.register(text, named: name)
        }
        self.library = library
    }

    // MARK: Pages

    func overview(_ overview: ConsoleQueries.Overview, frame: Frame) -> String {
        let status = overview.status
        let totals = status.byState
        var tiles: [[String: Any]] = []
        for state in JobState.active {
            tiles.append(["count": totals[state] ?? 0, "label": state.rawValue, "tone": state == .retrying && (totals[state] ?? 0) > 0 ? "warn" : ""])
        }
        let done = overview.rates.reduce(0) { $0 + $1.succeeded.sixty }
        let failed = overview.rates.reduce(0) { $0 + $1.failed.sixty }
        tiles.append(["count": done, "label": "done, last hour", "tone": ""])
        tiles.append(["count": failed, "label": "failed, last hour", "tone": failed > 0 ? "bad" : ""])
        tiles.append([
            "count": status.oldestDueAgeSeconds.map(Self.duration) ?? "none", "label": "oldest due job waiting",
            "tone": (status.oldestDueAgeSeconds ?? 0) > 60 ? "warn" : "",
        ])
        tiles.append(["count": status.stuckJobs, "label": "stuck at Dfns", "tone": status.stuckJobs > 0 ? "bad" : ""])
        var alerts: [String] = []
        if status.stuckJobs > 0 {
            alerts.append(
                "\(status.stuckJobs) job(s) whose Dfns operation exists or may exist have failed every attempt or poll for over 15 minutes: "
                    + "they cannot fail on their own. Look at the jobs with state retrying or waiting.")
        }
        for worker in status.workers {
            if let paused = worker.paused { alerts.append("Worker \(worker.workerId) on \(worker.host) is paused: \(paused)") }
            if worker.rateLimited { alerts.append("Worker \(worker.workerId) on \(worker.host) is rate-limited by Dfns (HTTP 429).") }
        }
        // One row per queue and kind that has active jobs or outcomes in the last hour.
        var counts: [QueueKind: [JobState: Int]] = [:]
        for count in status.counts { counts[QueueKind(queue: count.queue, kind: count.kind), default: [:]][count.state] = count.count }
        let rates = Dictionary(overview.rates.map { (QueueKind(queue: $0.queue, kind: $0.kind), $0) }) { first, _ in first }
        let table: [[String: Any]] = Set(counts.keys).union(rates.keys).sorted().map { group in
            let rate = rates[group] ?? ConsoleQueries.Rate(queue: group.queue, kind: group.kind)
            return [
                "queue": group.queue, "kind": group.kind,
                "queueLink": jobsLink(queue: group.queue), "kindLink": jobsLink(kind: group.kind),
                "cells": JobState.active.map { state -> [String: Any] in
                    let count = counts[group]?[state] ?? 0
                    return count > 0 ? ["count": count, "link": jobsLink(queue: group.queue, kind: group.kind, state: state)] : ["count": count]
                },
                "done": rate.succeeded.text, "failed": rate.failed.text, "retried": rate.retried.text, "failing": rate.failed.five > 0,
            ]
        }
        let waiting: [[String: Any]] = overview.waiting.map {
            [
                "queue": $0.queue, "kind": $0.kind, "dfnsStatus": $0.dfnsStatus, "count": $0.count,
                "link": jobsLink(queue: $0.queue, kind: $0.kind, state: .waiting),
            ]
        }
        let workers: [[String: Any]] = status.workers.map { worker in
            [
                "id": worker.workerId, "host": worker.host, "pid": worker.pid, "inFlight": worker.inFlight,
                "started": Self.moment(worker.startedAt), "startedISO": Self.iso(worker.startedAt),
                "heartbeat": Self.relative(worker.heartbeatAt),
                "state": worker.paused.map { "paused: \($0)" } ?? (worker.rateLimited ? "rate-limited by Dfns" : "running"),
                "tone": worker.paused != nil ? "bad" : (worker.rateLimited ? "warn" : "good"),
            ]
        }
        return render(
            "overview", frame: frame,
            [
                "tiles": tiles, "alerts": alerts, "rows": table, "hasRows": !table.isEmpty,
                "waiting": waiting, "hasWaiting": !waiting.isEmpty, "workers": workers, "hasWorkers": !workers.isEmpty,
            ])
    }

    func jobs(
        _ summaries: [ConsoleQueries.Summary], filter: ConsoleJobFilter, hasMore: Bool, choices: (kinds: [String], queues: [String]), frame: Frame
    ) -> String {
        func options(_ values: [String], selected: String?) -> [[String: Any]] {
            var values = values
            if let selected, !values.contains(selected) { values.append(selected) }
            return values.map { ["value": $0, "selected": $0 == selected] }
        }
        let now = Date()
        let rows: [[String: Any]] = summaries.map { job in
            var row: [String: Any] = [
                "id": job.id, "state": job.state.rawValue, "queue": job.queue, "kind": job.kind, "attempt": job.attempt,
                "maxAttempts": job.maxAttempts,
                "created": Self.moment(job.createdAt), "createdISO": Self.iso(job.createdAt),
            ]
            if JobState.claimable.contains(job.state), job.runAt > now { row["due"] = "due " + Self.relative(job.runAt, now: now) }
            if let entity = job.entityId { row["entityId"] = entity }
            if let status = job.dfnsStatus { row["dfnsStatus"] = status }
            if let code = job.errorCode {
                row["errorCode"] = code
                row["errorMessage"] = job.errorMessage ?? ""
            }
            return row
        }
        var described: [String] = []
        if let state = filter.state { described.append(state.rawValue) }
        if let kind = filter.kind { described.append(kind) }
        if let queue = filter.queue { described.append("on \(queue)") }
        if let since = filter.since { described.append("created in the last \(since.rawValue)") }
        if let search = filter.search { described.append("matching “\(search)”") }
        var values: [String: Any] = [
            "states": options(JobState.all.map(\.rawValue), selected: filter.state?.rawValue),
            "kinds": options(choices.kinds, selected: filter.kind), "queues": options(choices.queues, selected: filter.queue),
            "sinces": options(ConsoleJobFilter.Since.allCases.map(\.rawValue), selected: filter.since?.rawValue),
            "summaries": rows, "hasSummaries": !rows.isEmpty,
            "caption": "Jobs\(described.isEmpty ? "" : " " + described.joined(separator: ", ")), newest first"
                + (filter.before.map { ", before #\($0)" } ?? ""),
        ]
        if hasMore, let last = summaries.last { values["nextPage"] = "\(base)/jobs?" + filter.query(before: last.id) }
        if filter.before != nil { values["firstPage"] = "\(base)/jobs?" + filter.query(before: nil) }
        return render("jobs", frame: frame, values)
    }

    func job(_ detail: ConsoleQueries.Detail, frame: Frame) throws -> String {
        let row = detail.row
        let id = try row["id"].decode(Int64.self)
        let state = JobState(rawValue: try row["state"].decode(String.self))
        let now = Date()
        func time(_ column: String) throws -> String? {
            try row[column].decode(Date?.self).map { "\(Self.moment($0)) (\(Self.relative($0, now: now)))" }
        }
        var holder: Fact?
        if let worker = try row["worker_id"].decode(String?.self) {
            let host = try row["lease_host"].decode(String?.self)
            let alive = try row["lease_holder_alive"].decode(Bool?.self) ?? false
            holder = Fact(
                "Lease holder", worker, code: true,
                note: (host.map { "on \($0)" } ?? "not in the workers table")
                    + (alive ? ", alive" : ", no recent heartbeat") + ((try time("lease_expires_at")).map { "; lease until \($0)" } ?? ""))
        }
        let facts = Self.list([
            Fact("State", state.rawValue),
            Fact("Priority", String(try row["priority"].decode(Int.self))),
            Fact("Unique key", try row["unique_key"].decode(String?.self), code: true),
            Fact("Created", try time("created_at")),
            Fact("Started", try time("started_at")),
            Fact(JobState.claimable.contains(state) ? "Due" : "Last due", try time("run_at")),
            Fact("Finished", try time("finished_at")),
            Fact("Updated", try time("updated_at")),
            Fact("Failing since", try time("failing_since"), note: "every attempt or poll since has failed"),
            Fact("On behalf of", try row["on_behalf_of"].decode(String?.self), code: true, note: "the Dfns end user who signs the job's operation"),
            Fact(
                "Signature due by", try time("signature_deadline"),
                note: "the end user signs the challenge below; past this the job fails with signature_timeout"),
            holder,
        ])
        let entity = DfnsEntity(rawValue: try row["dfns_entity"].decode(String.self))
        let givenExternalId = try row["payload_external_id"].decode(String?.self)
        let externalId =
            try givenExternalId.map { Fact("externalId", $0, code: true, note: "from the payload") }
            ?? Fact("externalId", row["external_id"].decode(String?.self), code: true, note: "derived by the worker; the same on every attempt")
        let dfns = Self.list([
            Fact("What Dfns may hold", entity.rawValue, note: entity.meaning),
            Fact("Entity id", try row["entity_id"].decode(String?.self), code: true),
            Fact("Last known status", try row["dfns_status"].decode(String?.self)),
            Fact("Wallet", try row["wallet_id"].decode(String?.self), code: true),
            externalId,
            Fact(
                "Outcome unknown since", try time("outcome_unknown_at"),
                note: "an attempt ended without an answer; the job finds out before sending again"),
        ])

        let signedIn = frame.signedIn
        let actions: [[String: Any]] = OperatorAction.all.map { action in
            let refusal = detail.refusals[action] ?? nil
            var entry: [String: Any] = [
                "action": action.rawValue, "label": Self.actionLabel[action]!, "verb": Self.actionVerb[action]!, "allowed": refusal == nil,
                "explain": Self.actionMeaning[action]!, "tone": action == .cancel ? "danger" : "primary", "signedIn": signedIn != nil,
                "id": id, "signInHint": frame.canSignIn ? "sign in to do it" : "set DFNS_CONSOLE_TOKENS_FILE to allow actions",
            ]
            if let refusal { entry["refusal"] = refusal }
            if let signedIn { entry["csrf"] = signedIn.csrf }
            return entry
        }
        let requeues = try row["requeues"].decode(Int.self)
        return render(
            "job", frame: frame,
            [
                "id": id, "state": state.rawValue, "kind": try row["kind"].decode(String.self), "queue": try row["queue"].decode(String.self),
                "attempt": try row["attempt"].decode(Int.self), "maxAttempts": try row["max_attempts"].decode(Int.self),
                "requeues": requeues > 0 ? requeues : false,
                "facts": facts, "dfns": dfns, "actions": actions, "timeline": try timeline(row),
                "payload": try row["payload"].decode(String.self),
                "result": try row["result"].decode(String?.self) ?? false, "checkpoint": try row["checkpoint"].decode(String?.self) ?? false,
                "userChallenge": try row["user_challenge"].decode(String?.self) ?? false,
            ])
    }

    func login(frame: Frame) -> String {
        render("login", frame: frame, [:])
    }

    func problem(_ heading: String, frame: Frame) -> String {
        render("problem", frame: frame, ["heading": heading])
    }

    // MARK: Parts

    /// A queue and kind: one row of the overview's table.
    private struct QueueKind: Hashable, Comparable {
        let queue: String
        let kind: String

        static func < (left: QueueKind, right: QueueKind) -> Bool { (left.queue, left.kind) < (right.queue, right.kind) }
    }

    /// One labelled value of a fact list; nil values are left out (``list(_:)``).
    private struct Fact {
        let label: String
        let value: String?
        var code = false
        var note: String?

        init(_ label: String, _ value: String?, code: Bool = false, note: String? = nil) {
            self.label = label
            self.value = value
            self.code = code
            self.note = note
        }
    }

    private static func list(_ facts: [Fact?]) -> [[String: Any]] {
        facts.compactMap { fact in
            guard let fact, let value = fact.value else { return nil }
            var entry: [String: Any] = ["label": fact.label, "value": value, "code": fact.code]
            if let note = fact.note { entry["note"] = note }
            return entry
        }
    }

    /// The job's life in order: created, each recorded error (attempt, code, HTTP status), operator actions,
    /// controls of its Dfns entity, and where it is now.
    private func timeline(_ row: PostgresRandomAccessRow) throws -> [[String: Any]] {
        var events: [(at: Date, entry: [String: Any])] = []
        let created = try row["created_at"].decode(Date.self)
        events.append((created, ["title": "Created"]))
        for error in Self.array(try row["errors"].decode(String.self)) {
            let at = error["at"]?.stringValue.flatMap(Self.parseISO) ?? created
            var entry: [String: Any] = ["title": "Attempt \(Self.integer(error["attempt"]) ?? "?") failed", "tone": "bad"]
            if let code = error["code"]?.stringValue { entry["code"] = code }
            if let status = Self.integer(error["httpStatus"]) { entry["httpStatus"] = status }
            var detail = error["message"]?.stringValue ?? ""
            if let errorId = error["dfnsErrorId"]?.stringValue { detail += " (Dfns error id \(errorId))" }
            entry["detail"] = detail
            events.append((at, entry))
        }
        for action in Self.array(try row["operator_actions"].decode(String?.self) ?? "[]") {
            let at = action["at"]?.stringValue.flatMap(Self.parseISO) ?? created
            let name = action["action"]?.stringValue ?? "?"
            events.append(
                (at, ["title": "\(Self.actionLabel[OperatorAction(rawValue: name)] ?? name) by \(action["by"]?.stringValue ?? "?")", "tone": "warn"]))
        }
        // Entries are the recording kind's own shape: shown as their fields, whatever the kind.
        for control in Self.array(try row["controls"].decode(String?.self) ?? "[]") {
            let at = control["at"]?.stringValue.flatMap(Self.parseISO) ?? created
            let fields = (control.objectValue ?? [:]).filter { !["at", "jobId"].contains($0.key) }.sorted { $0.key < $1.key }
            let detail = fields.map { key, value in "\(key) \(value.stringValue ?? value.jsonString)" }.joined(separator: ", ")
            events.append((at, ["title": "Control by job #\(Self.integer(control["jobId"]) ?? "?")", "detail": detail]))
        }
        if let finished = try row["finished_at"].decode(Date?.self) {
            let state = try row["state"].decode(String.self)
            events.append((finished, ["title": "Finished: \(state)", "tone": state == "succeeded" ? "good" : "bad"]))
        }
        return events.sorted { $0.at < $1.at }.map { event in
            var entry = event.entry
            entry["at"] = Self.moment(event.at)
            entry["atISO"] = Self.iso(event.at)
            entry["tone"] = entry["tone"] ?? ""
            return entry
        }
    }

    /// A link to the job list filtered by any of `queue`, `kind` and `state`.
    private func jobsLink(queue: String? = nil, kind: String? = nil, state: JobState? = nil) -> String {
        var filter = ConsoleJobFilter()
        filter.queue = queue
        filter.kind = kind
        filter.state = state
        return "\(base)/jobs?" + filter.query(before: nil)
    }

    private func render(_ template: String, frame: Frame, _ values: [String: Any]) -> String {
        var context: [String: Any] = [
            "base": base, "title": frame.title, "canSignIn": frame.canSignIn, "searchText": frame.searchText,
            "onOverview": frame.section == .overview, "onJobs": frame.section == .jobs, "renderedAt": Self.moment(Date()),
        ]
        if let signedIn = frame.signedIn { context["operator"] = ["name": signedIn.name, "csrf": signedIn.csrf] }
        if let refresh = frame.refresh { context["refresh"] = refresh }
        if let notice = frame.notice { context["notice"] = notice }
        if let problem = frame.problem { context["problem"] = problem }
        context.merge(values) { _, page in page }
        return library.render(context, withTemplate: template) ?? ""
    }

    // MARK: Words and formats

    static let actionLabel: [OperatorAction: String] = [.retry: "Retry", .cancel: "Cancel", .runNow: "Run now"]
    static let actionVerb: [OperatorAction: String] = [.retry: "retry", .cancel: "cancel", .runNow: "run now"]
    static let actionMeaning: [OperatorAction: String] = [
        .retry: "Queues it again with a fresh attempt budget; the same externalId, so Dfns never creates its operation twice.",
        .cancel: "Stops it for good; nothing of it can exist at Dfns.",
        .runNow: "Makes it due now instead of at its scheduled time; a worker takes it at its turn.",
    ]

    private static func array(_ text: String) -> [JSONValue] {
        (try? JSONValue(parsing: Array(text.utf8)))?.arrayValue ?? []
    }

    private static func integer(_ value: JSONValue?) -> String? {
        if case .integer(let number)? = value { return String(number) }
        return nil
    }

    private static func parseISO(_ text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))) ?? (try? Date(text, strategy: .iso8601))
    }

    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }

    /// `2026-12-01 03:51:21 UTC`: one zone for every operator and host.
    static func moment(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    /// `12 s ago`, `in 3 min`.
    static func relative(_ date: Date, now: Date = Date()) -> String {
        let seconds = date.timeIntervalSince(now)
        return seconds > 0.5 ? "in \(duration(seconds))" : "\(duration(-seconds)) ago"
    }

    /// `42 s`, `3 min`, `5 h`, `2 d`.
    static func duration(_ seconds: Double) -> String {
        let seconds = max(0, seconds)
        switch seconds {
        case ..<120: return "\(Int(seconds)) s"
        case ..<7200: return "\(Int(seconds / 60)) min"
        case ..<172_800: return "\(Int(seconds / 3600)) h"
        default: return "\(Int(seconds / 86_400)) d"
        }
    }
}

extension Optional where Wrapped == String {
    fileprivate var orEmpty: String { self ?? "" }
}
