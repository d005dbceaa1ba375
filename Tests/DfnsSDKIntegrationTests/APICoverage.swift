import DfnsSDK
import DfnsTestSupport
import Foundation
import Synchronization
import Testing

/// What the coverage tests share: the official SDK's methods (docs/api-coverage/official-methods.tsv, checked against
/// the installed dfns-sdk and the Swift catalogs by ops/conformance), the requests a client made, and the coverage
/// tables built from both (by domain in the README, by method in docs/api-coverage/methods.md).
enum APICoverage {
    /// One method of an official client.
    struct Method: Sendable, Hashable {
        let domain: String
        let name: String
        /// The HTTP method, or `alias` for a deprecated name of another method.
        let httpMethod: String
        /// The path template, or the aliased method's name.
        let path: String
        let signed: Bool
        let paginated: Bool
        /// The Swift request, `Catalog.method` (e.g. `DfnsWallets.tagWallet`); nil while there is none.
        let swift: String?

        /// The Swift catalog call by convention: the official name in camel case on the domain's catalog.
        var swiftName: String {
            let words = name.split(separator: "_")
            return String(words[0]) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        }

        /// `fee_sponsors` → `DfnsFeeSponsors`.
        var catalog: String { "Dfns" + domain.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined() }
    }

    static let root = Repository.root

    private static let facts = (try? String(contentsOf: root.appendingPathComponent("docs/api-coverage/official-methods.tsv"), encoding: .utf8)) ?? ""

    static let officialVersion: String = facts.split(separator: "\n").first.map { String($0.dropFirst(2).prefix { $0 != ":" }) } ?? "dfns-sdk"

