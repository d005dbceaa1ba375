import NIOHTTP1

extension DfnsAuth {
    /// `POST /auth/registration/delegated/restart` (signed): dfns-sdk-ts's `recreateDelegatedRegistrationChallenge`
    /// (0.5.x), which the Python SDK lacks: a new registration challenge for an end user a service account registered
    /// on their behalf who has not completed it (``createDelegatedRegistrationChallenge(email:kind:externalId:)`` refuses
    /// an email already taken, 409).
    /// - Parameters:
    ///   - email: the user's email (username), as given to the first delegated registration.
    ///   - kind: `EndUser` or `CustomerEmployee`.
    ///   - externalId: the user's external id.
    public static func recreateDelegatedRegistrationChallenge(email: String, kind: String, externalId: String? = nil) throws -> DfnsRequest<JSONValue>
    {
        .write(
            .POST, "/auth/registration/delegated/restart",
            json: JSONValue.members(["email": .string(email), "kind": .string(kind), "externalId": externalId.map { .string($0) }]),
            endpoint: "/auth/registration/delegated/restart")
    }
}
