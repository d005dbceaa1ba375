import DfnsSDK
import HTTPTypes

/// What the page posts after `navigator.credentials.create`: the new passkey's `rawId`, `clientDataJSON` and
/// `attestationObject`, base64url without padding (dfns-auth.md §2.4, §3.1). Dfns verifies it; the app only checks it
/// reads as such before spending the registration on it.
struct BrowserAttestation: Decodable, Sendable {
    let credId: String
    let clientData: String
    let attestationData: String

    /// The registration's `firstFactor`: `{credentialKind: "Fido2", credentialInfo: {credId, clientData,
    /// attestationData}, credentialName}` (dfns-sdk-ts `Fido2Attestation`; dfns-sdk 1.0.4 `RegisterEndUserRequest`).
    func firstFactor(name: String) throws(AppProblem) -> JSONValue {
        for (member, value) in [("credId", credId), ("clientData", clientData), ("attestationData", attestationData)] {
            guard !value.isEmpty, !value.contains("="), Base64URL.decode(value) != nil else {
                throw AppProblem(.badRequest, "\(member) must be base64url without padding")
            }
        }
        return .object([
            "credentialKind": .string("Fido2"),
            "credentialInfo": .object([
                "credId": .string(credId), "clientData": .string(clientData), "attestationData": .string(attestationData),
            ]),
            "credentialName": .string(name),
        ])
    }
}
