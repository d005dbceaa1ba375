import Foundation

/// Builds and signs the client data of a user action (dfns-api §2.2), for direct and delegated signing alike.
public enum UserActionSigning {
    /// The default `origin` in client data, the value the official SDKs send.
    public static let defaultOrigin = "https://app.dfns.io"

    /// The exact client data bytes for a `key.get` assertion:
    /// `{"type":"key.get","challenge":"…","origin":"…","crossOrigin":false}`, compact, UTF-8.
    public static func clientData(challenge: String, origin: String) -> [UInt8] {
        "{\"type\":\"key.get\",\"challenge\":\(jsonString(challenge)),\"origin\":\(jsonString(origin)),\"crossOrigin\":false}"
            .utf8.map { $0 }
    }

    /// Signs `challenge` with `signer`, refusing a credential the challenge does not allow.
    /// - Throws: ``DfnsError`` with code `.signing`.
    public static func sign(
        _ challenge: UserActionChallenge,
        with signer: some CredentialSigner,
        origin: String = defaultOrigin
    ) async throws -> SignedChallenge {
        let kind = signer.credentialKind
        let allowed = challenge.allowedCredentialIds(kind)
        guard allowed.isEmpty || allowed.contains(signer.credentialId) else {
            throw DfnsError(
                code: .signing,
                message: "\(kind.rawValue) credential \(signer.credentialId) is not among the \(allowed.count) allowed by the challenge"
            )
        }
        let clientData = clientData(challenge: challenge.challenge, origin: origin)
        let signature: [UInt8]
        do {
            signature = try await signer.sign(clientData)
        } catch let error as KeySignerError {
            throw DfnsError(code: .signing, message: error.message, underlying: error)
        } catch {
            throw DfnsError(code: .signing, message: "the credential signer failed", underlying: error)
        }
        let assertion = SignedChallenge.KeyAssertion(
            credId: signer.credentialId,
            clientData: Base64URL.encode(clientData),
            signature: Base64URL.encode(signature)
        )
        return SignedChallenge(
            challengeIdentifier: challenge.challengeIdentifier,
            firstFactor: kind == .key ? .key(assertion) : .passwordProtectedKey(assertion)
        )
    }

    private static func jsonString(_ value: String) -> String {
        JSONValue.string(value).jsonString
    }
}
