/// The body of `POST /wallets/{walletId}/transfers`: one typed case per documented kind, and ``raw(_:)`` for kinds
/// the SDK does not model (or modelled kinds with fields it does not know).
///
/// Amounts are integer strings in the asset's minimum unit (wei, satoshi, lamports…).
public enum TransferRequest: Sendable, Hashable {
    /// The network's own coin (ETH, BTC, SOL…).
    case native(to: String, amount: String, memo: String? = nil, priority: String? = nil, externalId: String? = nil)
    /// An ERC-20 token on an EVM network.
    case erc20(contract: String, to: String, amount: String, priority: String? = nil, externalId: String? = nil)
    /// An ERC-721 NFT on an EVM network.
    case erc721(contract: String, to: String, tokenId: String, priority: String? = nil, externalId: String? = nil)
    /// A TRC-10 token on Tron.
    case trc10(tokenId: String, to: String, amount: String, externalId: String? = nil)
    /// A TRC-20 token on Tron.
    case trc20(contract: String, to: String, amount: String, externalId: String? = nil)
    /// A TRC-721 NFT on Tron.
    case trc721(contract: String, to: String, tokenId: String, externalId: String? = nil)
    /// An SPL token on Solana.
    case spl(mint: String, to: String, amount: String, createDestinationAccount: Bool? = nil, externalId: String? = nil)
    /// A Token-2022 SPL token on Solana.
    case spl2022(mint: String, to: String, amount: String, createDestinationAccount: Bool? = nil, externalId: String? = nil)
    /// An Algorand Standard Asset.
    case asa(assetId: String, to: String, amount: String, externalId: String? = nil)
    /// A Stellar asset (SEP-41).
    case sep41(issuer: String, assetCode: String, to: String, amount: String, memo: String? = nil, externalId: String? = nil)
    /// A TON jetton (TEP-74).
    case tep74(master: String, to: String, amount: String, memo: String? = nil, externalId: String? = nil)
    /// Any JSON object with a `kind`, sent as given.
    case raw(JSONValue)

    /// The JSON body.
    public var json: JSONValue {
        func object(_ kind: String, _ fields: [(String, JSONValue?)]) -> JSONValue {
            var members: [String: JSONValue] = ["kind": .string(kind)]
            for (key, value) in fields { if let value { members[key] = value } }
            return .object(members)
        }
        func string(_ value: String?) -> JSONValue? { value.map(JSONValue.string) }
        func bool(_ value: Bool?) -> JSONValue? { value.map(JSONValue.bool) }

        switch self {
        case .native(let to, let amount, let memo, let priority, let externalId):
            return object(
                "Native",
                [
                    ("to", string(to)), ("amount", string(amount)), ("memo", string(memo)), ("priority", string(priority)),
                    ("externalId", string(externalId)),
                ])
        case .erc20(let contract, let to, let amount, let priority, let externalId):
            return object(
                "Erc20",
                [
                    ("contract", string(contract)), ("to", string(to)), ("amount", string(amount)), ("priority", string(priority)),
                    ("externalId", string(externalId)),
                ])
        case .erc721(let contract, let to, let tokenId, let priority, let externalId):
            return object(
                "Erc721",
                [
                    ("contract", string(contract)), ("to", string(to)), ("tokenId", string(tokenId)), ("priority", string(priority)),
                    ("externalId", string(externalId)),
                ])
        case .trc10(let tokenId, let to, let amount, let externalId):
            return object(
                "Trc10", [("tokenId", string(tokenId)), ("to", string(to)), ("amount", string(amount)), ("externalId", string(externalId))])
        case .trc20(let contract, let to, let amount, let externalId):
            return object(
                "Trc20", [("contract", string(contract)), ("to", string(to)), ("amount", string(amount)), ("externalId", string(externalId))])
        case .trc721(let contract, let to, let tokenId, let externalId):
            return object(
                "Trc721", [("contract", string(contract)), ("to", string(to)), ("tokenId", string(tokenId)), ("externalId", string(externalId))])
        case .spl(let mint, let to, let amount, let createDestinationAccount, let externalId):
            return object(
                "Spl",
                [
                    ("mint", string(mint)), ("to", string(to)), ("amount", string(amount)),
                    ("createDestinationAccount", bool(createDestinationAccount)), ("externalId", string(externalId)),
                ])
        case .spl2022(let mint, let to, let amount, let createDestinationAccount, let externalId):
            return object(
                "Spl2022",
                [
                    ("mint", string(mint)), ("to", string(to)), ("amount", string(amount)),
                    ("createDestinationAccount", bool(createDestinationAccount)), ("externalId", string(externalId)),
                ])
        case .asa(let assetId, let to, let amount, let externalId):
            return object("Asa", [("assetId", string(assetId)), ("to", string(to)), ("amount", string(amount)), ("externalId", string(externalId))])
        case .sep41(let issuer, let assetCode, let to, let amount, let memo, let externalId):
            return object(
                "Sep41",
                [
                    ("issuer", string(issuer)), ("assetCode", string(assetCode)), ("to", string(to)), ("amount", string(amount)),
                    ("memo", string(memo)), ("externalId", string(externalId)),
                ])
        case .tep74(let master, let to, let amount, let memo, let externalId):
            return object(
                "Tep74",
                [
                    ("master", string(master)), ("to", string(to)), ("amount", string(amount)), ("memo", string(memo)),
                    ("externalId", string(externalId)),
                ])
        case .raw(let value):
            return value
        }
    }

