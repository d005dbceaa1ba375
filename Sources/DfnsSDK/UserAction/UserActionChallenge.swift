/// The challenge `POST /auth/action/init` returns, to be signed by a credential.
public struct UserActionChallenge: Sendable, Hashable, Decodable {
    /// The base64url challenge string, signed verbatim inside the client data.
    public let challenge: String
    /// The opaque identifier sent back with the signature.
    public let challengeIdentifier: String
    /// The key credential ids (`allowCredentials.key[].id`) Dfns accepts for this challenge.
    public let allowedKeyCredentialIds: [String]
    /// The whole response as Dfns sent it.
    public let raw: JSONValue

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }
}

extension UserActionChallenge: JSONValueDecodable {
    init(json: JSONValue) throws {
        challenge = try json.requiredString("challenge")
        challengeIdentifier = try json.requiredString("challengeIdentifier")
        switch json["allowCredentials"]?["key"] {
        case .array(let keys)?:
            allowedKeyCredentialIds = try keys.map { key in
                guard let id = key["id"]?.stringValue else { throw JSONFieldError(field: "allowCredentials.key[].id", expected: "a string") }
                return id
            }
        case nil, .null?:
            allowedKeyCredentialIds = []
        default:
            throw JSONFieldError(field: "allowCredentials.key", expected: "an array")
        }
        raw = json
    }
}