    static let official: [Method] = facts.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return Method(
            domain: fields[0], name: fields[1], httpMethod: fields[2], path: fields[3], signed: fields[4] == "signed",
            paginated: fields[5] == "paginated", swift: fields[6] == "-" ? nil : fields[6])
    }

    /// Every official client, in the table's order.
    static let domains: [String] = official.reduce(into: []) { domains, method in
        if domains.last != method.domain { domains.append(method.domain) }
    }

    /// The clients every method of which has a Swift request: a client lands whole, with its simulator routes and its
    /// test (``test(of:)``), as ops/conformance's `complete_domains` reads the same table.
    static let completeDomains = Set(domains.filter { domain in official.allSatisfy { $0.domain != domain || $0.swift != nil } })

    /// The test function that exercises a complete domain: its name in camel case (`fee_sponsors` → `feeSponsors`).
    static func testFunction(of domain: String) -> String {
        let words = domain.split(separator: "_")
        return String(words[0]) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The test that exercises each complete domain, as the tables name it.
    static func test(of domain: String) -> String { "APICoverageTests.\(testFunction(of: domain))()" }

    /// The Swift declaration of a method in its catalog's source, e.g. `DfnsWallets.tagWallet(walletId:tags:)`; nil when the
    /// catalog has no such method.
    static func swiftDeclaration(_ method: Method) -> String? {
        let source = (try? String(contentsOf: root.appendingPathComponent("Sources/DfnsSDK/Requests/\(method.catalog).swift"), encoding: .utf8)) ?? ""
        guard let match = source.firstMatch(of: try! Regex("static func \(method.swiftName)\\(([^)]*)\\)")) else { return nil }
        let parameters = String(match.output[1].substring ?? "")
        let labels =
            parameters.isEmpty
            ? []
            : parameters.split(separator: ",").map { parameter in
                String(parameter.trimmingCharacters(in: .whitespacesAndNewlines).prefix { $0 != " " && $0 != ":" }) + ":"
            }
        return "\(method.catalog).\(method.swiftName)(\(labels.joined()))"
    }

    /// A method of the official Go or TypeScript SDK (docs/api-coverage/other-sdks.tsv, written by
    /// ops/conformance/other_sdks.py from snapshots of their repositories).
    struct OtherMethod: Sendable {
        let sdk: String
        let source: String
        let client: String
        /// The method's name in its SDK and its route (`POST /auth/apps`).
        let name: String
        let route: String
        let python: String?
        /// The Swift request of a route the Python SDK lacks.
        let swiftBeyondPython: String?

        /// The Python client of the same route, or the SDK's own client name.
        var domain: String { python.map { String($0.prefix { $0 != "." }) } ?? client }
    }

    static let others: [OtherMethod] =
        ((try? String(contentsOf: root.appendingPathComponent("docs/api-coverage/other-sdks.tsv"), encoding: .utf8)) ?? "")
        .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return OtherMethod(
                sdk: fields[0], source: fields[1], client: fields[2], name: fields[3], route: fields[4] + " " + fields[5],
                python: fields[6] == "-" ? nil : fields[6],
                swiftBeyondPython: fields[7] == "-" ? nil : fields[7])
        }

    /// Whether DfnsSDK has a request for the route of another SDK's method.
    static func isCovered(_ method: OtherMethod) -> Bool {
        if let swift = method.swiftBeyondPython { return !swift.isEmpty }
        guard let python = method.python else { return false }
        return official.contains { "\($0.domain).\($0.name)" == python && $0.swift != nil }
    }

    /// The README section: methods with a Swift request, by domain, for each official SDK.
    static func domainTable() -> String {
        let methods = official.filter { $0.httpMethod != "alias" }
        let go = others.filter { $0.sdk == "go" }
        let typescript = others.filter { $0.sdk == "typescript" }
        func cell(_ methods: [OtherMethod]) -> String { methods.isEmpty ? "—" : "\(methods.count(where: isCovered)) / \(methods.count)" }
        var lines = [
            "Methods of each official SDK that DfnsSDK has a request for, by client (the Python SDK's deprecated aliases aside;",
            "generated by `APICoverageTests`, which fails when it drifts from the code; every Python method, its route and its",
            "test: [docs/api-coverage/methods.md](docs/api-coverage/methods.md); the Go and TypeScript methods, matched by",
            "route: [docs/api-coverage/other-sdks.tsv](docs/api-coverage/other-sdks.tsv)). Python: \(officialVersion); Go:",
            "\(go.first?.source ?? "—"); TypeScript: \(typescript.first?.source ?? "—"), the newest snapshot at hand.",
            "",
            "| Domain | Python | Go | TypeScript |",
            "|---|---|---|---|",
        ]
        for domain in (domains + others.map(\.domain)).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
            let own = methods.filter { $0.domain == domain }
            let python = own.isEmpty ? "—" : "\(own.count { $0.swift != nil }) / \(own.count)"
            lines.append(
                "| \(domain) | \(python) | \(cell(go.filter { $0.domain == domain })) | \(cell(typescript.filter { $0.domain == domain })) |")
        }
        lines.append(
            "| **all** | **\(methods.count { $0.swift != nil }) / \(methods.count)** | **\(cell(go))** | **\(cell(typescript))** |")
        let gaps = others.filter { !isCovered($0) }
        if !gaps.isEmpty {
            lines += [
                "",
                "Without a request: routes of the other SDKs that the Python SDK, generated from Dfns's current API, does not have "
                    + "(Dfns deprecated applications; logout is `PUT /auth/logout`): "
                    + gaps.map { "\($0.sdk == "go" ? "Go" : "TypeScript") `\($0.client).\($0.name)` (`\($0.route)`)" }.joined(separator: ", ") + ".",
            ]
        }
        return lines.joined(separator: "\n")
    }

    /// docs/api-coverage/methods.md: one row per official method, with its Swift request (— while there is none).
    static func methodTable() -> String {
        var lines = [
            "# The official Python SDK's methods in DfnsSDK",
            "",
            "Every method of the official Python SDK (\(officialVersion)), its Swift request, the Dfns route and the test that sends",
            "it to the simulator (generated by `APICoverageTests` from `official-methods.tsv`; it fails when this file drifts",
            "from the code).",
            "",
            "| Official method | Swift | Route | Test |",
            "|---|---|---|---|",
        ]
        for method in official {
            let route =
                method.httpMethod == "alias" ? "as `\(method.path)`" : "`\(method.httpMethod) \(method.path)`\(method.signed ? " (signed)" : "")"
            let swift = method.swift == nil ? "—" : swiftDeclaration(method).map { "`\($0)`" } ?? "—"
            let test = completeDomains.contains(method.domain) ? "`\(test(of: method.domain))`" : "—"
            lines.append("| `\(method.domain).\(method.name)` | \(swift) | \(route) | \(test) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Records every exchange of a client, to check that a test reached each official route with a 2xx.
    final class Recorder: DfnsRequestObserver {
        private let events = Mutex<[DfnsRequestEvent]>([])

        func dfnsRequestFinished(_ event: DfnsRequestEvent) { events.withLock { $0.append(event) } }

        /// The official methods of `domain` no request reached with a 2xx answer.
        func missing(in domain: String) -> [String] {
            let reached = Set(events.withLock { $0 }.filter { ($0.status ?? 0) / 100 == 2 }.map { "\($0.method) \($0.endpoint)" })
            return APICoverage.official.filter { $0.domain == domain && $0.httpMethod != "alias" && !reached.contains("\($0.httpMethod) \($0.path)") }
                .map(\.name)
        }
    }
}
