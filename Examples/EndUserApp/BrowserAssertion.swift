import DfnsSDK
import HTTPTypes

/// What the page posts after `navigator.credentials.get`: the passkey's `rawId` and the assertion's
/// `clientDataJSON`, `authenticatorData`, `signature` and `userHandle`, base64url without padding (dfns-auth.md §2.5,
/// §3.1), as the official SDKs' WebAuthn signer shapes them (dfns-sdk-ts sdk-browser `WebAuthnSigner.sign`).
struct BrowserAssertion: Decodable, Sendable {
    let credId: String
    let clientData: String
    let authenticatorData: String
    let signature: String
    let userHandle: String?

    /// Refuses (400) an assertion whose members are not base64url without padding, before anything is looked up.
    func checkEncoding() throws(AppProblem) {
        var members = [("credId", credId), ("clientData", clientData), ("authenticatorData", authenticatorData), ("signature", signature)]
        if let userHandle, !userHandle.isEmpty { members.append(("userHandle", userHandle)) }
        for (member, value) in members {
            guard !value.isEmpty, !value.contains("="), Base64URL.decode(value) != nil else {
                throw AppProblem(.badRequest, "\(member) must be base64url without padding")
            }
        }
    }

    /// The signed challenge of `challenge`: this assertion as the `Fido2` first factor.
    func signed(_ challenge: UserActionChallenge) throws(AppProblem) -> SignedChallenge {
        try checkEncoding()
        return SignedChallenge(
            challengeIdentifier: challenge.challengeIdentifier,
            firstFactor: .fido2(
                .init(
                    credId: credId, clientData: clientData, authenticatorData: authenticatorData, signature: signature,
                    userHandle: userHandle?.isEmpty == false ? userHandle : nil)))
    }

    /// The user the passkey belongs to: WebAuthn's user handle is the UTF-8 bytes of the Dfns user id (dfns-auth.md
    /// §3.1). Trust it only after Dfns accepted the assertion, which checks it against the credential's user.
    var userId: String? {
        guard let userHandle, let bytes = Base64URL.decode(userHandle) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
