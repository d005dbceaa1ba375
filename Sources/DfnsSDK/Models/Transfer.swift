/// A Dfns transfer request. Typed fields cover what the worker uses; ``raw`` keeps everything Dfns returned.
public struct Transfer: Sendable, Hashable, Decodable, Identifiable {
    public let id: String
    public let walletId: String
    public let network: String?
    public let status: TransferStatus
    /// Why it failed or was rejected.
    public let reason: String?
    public let txHash: String?
    public let fee: String?
    public let externalId: String?
    public let approvalId: String?
    public let dateRequested: String?
    public let dateBroadcasted: String?
    public let dateConfirmed: String?
    /// The body that was submitted, as Dfns echoes it.
    public let requestBody: JSONValue?
    /// The entity exactly as Dfns returned it, unknown fields included.
    public let raw: JSONValue

    private enum CodingKeys: String, CodingKey {
        case id, walletId, network, status, reason, txHash, fee, externalId, approvalId
        case dateRequested, dateBroadcasted, dateConfirmed, requestBody
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        walletId = try container.decode(String.self, forKey: .walletId)
        network = try container.decodeIfPresent(String.self, forKey: .network)
        status = try container.decode(TransferStatus.self, forKey: .status)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        txHash = try container.decodeIfPresent(String.self, forKey: .txHash)
        fee = try container.decodeIfPresent(String.self, forKey: .fee)
        externalId = try container.decodeIfPresent(String.self, forKey: .externalId)
        approvalId = try container.decodeIfPresent(String.self, forKey: .approvalId)
        dateRequested = try container.decodeIfPresent(String.self, forKey: .dateRequested)
        dateBroadcasted = try container.decodeIfPresent(String.self, forKey: .dateBroadcasted)
        dateConfirmed = try container.decodeIfPresent(String.self, forKey: .dateConfirmed)
        requestBody = try container.decodeIfPresent(JSONValue.self, forKey: .requestBody)
        raw = try JSONValue(from: decoder)
    }
}
