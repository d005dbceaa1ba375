import DfnsWorker
import Foundation

/// The job list's filters, read from the query string and checked: a value the console cannot use is refused with
/// what it accepts, never silently dropped.
struct ConsoleJobFilter: Sendable {
    /// How far back the list reaches, by when jobs were created.
    enum Since: String, CaseIterable, Sendable {
        case hour = "1h"
        case day = "24h"
        case week = "7d"
        case month = "30d"

        var seconds: Int {
            switch self {
            case .hour: 3600
            case .day: 86_400
            case .week: 7 * 86_400
            case .month: 30 * 86_400
            }
        }
    }

    var state: JobState?
    var kind: String?
    var queue: String?
    var since: Since?
    /// A job id, externalId, unique_key, or Dfns wallet, transfer, transaction or signature id.
    var search: String?
    /// Keyset cursor: jobs with a smaller id (the next page).
    var before: Int64?

    /// No filter: every job.
    init() {}

    /// Parses `parameters` (name → value); throws a message naming the parameter and what it accepts.
    init(_ parameters: [String: String]) throws(ConsoleError) {
        func value(_ name: String) -> String? {
            guard let text = parameters[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        if let text = value("state") {
            guard let state = JobState.all.first(where: { $0.rawValue == text }) else {
                throw ConsoleError("state must be one of \(JobState.all.map(\.rawValue).joined(separator: ", "))")
            }
            self.state = state
        }
        if let text = value("kind") {
            guard text.wholeMatch(of: /[a-z][a-z0-9_]{0,62}/) != nil else {
                throw ConsoleError("kind must be a job kind: lower-case letters, digits and _ (up to 63)")
            }
            kind = text
        }
        if let text = value("queue") {
            guard text.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}/) != nil else {
                throw ConsoleError("queue must be a queue name: 1-64 letters, digits, _ . : or -")
            }
            queue = text
        }
        if let text = value("since") {
            guard let since = Since(rawValue: text) else {
                throw ConsoleError("since must be one of \(Since.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.since = since
        }
        if let text = value("q") {
            guard text.count <= 200, !text.contains(where: { $0.isNewline }) else {
                throw ConsoleError("search is at most 200 characters on one line")
            }
            search = text
        }
        if let text = value("before") {
            guard let id = Int64(text), id > 0 else { throw ConsoleError("before must be a job id (a positive whole number)") }
            before = id
        }
    }

    /// The query string of these filters, with `before` replaced by `cursor` (nil: the first page).
    func query(before cursor: Int64?) -> String {
        var items: [URLQueryItem] = []
        if let state { items.append(.init(name: "state", value: state.rawValue)) }
        if let kind { items.append(.init(name: "kind", value: kind)) }
        if let queue { items.append(.init(name: "queue", value: queue)) }
        if let since { items.append(.init(name: "since", value: since.rawValue)) }
        if let search { items.append(.init(name: "q", value: search)) }
        if let cursor { items.append(.init(name: "before", value: String(cursor))) }
        var components = URLComponents()
        components.queryItems = items
        // URLComponents leaves "+" as is, which form decoding would read as a space.
        return (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }
}
