import DfnsSDK

/// Thrown by ``JobContext/send(_:)`` for a job that acts for an end user who has yet to sign its write: the engine
/// parks the job in `awaiting_signature` with `challenge` readable by the application, giving back the attempt.
/// A handler lets it propagate; it is not a failure.
public struct UserSignatureRequired: Error, Sendable, CustomStringConvertible {
    /// Dfns's user-action challenge, as `/auth/action/init` returned it (stored in `user_challenge`).
    public let challenge: JSONValue
    /// The end user's login that asked for it, sealed for the job's row (``TokenSeal``).
    let sealedToken: [UInt8]

    /// The challenge's `challengeIdentifier` (not a secret), for logs.
    public var challengeIdentifier: String { challenge["challengeIdentifier"]?.stringValue ?? "?" }

    public var description: String { "awaiting the end user's signature of challenge \(challengeIdentifier)" }
}
