import DfnsSDK

/// The part of a Dfns challenge the page needs to call WebAuthn, and nothing else: a registration challenge carries
/// its session's `temporaryAuthenticationToken` (which completes the registration: a bearer credential) and an
/// `otpUrl` holding a TOTP secret; a user-action challenge its `challengeIdentifier`. The page builds the
/// `publicKey` options from these members (Public/app.js).
enum BrowserChallenge {
    /// For `navigator.credentials.create` (dfns-auth.md §2.1): challenge, rp, user, pubKeyCredParams,
    /// authenticatorSelection, attestation, excludeCredentials.
    static func registration(_ challenge: RegistrationChallenge) -> JSONValue {
        let kept = ["challenge", "rp", "user", "pubKeyCredParams", "authenticatorSelection", "attestation", "excludeCredentials"]
        return .object((challenge.raw.objectValue ?? [:]).filter { kept.contains($0.key) })
    }

    /// For `navigator.credentials.get` (dfns-auth.md §2.3): the challenge, the passkeys it allows (none for a login
    /// without a username: any discoverable passkey of the relying party), user verification and the relying party.
    static func assertion(_ challenge: UserActionChallenge) -> JSONValue {
        .object([
            "challenge": .string(challenge.challenge),
            "allowCredentials": .array(challenge.allowedWebAuthnCredentialIds.map { .string($0) }),
            "userVerification": .string(challenge.userVerification ?? "required"),
            "rpId": challenge.relyingPartyId.map { .string($0) } ?? .null,
        ])
    }
}
