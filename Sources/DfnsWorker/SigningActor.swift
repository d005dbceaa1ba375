import DfnsSDK

/// The one owner of the process's credential signer: every job's user action is signed through it.
public actor SigningActor: CredentialSigner {
    private let signer: any CredentialSigner
    public nonisolated let credentialId: String
    /// Signatures made, for metrics.
    public private(set) var signatures = 0

    public init(_ signer: any CredentialSigner) {
        self.signer = signer
        self.credentialId = signer.credentialId
    }

    public func sign(_ message: [UInt8]) async throws -> [UInt8] {
        signatures += 1
        return try await signer.sign(message)
    }
}
