import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on loopback that a test can cut and restore: a network partition between a worker and PostgreSQL
/// (every open connection closed, new ones closed at once) without touching the server behind it.
public final class TCPProxy: Sendable {
    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    private let target: (host: String, port: Int)
    private let state = Mutex(State())

    private struct State {
        var isCut = false
        var channels: [ObjectIdentifier: any Channel] = [:]
        var server: (any Channel)?
        var acceptor: Task<Void, Never>?
    }

    private typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    private init(port: Int, target: (host: String, port: Int)) {
        self.port = port
        self.target = target
    }

    /// Starts a proxy to `host:port`; ``stop()`` it when done.
    public static func start(to host: String, port targetPort: Int) async throws -> TCPProxy {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
            }
        let proxy = TCPProxy(port: server.channel.localAddress?.port ?? 0, target: (host, targetPort))
        let acceptor = Task<Void, Never> {
            _ = try? await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { connections in
                    for try await connection in inbound {
                        connections.addTask { await proxy.serve(connection) }
                    }
                }
            }
        }
        proxy.state.withLock {
            $0.server = server.channel
            $0.acceptor = acceptor
        }
        return proxy
    }

    /// Closes the listener and every connection.
    public func stop() {
        cut()
        let (server, acceptor) = state.withLock { ($0.server, $0.acceptor) }
        server?.close(promise: nil)
        acceptor?.cancel()
    }

    /// Closes every connection through the proxy and refuses new ones until ``restore()``.
    public func cut() {
        let open = state.withLock { state -> [any Channel] in
            state.isCut = true
            defer { state.channels = [:] }
            return Array(state.channels.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Lets connections through again.
    public func restore() {
        state.withLock { $0.isCut = false }
    }

    private func serve(_ client: Connection) async {
        guard register(client.channel) else {
            try? await client.channel.close()
            return
        }
        do {
            let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try Connection(wrappingChannelSynchronously: channel) }
                }
            guard register(upstream.channel) else {
                try? await upstream.channel.close()
                try? await client.channel.close()
                return
            }
            try await client.executeThenClose { clientIn, clientOut in
                try await upstream.executeThenClose { upstreamIn, upstreamOut in
                    await withTaskGroup(of: Void.self) { pipes in
                        pipes.addTask { try? await Self.pipe(clientIn, to: upstreamOut) }
                        pipes.addTask { try? await Self.pipe(upstreamIn, to: clientOut) }
                        await pipes.next()
                        pipes.cancelAll()
                    }
                }
            }
        } catch {
            try? await client.channel.close()
        }
    }

    /// Records an open channel; false when the proxy is cut.
    private func register(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.isCut else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    private static func pipe(_ input: NIOAsyncChannelInboundStream<ByteBuffer>, to output: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        for try await buffer in input { try await output.write(buffer) }
    }
}
