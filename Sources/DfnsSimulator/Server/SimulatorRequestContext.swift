import Hummingbird
import NIOCore

/// The request context of the simulator: Hummingbird's core context, the channel (a "response lost after commit"
/// fault closes it after the operation was recorded), and what the API middleware learned on the way in.
public struct SimulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The caller, once ``AuthenticationMiddleware`` accepted its bearer token.
    var principal: Principal?
    /// The request body, read once by ``FaultMiddleware`` (a user action signs it, the handler reads it).
    var requestBody: [UInt8] = []
    /// The `file` part of an upload (``MultipartUpload``); its `data` part is ``requestBody``.
    var uploadedFile: [UInt8]?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The authenticated caller; every API route runs behind ``AuthenticationMiddleware``.
    func caller() throws(APIError) -> Principal {
        guard let principal else { throw .unauthorized }
        return principal
    }
}
