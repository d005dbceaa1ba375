import Foundation

/// The challenges that register credentials, in Dfns's shapes (dfns-auth.md §2.1, §2.2; dfns-sdk 1.0.4
/// `CreateRegistrationChallengeResponse`, `CreateDelegatedRecoveryChallengeResponse`): a registration or recovery
/// challenge (`temporaryAuthenticationToken`, `supportedCredentialKinds` as an object of first and second factors) and
/// a credential challenge (`kind`, `challengeIdentifier`). Passkeys are asked for with resident keys and user
/// verification, ES256, EdDSA or RS256, excluding the user's passkeys; a `Totp` is offered through `otpUrl`.
enum RegistrationChallenge {
    /// The COSE algorithms the simulator takes for passkeys: ES256, EdDSA, RS256.
    static let algorithms = [-7, -8, -257]

    /// A registration or recovery challenge; `recoveryCredentials` adds `allowedRecoveryCredentials`.
    static func registration(
        token: String, session: AuthFlowStore.Session, user: AccountStore.User, relyingPartyId: String,
        existing: [CredentialStore.Credential], recoveryCredentials: [CredentialStore.Credential]? = nil
    ) -> [String: Any] {
        var json = common(
            challenge: session.challenge, user: user, relyingPartyId: relyingPartyId, existing: existing, totpSecret: session.totpSecret)
        json["temporaryAuthenticationToken"] = token
        json["supportedCredentialKinds"] = [
            "firstFactor": ["Fido2", "Key", "PasswordProtectedKey", "Password"], "secondFactor": ["Fido2", "Key", "PasswordProtectedKey", "Totp"],
        ]
        if let recoveryCredentials {
            json["allowedRecoveryCredentials"] = recoveryCredentials.map {
                ["id": $0.credentialId, "encryptedRecoveryKey": $0.encryptedPrivateKey ?? ""]
            }
        }
        return json
    }

    /// A credential challenge for a new credential of `kind`.
    static func credential(
        identifier: String, challenge: AuthFlowStore.Challenge, kind: CredentialStore.Kind, user: AccountStore.User, relyingPartyId: String,
        existing: [CredentialStore.Credential]
    ) -> [String: Any] {
        // `temporaryAuthenticationToken` is deprecated in favour of `challengeIdentifier` yet still required by the
        // TypeScript SDK's types (dfns-sdk-ts generated/auth/types.ts): the same identifier.
        var json: [String: Any] = [
            "kind": kind.rawValue, "challengeIdentifier": identifier, "temporaryAuthenticationToken": identifier, "user": userJSON(user),
            "rp": ["id": relyingPartyId, "name": "Dfns"],
        ]
        switch kind {
        case .password: break
        case .totp: json["otpUrl"] = otpURL(user: user, secret: challenge.totpSecret)
        default:
            let all = common(
                challenge: challenge.challenge, user: user, relyingPartyId: relyingPartyId, existing: existing, totpSecret: challenge.totpSecret)
            for member in ["challenge", "attestation", "pubKeyCredParams"] { json[member] = all[member] }
            if kind == .fido2 {
                for member in ["authenticatorSelection", "excludeCredentials"] { json[member] = all[member] }
            }
        }
        return json
    }

    private static func common(
        challenge: String, user: AccountStore.User, relyingPartyId: String, existing: [CredentialStore.Credential], totpSecret: [UInt8]
    ) -> [String: Any] {
        [
            "user": userJSON(user), "challenge": challenge, "rp": ["id": relyingPartyId, "name": "Dfns"],
            "authenticatorSelection": ["residentKey": "required", "requireResidentKey": true, "userVerification": "required"],
            "attestation": "direct", "pubKeyCredParams": algorithms.map { ["type": "public-key", "alg": $0] },
            "excludeCredentials": existing.filter { $0.kind == .fido2 }.map { ["type": "public-key", "id": $0.credentialId] },
            "otpUrl": otpURL(user: user, secret: totpSecret),
        ]
    }

    private static func userJSON(_ user: AccountStore.User) -> [String: Any] {
        ["id": user.userId, "displayName": user.username, "name": user.username]
    }

    /// The `otpauth://` URL an authenticator app scans (Key Uri Format: base32 secret, SHA1, 6 digits, 30 s).
    static func otpURL(user: AccountStore.User, secret: [UInt8]) -> String {
        let label = user.username.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "user"
        return "otpauth://totp/Dfns:\(label)?secret=\(base32(secret))&issuer=Dfns&algorithm=SHA1&digits=6&period=30"
    }

    /// RFC 4648 base32 without padding.
    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }
}
