import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP exchange with Dfns at a time: paced by the shared limiter, timed out, and mapped to ``DfnsError``.
final class DfnsTransport: Sendable {
    let configuration: DfnsClientConfiguration
    let limiter: RateLimiter<ContinuousClock>
    private let httpClient: HTTPClient
    private let logger: Logger
    private let root: String
    /// The headers every request carries, built once (each request copies them, then adds its user action).
    private let headers: HTTPHeaders
    /// Why the configuration's extra headers cannot be sent: every request fails with it, nothing is sent.
    private let headerProblem: String?

    convenience init(configuration: DfnsClientConfiguration, httpClient: HTTPClient, logger: Logger) {
        self.init(
            configuration: configuration, httpClient: httpClient, logger: logger,
            limiter: RateLimiter(requestsPerMinute: configuration.requestsPerMinute))
    }

    /// A transport acting with `authToken` that paces its requests with this one's limiter (and shared budget): another
    /// identity's calls still count against the organisation's rate.
    func acting(withToken authToken: String) -> DfnsTransport {
        var configuration = configuration
        configuration.authToken = authToken
        return DfnsTransport(configuration: configuration, httpClient: httpClient, logger: logger, limiter: limiter)
    }

    private init(configuration: DfnsClientConfiguration, httpClient: HTTPClient, logger: Logger, limiter: RateLimiter<ContinuousClock>) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.limiter = limiter
        var root = configuration.baseURL
        while root.hasSuffix("/") { root.removeLast() }
        self.root = root
        var headers: HTTPHeaders = [
            "Authorization": "Bearer \(configuration.authToken)", "Content-Type": "application/json", "Accept": "application/json",
            "User-Agent": configuration.userAgent,
        ]
        headerProblem = configuration.headerProblem
        if headerProblem == nil { headers.add(contentsOf: configuration.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
        self.headers = headers
    }

    /// Sends one request and returns the body of a 2xx response (a 202 too: the entity a policy holds for approval).
    ///
    /// A request carrying a user action is a write that may take effect at Dfns: when it gets no definite answer
    /// (connection lost, timeout, 5xx) its error says ``DfnsError/outcomeUnknown``. Init, action and read calls never do.
    /// - Parameters:
    ///   - path: the path without query, e.g. `/wallets`; also what a user action signs.
    ///   - query: query items, appended unsigned.
    ///   - userAction: the single-use `X-DFNS-USERACTION` token of a signed write.
    ///   - endpoint: the route's template for observers (``DfnsRequest/endpoint``); nil derives it from the path.
    ///   - file: an upload's file: `body` and it are sent as the `data` and `file` parts of a `multipart/form-data` body.
    func exchange(
        _ method: HTTPMethod,
        _ path: String,
        query: [(String, String)] = [],
        body: [UInt8]? = nil,
        userAction: String? = nil,
        endpoint: String? = nil,
        file: [UInt8]? = nil
    ) async throws -> [UInt8] {
        if let headerProblem { throw DfnsError(code: .validation, message: headerProblem) }
        try await limiter.acquire()
        try await configuration.sharedBudget?.acquire()
        let isWrite = userAction != nil
        var request = HTTPClientRequest(url: root + path + Self.encode(query))
        request.method = method
        request.headers = headers
        if let userAction { request.headers.add(name: "X-DFNS-USERACTION", value: userAction) }
        if let file {
            let form = MultipartForm(data: body ?? Array("{}".utf8), file: file)
            request.headers.replaceOrAdd(name: "Content-Type", value: form.contentType)
            request.body = .bytes(ByteBuffer(bytes: form.bytes))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }

        if isWrite { DfnsWriteRecord.current?.markSent() }
        let started = ContinuousClock.now
        let status: Int
        let responseBody: [UInt8]
        let retryAfterHeader: String?
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
            var buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
            status = Int(response.status.code)
            responseBody = buffer.readBytes(length: buffer.readableBytes) ?? []
            retryAfterHeader = response.headers.first(name: "Retry-After")
        } catch let error as CancellationError {
            throw error
        } catch {
            let mapped = Self.mapTransportError(error, method: method, path: path, isWrite: isWrite)
            observe(method, path, endpoint, status: nil, error: mapped.code, started: started)
            logger.debug(
                "dfns request failed",
                metadata: [
                    "dfns.method": "\(method.rawValue)", "dfns.path": "\(path)", "dfns.error": "\(mapped.code)",
                ])
            throw mapped
        }
        observe(method, path, endpoint, status: status, error: nil, started: started)
        logger.debug(
            "dfns request",
            metadata: [
                "dfns.method": "\(method.rawValue)", "dfns.path": "\(path)", "dfns.status": "\(status)",
                "dfns.duration_ms": "\(started.duration(to: .now).milliseconds)",
            ])
        if (200..<300).contains(status) { return responseBody }
        let error = DfnsError(
            httpStatus: status, body: responseBody, retryAfterHeader: retryAfterHeader, outcomeUnknown: isWrite && status >= 500
        )
        if error.code == .rateLimited {
            // The whole client waits as RateLimitPolicy says, or less when this client gives up on 429s sooner.
            let pause = min(RateLimitPolicy.wait(retryAfter: error.retryAfter), configuration.retryPolicy.maxRetryAfter)
            limiter.pause(for: pause)
            configuration.sharedBudget?.pause(for: pause)
        }
        throw error
    }

