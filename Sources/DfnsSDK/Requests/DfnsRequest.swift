import NIOHTTP1

/// One call of the Dfns API, built and validated before anything is sent: the method, the path with its ids checked,
/// the query, the body serialized once, whether it needs a user action, and the type of its answer.
///
/// Build one with the domain catalogs that mirror the official SDKs' clients — ``DfnsWallets``, ``DfnsKeys``,
/// ``DfnsPolicies``, ``DfnsWebhooks``, ``DfnsNetworks`` — then send it with ``DfnsClient/send(_:)``, or for a signed
/// write without a key, ``DfnsDelegatedClient/initUserAction(for:)`` and ``DfnsDelegatedClient/complete(_:signedChallenge:)``.
/// Lists are read page by page with ``DfnsClient/all(_:)``.
public struct DfnsRequest<Response: Decodable & Sendable>: Sendable {
    /// The HTTP method.
    public let method: HTTPMethod
    /// The path as signed and sent, without the query.
    public let path: String
    /// The query items, percent-encoded when sent.
    public let query: [(String, String)]
    /// The exact body bytes; nil sends none (a signed write then signs the payload `""`). For an upload, the JSON
    /// sent as the `data` part, which is what the user action signs.
    public let body: [UInt8]?
    /// The file of an upload: the request is sent as `multipart/form-data` with the ``body`` as its `data` part and
    /// these bytes as its `file` part, as dfns-sdk 1.0.4 `HttpClient.request(file=…)` does.
    public let file: [UInt8]?
    /// True when the request needs a user action (`X-DFNS-USERACTION`), as the official SDKs' `requires_signature`.
    public let isSigned: Bool
    /// The route as the official SDKs name it, ids as parameters (`/fee-sponsors/{feeSponsorId}`): what
    /// ``DfnsRequestObserver`` events and metrics carry instead of the path, so their labels stay few.
    public var endpoint: String { explicitEndpoint ?? DfnsRequestEvent.template(of: path) }
    /// The route's template when the request's builder knows it; nil derives it from the path, when it is observed.
    let explicitEndpoint: String?
    /// True when sending the same body twice cannot act twice: it carries an `externalId` Dfns deduplicates
    /// (transfers, transactions, signatures). Only such writes are repeated by ``DfnsClient`` after they were sent.
    public let isIdempotent: Bool

    init(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
        signed: Bool, idempotent: Bool = false, endpoint: String? = nil, file: [UInt8]? = nil
    ) {
        self.method = method
        self.path = path
        self.file = file
        self.explicitEndpoint = endpoint
        self.query = query
        self.body = body
        self.isSigned = signed
        self.isIdempotent = idempotent
    }

    /// The same request, its answer read as `Other` — e.g. a page of raw JSON, to search entities this SDK version may
    /// not all be able to read as their model: `try DfnsWallets.listTransfers(walletId: id).decoding(as: Page<JSONValue>.self)`.
    public func decoding<Other>(as type: Other.Type) -> DfnsRequest<Other> {
        DfnsRequest<Other>(method, path, query: query, body: body, signed: isSigned, idempotent: isIdempotent, endpoint: explicitEndpoint, file: file)
    }

    /// A read: `GET`, unsigned. `endpoint`: the route's template, when the path's shape does not say it.
    static func read(_ path: String, query: [(String, String)] = [], endpoint: String? = nil) -> Self {
        Self(.GET, path, query: query, signed: false, endpoint: endpoint)
    }

    /// A signed write with a JSON body (nil: no body). `idempotent` when Dfns deduplicates it by `externalId`.
    static func write(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: JSONValue?, idempotent: Bool = false, endpoint: String? = nil
    ) -> Self {
        Self(
            method, path, query: query, body: json?.jsonBytes(), signed: true, idempotent: idempotent && json?["externalId"]?.stringValue != nil,
            endpoint: endpoint)
    }

    /// A signed upload: `json` with the file's SHA-256 as `fileChecksum` (lowercase hex, as dfns-sdk 1.0.4 adds it) is
    /// the `data` part and what is signed, `file` the `file` part.
    static func upload(_ method: HTTPMethod, _ path: String, json: JSONValue, file: [UInt8], endpoint: String) -> Self {
        var data = json.objectValue ?? [:]
        data["fileChecksum"] = .string(Digest.hex(Digest.sha256(file)))
        return Self(method, path, body: JSONValue.object(data).jsonBytes(), signed: true, endpoint: endpoint, file: file)
    }

    /// An unsigned request with a JSON body or none (contract reads, the Canton ledger proxy, login and registration).
    static func unsigned(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: JSONValue?, endpoint: String? = nil) -> Self {
        Self(method, path, query: query, body: json?.jsonBytes(), signed: false, endpoint: endpoint)
    }
}

/// Building blocks of the catalogs: checked path segments and the query of a list.
enum RequestPath {
    /// Dfns ids are `[A-Za-z0-9_-]`; anything else would change the path that is signed.
    static func segment(_ id: String, _ name: String) throws -> String {
        guard !id.isEmpty, id.count <= 64,
            id.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F })
        else {
            throw DfnsError(code: .validation, message: "\(name) must be a Dfns id (letters, digits, - and _; 1 to 64 characters)")
        }
        return id
    }

    /// `limit` (1–500, Dfns's default 50), `paginationToken`, then the filters in a stable order.
    static func pageQuery(limit: Int?, paginationToken: String?, filters: [String: String] = [:]) throws -> [(String, String)] {
        var query: [(String, String)] = []
        if let limit {
            guard (1...500).contains(limit) else { throw DfnsError(code: .validation, message: "limit must be from 1 to 500") }
            query.append(("limit", String(limit)))
        }
        if let paginationToken { query.append(("paginationToken", paginationToken)) }
        query += filters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        return query
    }

    /// The query items whose value is present, in the order given.
    static func queryItems(_ items: KeyValuePairs<String, String?>) -> [(String, String)] {
        items.compactMap { key, value in value.map { (key, $0) } }
    }

    /// The filters of a list whose value is present.
    static func present(_ items: KeyValuePairs<String, String?>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: items.compactMap { key, value in value.map { (key, $0) } })
    }

    /// A body that must be a JSON object, with the members a request cannot do without.
    static func object(_ body: JSONValue, _ what: String, requiring members: [String] = []) throws -> JSONValue {
        guard case .object(let object) = body else { throw DfnsError(code: .validation, message: "the \(what) body must be a JSON object") }
        for member in members where object[member] == nil || object[member] == .null {
            throw DfnsError(code: .validation, message: "the \(what) body needs \(member)")
        }
        return body
    }
}
