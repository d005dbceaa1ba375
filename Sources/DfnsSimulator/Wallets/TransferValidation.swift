/// The simulator's own check of a transfer body, as Dfns answers it with 400s.
enum TransferValidation {
    /// Returns the first problem with `body`, or nil when Dfns would accept it.
    static func problem(in body: [String: Any]) -> String? {
        guard let kind = body["kind"] as? String else { return "kind is required and must be a string" }
        let required: [String]
        switch kind {
        case "Native": required = ["to", "amount"]
        case "Erc20", "Trc20": required = ["contract", "to", "amount"]
        case "Erc721", "Trc721": required = ["contract", "to", "tokenId"]
        case "Trc10": required = ["tokenId", "to", "amount"]
        case "Spl", "Spl2022": required = ["mint", "to", "amount"]
        case "Asa": required = ["assetId", "to", "amount"]
        case "Sep41": required = ["issuer", "assetCode", "to", "amount"]
        case "Tep74": required = ["master", "to", "amount"]
        default: return "kind \(kind) is not a supported transfer kind"
        }
        for field in required {
            guard let value = body[field] as? String, !value.isEmpty else {
                return "\(field) is required for \(kind) transfers and must be a non-empty string"
            }
        }
        if let amount = body["amount"] {
            guard let text = amount as? String, !text.isEmpty, text.allSatisfy(\.isASCIIDigit), text.contains(where: { $0 != "0" })
            else { return "amount must be a positive integer string" }
        }
        if let externalId = body["externalId"], !(externalId is String) { return "externalId must be a string" }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
