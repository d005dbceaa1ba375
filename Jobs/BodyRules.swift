import DfnsSDK
import DfnsWorker

/// The members a Dfns request body needs for each `kind` the job catalog knows, checked before anything is sent
/// (dfns-sdk 1.0.4 `SignAndBroadcastTransaction…` and `GenerateSignature…` request types). Kinds not listed are passed
/// through: Dfns adds kinds, and answers a bad one with a 400 that fails the job as `validation`.
struct BodyRules {
    /// A member's required shape.
    enum Shape {
        case string, hex, object

        func accepts(_ value: JSONValue) -> Bool {
            switch self {
            case .string: return value.stringValue?.isEmpty == false
            case .object: return value.objectValue != nil
            case .hex:
                guard let text = value.stringValue, text.hasPrefix("0x"), text.count > 2 else { return false }
                return text.utf8.dropFirst(2).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
            }
        }

        var description: String {
            switch self {
            case .string: "a non-empty string"
            case .hex: "0x-prefixed hex"
            case .object: "an object"
            }
        }
    }

    let what: String
    let required: [String: [(String, Shape)]]

    static let transaction = BodyRules(
        what: "transaction",
        required: [
            "Transaction": [("transaction", .string)],
            "Evm": [("to", .hex)], "Eip1559": [("to", .hex)], "Eip2930": [("to", .hex)],
            "Psbt": [("psbt", .string)],
            "Json": [("transaction", .object)],
        ])

    static let signature = BodyRules(
        what: "signature",
        required: [
            "Hash": [("hash", .hex)],
            "Message": [("message", .hex)],
            "Transaction": [("transaction", .string)],
            "Eip712": [("types", .object), ("domain", .object), ("message", .object)],
            "Psbt": [("psbt", .string)],
            "Eip7702": [("address", .hex)],
        ])

    /// Checks `body` (the payload without the job's own fields); throws `invalid_payload` naming the member.
    func check(_ body: JSONValue) throws {
        guard let kind = body["kind"]?.stringValue, !kind.isEmpty else {
            throw JobFailure.invalidPayload("payload.kind is required: the \(what) kind (\(required.keys.sorted().joined(separator: ", ")), …)")
        }
        // As for transfers (TransferRequest): an empty externalId would be no idempotency key at all.
        if let externalId = body["externalId"], !(externalId.stringValue.map { (1...256).contains($0.count) } ?? false) {
            throw JobFailure.invalidPayload("payload.externalId must be a string of 1 to 256 characters")
        }
        for (member, shape) in required[kind] ?? [] where !(body[member].map(shape.accepts) ?? false) {
            throw JobFailure.invalidPayload("payload.\(member) is required for a \(kind) \(what) and must be \(shape.description)")
        }
    }
}
