/// An end user's completed registration (`/auth/registration/enduser`; dfns-sdk 1.0.4 `RegisterEndUserResponse`): the
/// user, their first credential, the wallets made for them (delegated to them) and their login.
public struct EndUserRegistration: Sendable, Hashable {
    /// The user's id (`user.id`, `us-…`).
    public let userId: String
    /// The login the registration answers (`authentication.token`): the user's token, as a login's.
    public let token: String
    /// The wallets made for the user.
    public let wallets: [Wallet]
    /// The whole answer as Dfns sent it (`credential`, `user`, `authentication`, `wallets`).
    public let raw: JSONValue
}

extension EndUserRegistration: JSONValueDecodable {
    init(json: JSONValue) throws {
        guard let userId = json["user"]?["id"]?.stringValue else { throw JSONFieldError(field: "user.id", expected: "a string") }
        guard let token = json["authentication"]?["token"]?.stringValue else {
            throw JSONFieldError(field: "authentication.token", expected: "a string")
        }
        self.userId = userId
        self.token = token
        self.wallets = try (json["wallets"]?.arrayValue ?? []).map { try Wallet(json: $0) }
        self.raw = json
    }
}
