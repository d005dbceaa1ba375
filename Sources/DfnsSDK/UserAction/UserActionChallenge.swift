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

    private enum CodingKeys: String, CodingKey { case challenge, challengeIdentifier, allowCredentials }
    private struct AllowCredentials: Decodable { let key: [Credential]? }
    private struct Credential: Decodable { let id: String }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        challenge = try container.decode(String.self, forKey: .challenge)
        challengeIdentifier = try container.decode(String.self, forKey: .challengeIdentifier)
        let allow = try container.decodeIfPresent(AllowCredentials.self, forKey: .allowCredentials)
        allowedKeyCredentialIds = allow?.key?.map(\.id) ?? []
        raw = try JSONValue(from: decoder)
    }
}
