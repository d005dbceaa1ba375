import Logging
import NIOCore
import ServiceLifecycle

/// Runs an HTTP server on a free loopback port for the duration of a test body.
public enum LoopbackServer {
    /// A server that never listened.
    public struct NotStarted: Error, CustomStringConvertible {
        public var description: String { "the server stopped before it listened" }
    }

    /// Builds the server with `make` (given the callback to call once it listens), runs `body` with its port, then
    /// stops it by graceful shutdown — not cancellation: a cancelled server drops connections it accepted but had not
    /// served yet, and NIO traps on the dropped writer ("Deinited NIOAsyncWriter without calling finish()").
    public static func run<Result: Sendable>(
        _ make: (_ onServerRunning: @escaping @Sendable (any Channel) async -> Void) -> some Service,
        logger: Logger,
        _ body: (_ port: Int) async throws -> Result
    ) async throws -> Result {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = make { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        var configuration = ServiceGroupConfiguration(services: [server], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(5)
        let services = ServiceGroup(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends the port stream however the server stops, so a server that never starts fails the test.
                defer { continuation.finish() }
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.waitForAll()
                throw NotStarted()
            }
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await body(port))
            } catch {
                result = .failure(error)
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}
