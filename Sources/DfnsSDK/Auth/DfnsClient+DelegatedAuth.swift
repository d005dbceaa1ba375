extension DfnsClient {
    /// Opens the registration of a user on their behalf, as a service account does for its application's users
    /// (`POST /auth/registration/delegated`, signed; dfns-sdk-ts `createDelegatedRegistrationChallenge`): for a user made
    /// with `registration: Delegated`, or an end user Dfns makes on the fly. Hand ``RegistrationChallenge/raw`` to the
    /// user's device, which attests it with a new passkey or key; finish with
    /// ``DfnsAuthenticator/completeRegistration(_:firstFactor:secondFactor:recovery:)`` or
    /// ``DfnsAuthenticator/completeEndUserRegistration(_:firstFactor:wallets:recovery:)``.
    /// - Parameters:
    ///   - email: the user's email (their username at Dfns).
    ///   - kind: `EndUser` or `CustomerEmployee`.
    ///   - externalId: the application's id of the user.
    public func delegatedRegistration(email: String, kind: String = "EndUser", externalId: String? = nil) async throws -> RegistrationChallenge {
        try DfnsAuthenticator.registration(
            try await send(DfnsAuth.createDelegatedRegistrationChallenge(email: email, kind: kind, externalId: externalId)))
    }

    /// Logs a user in on their behalf, as a service account does for its application's users
    /// (`POST /auth/login/delegated`, signed; dfns-sdk-ts `delegatedLogin`): the user's token, which reads as them;
    /// their writes still need their own signature (``DfnsDelegatedClient`` with that token).
    public func delegatedLogin(username: String) async throws -> String {
        guard let token = try await send(DfnsAuth.delegatedLogin(username: username))["token"]?.stringValue else {
            throw DfnsError(code: .decoding, message: "the delegated login answered no token")
        }
        return token
    }
}