    /// Sends `request` (its query, body or upload, and route template) with an optional user action.
    func exchange<Response>(_ request: DfnsRequest<Response>, userAction: String? = nil) async throws -> [UInt8] {
        try await exchange(
            request.method, request.path, query: request.query, body: request.body, userAction: userAction, endpoint: request.explicitEndpoint,
            file: request.file)
    }

    /// Tells the observer, if there is one; the route's template is derived from `path` only then.
    private func observe(
        _ method: HTTPMethod, _ path: String, _ endpoint: String?, status: Int?, error: DfnsError.Code?, started: ContinuousClock.Instant
    ) {
        guard let observer = configuration.observer else { return }
        observer.dfnsRequestFinished(
            DfnsRequestEvent(
                method: method.rawValue, endpoint: endpoint ?? DfnsRequestEvent.template(of: path), status: status, errorCode: error,
                duration: started.duration(to: .now)
            ))
    }

    /// Decodes a response body, mapping failures to ``DfnsError/Code/decoding``.
    /// - Parameter written: the body answers a write Dfns accepted (2xx): the entity exists even though it cannot be
    ///   read, so the error says ``DfnsError/outcomeUnknown``.
    func decode<Value: Decodable>(_ type: Value.Type, from body: [UInt8], written: Bool = false) throws -> Value {
        do {
            // No content (a 204): JSON null, as dfns-sdk 1.0.4 returns None (`HttpClient._handle_response`).
            if body.isEmpty, type == JSONValue.self { return JSONValue.null as! Value }
            if let model = type as? any ResponseBodyKeeping.Type { return try model.init(json: JSONParser.parse(body), responseBody: body) as! Value }
            if let entity = type as? any JSONValueDecodable.Type { return try entity.init(json: JSONParser.parse(body)) as! Value }
            if let model = type as? any DfnsModel.Type { return try model.init(json: JSONParser.parse(body)) as! Value }
            return try JSONCoding.decode(type, from: body)
        } catch {
            throw DfnsError(
                code: .decoding,
                message: written
                    ? "Dfns accepted the request but its answer is not a \(Value.self) (\(error)); the entity exists"
                    : "unexpected \(Value.self) response: \(error)",
                rawBody: String(decoding: body.prefix(4096), as: UTF8.self),
                outcomeUnknown: written,
                underlying: error
            )
        }
    }

    /// Runs `operation` under the retry policy. An operation marks a failure unsafe to repeat by throwing
    /// ``Unrepeatable``.
    func retrying<Value>(_ operation: (_ attempt: Int) async throws -> Value) async throws -> Value {
        let policy = configuration.retryPolicy
        var attempt = 1
        while true {
            do {
                return try await operation(attempt)
            } catch let unrepeatable as Unrepeatable {
                throw unrepeatable.error
            } catch let error as DfnsError where policy.shouldRetry(error, afterAttempt: attempt) {
                let delay = policy.delay(afterAttempt: attempt, retryAfter: error.retryAfter)
                logger.debug(
                    "dfns retry",
                    metadata: [
                        "dfns.error": "\(error.code)", "dfns.attempt": "\(attempt)", "dfns.delay_ms": "\(delay.milliseconds)",
                    ])
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    /// A failure the retry loop must surface at once: the request may have taken effect and cannot be replayed safely.
    struct Unrepeatable: Error {
        let error: any Error
    }

    /// `?name=value&…` with every byte outside the unreserved set (`A-Z a-z 0-9 - . _ ~`) percent-encoded, as the
    /// official SDKs do (Go `url.Values.Encode`, Python `urlencode`, TS `encodeURIComponent`). Page tokens are
    /// standard base64: a raw `+` would reach Dfns as a space.
    static func encode(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        func escape(_ text: String) -> String {
            var output = [UInt8]()
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                    output.append(byte)
                default:
                    output.append(contentsOf: "%\(String(byte, radix: 16, uppercase: true).leftPadded)".utf8)
                }
            }
            return String(decoding: output, as: UTF8.self)
        }
        return "?" + query.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    private static func mapTransportError(_ error: any Error, method: HTTPMethod, path: String, isWrite: Bool) -> DfnsError {
        // A connection that was never made carried nothing: the outcome of the write is known (nothing happened).
        let neverConnected =
            (error as? HTTPClientError) == .connectTimeout || error is NIOConnectionError
            || (error as? ChannelError).map { if case .connectTimeout = $0 { true } else { false } } == true
        let unknown = isWrite && !neverConnected
        if let error = error as? HTTPClientError,
            [HTTPClientError.deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout].contains(error)
        {
            return DfnsError(code: .timeout, message: "no response to \(method.rawValue) \(path) in time", outcomeUnknown: unknown, underlying: error)
        }
        return DfnsError(code: .transport, message: "\(method.rawValue) \(path) failed: \(error)", outcomeUnknown: unknown, underlying: error)
    }
}

extension String {
    /// Two characters, zero-padded (hex bytes).
    fileprivate var leftPadded: String { count < 2 ? "0" + self : self }
}
