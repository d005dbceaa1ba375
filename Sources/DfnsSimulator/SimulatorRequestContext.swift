import Hummingbird
import NIOCore

/// The request context of the simulator: Hummingbird's core context plus the channel, so a "response lost after
/// commit" fault can close the connection after the operation was recorded.
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