    /// The `kind` field, e.g. `Native`.
    public var kind: String? { json["kind"]?.stringValue }

    /// The idempotency key, if the body carries one.
    public var externalId: String? { json["externalId"]?.stringValue }

    /// The same request with `externalId` set (replacing any existing one), as a raw body.
    public func withExternalId(_ externalId: String) -> TransferRequest {
        var members = json.objectValue ?? [:]
        members["externalId"] = .string(externalId)
        return .raw(.object(members))
    }

    /// Checks the body as Dfns would: an object with a known `kind`, its required fields present as non-empty
    /// strings, `amount` a positive integer string, optional strings being strings. Fields the SDK does not know pass
    /// through, since Dfns adds fields to kinds over time (e.g. `targetChain` on `Native`).
    /// - Parameter strict: also refuse, by name, any field not documented for the kind (catches typos before Dfns does).
    /// - Throws: ``DfnsError`` with code `.validation` whose message names the field.
    public func validate(strict: Bool = false) throws {
        try Self.validate(json, strict: strict)
    }

    /// Validates any JSON transfer body; see ``validate(strict:)``.
    public static func validate(_ body: JSONValue, strict: Bool = false) throws {
        guard let members = body.objectValue else { throw invalid("the transfer body must be a JSON object") }
        guard let kindValue = members["kind"] else { throw invalid("kind is required") }
        guard let kind = kindValue.stringValue else { throw invalid("kind must be a string") }
        guard let required = requiredFields[kind] ?? (unmodelledKinds.contains(kind) ? [] : nil) else {
            let known = (Array(requiredFields.keys) + unmodelledKinds).sorted().joined(separator: ", ")
            throw invalid("kind \(kind.prefix(40).debugDescription) is not a Dfns transfer kind (one of \(known))")
        }
        if strict, requiredFields[kind] != nil,
            let unknown = members.keys.sorted().first(where: { !required.contains($0) && !optionalFields.contains($0) && $0 != "kind" })
        {
            throw invalid("\(unknown) is not a field of a \(kind) transfer")
        }
        for field in required {
            guard let value = members[field] else { throw invalid("\(field) is required for a \(kind) transfer") }
            guard let text = value.stringValue else { throw invalid("\(field) must be a string") }
            guard !text.isEmpty else { throw invalid("\(field) must not be empty") }
            // Addresses, contracts, mints and token ids are printable ASCII on every chain Dfns supports.
            guard text.utf8.count <= 256, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw invalid("\(field) must be at most 256 printable ASCII characters without spaces")
            }
        }
        if let amountValue = members["amount"], amountValue.stringValue == nil {
            throw invalid("amount must be a string")
        }
        if let amount = members["amount"]?.stringValue, !isPositiveInteger(amount) {
            throw invalid("amount must be a positive integer string in the asset's minimum unit, got \(amount.prefix(40).debugDescription)")
        }
        for field in ["externalId", "memo", "priority"] {
            if let value = members[field], value.stringValue == nil {
                throw invalid("\(field) must be a string")
            }
        }
        if let externalId = members["externalId"]?.stringValue, externalId.isEmpty || externalId.count > 256 {
            throw invalid("externalId must be 1 to 256 characters")
        }
        for field in ["externalId", "memo"] {
            guard let text = members[field]?.stringValue else { continue }
            guard text.count <= 1024, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
                throw invalid("\(field) must be at most 1024 characters without control characters")
            }
        }
        if let priority = members["priority"]?.stringValue, !["Slow", "Standard", "Fast"].contains(priority) {
            throw invalid("priority must be Slow, Standard or Fast")
        }
    }

    /// Required string fields per documented kind (dfns-api §5).
    public static let requiredFields: [String: [String]] = [
        "Native": ["to", "amount"],
        "Erc20": ["contract", "to", "amount"],
        "Erc721": ["contract", "to", "tokenId"],
        "Trc10": ["tokenId", "to", "amount"],
        "Trc20": ["contract", "to", "amount"],
        "Trc721": ["contract", "to", "tokenId"],
        "Spl": ["mint", "to", "amount"],
        "Spl2022": ["mint", "to", "amount"],
        "Asa": ["assetId", "to", "amount"],
        "Sep41": ["issuer", "assetCode", "to", "amount"],
        "Tep74": ["master", "to", "amount"],
    ]

    /// Optional fields Dfns accepts on the documented kinds.
    public static let optionalFields: Set<String> = [
        "externalId", "priority", "memo", "feeSponsorId", "createDestinationAccount", "offer", "expiresAt", "travelRule",
    ]

    /// Kinds Dfns lists whose fields the SDK does not check beyond `amount` (sent through ``raw(_:)``).
    public static let unmodelledKinds: [String] = [
        "Aip21", "Asset", "Cip56", "Cis2", "Cis7", "Coin", "Erc7984", "Hip17", "Hts", "Iou", "Snip2", "Snip3", "Xls33",
    ]

    private static func isPositiveInteger(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && text.contains { $0 != "0" }
            && text.utf8.count <= 78
    }

    private static func invalid(_ message: String) -> DfnsError {
        DfnsError(code: .validation, message: message)
    }
}

extension TransferRequest: Encodable {
    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
