import DfnsSDK

/// What the backend keeps of one browser, under the random id its cookie holds: the user's Dfns login once they have
/// registered or logged in, and the challenges they are in the middle of answering. None of it is ever sent to the
/// browser: the tokens are bearer credentials, and a challenge's identifier stays here so a page can only answer the
/// challenges this session asked for.
struct EndUserSession: Sendable {
    /// A logged-in end user.
    struct User: Sendable {
        /// Their Dfns id, `us-…`.
        let id: String
        /// Their username at Dfns (the email they registered with), when known.
        let username: String?
        /// Their Dfns login: reads as them, and starts the user actions only their passkey can sign.
        let token: String
    }

    /// The user, once registered or logged in.
    var user: User?
    /// The registration this browser opened and has not completed (its temporary token completes it).
    var registration: RegistrationChallenge?
    /// The login challenge this browser asked for and has not answered.
    var login: UserActionChallenge?
    /// The writes waiting for the user's signature, by the id the page names them with.
    var actions: [String: PendingUserAction] = [:]
    /// When the browser last used the session; an idle session is forgotten.
    var lastUsed: ContinuousClock.Instant = .now
}
