import DfnsSDK
import DfnsWorker

/// `generate_signature`: a signature from a key (`POST /keys/{keyId}/signatures`: `Hash`, `Message`, `Transaction`,
/// `Eip712`, `Psbt` and the other kinds Dfns signs). Payload: `keyId` and the Dfns signature body (`kind`, …,
/// `externalId?`); result: the signature request, `Signed`, with its `signature`. Submitted once and followed as every
/// ``FollowedOperation``.
public struct GenerateSignatureJob: JobHandler {
    public let kind = "generate_signature"

    public init() {}

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        if let keyId = job.submittedParent(noun: "signature", parentName: "keyId") {
            return try await Operation(keyId: keyId).follow(job, payloadBody: .null, context: context)
        }
        let payload = try PayloadReader(job.payload)
        let keyId = try payload.string("keyId", maxLength: 64, format: .identifier)
        let body = payload.remainder(excluding: ["keyId"])
        try BodyRules.signature.check(body)
        return try await Operation(keyId: keyId).follow(job, payloadBody: body, context: context)
    }

    private struct Operation: FollowedOperation {
        let keyId: String
        var noun: String { "signature" }
        var parent: (name: String, id: String) { ("keyId", keyId) }

        func create(_ body: JSONValue) throws -> DfnsRequest<KeySignature> { try DfnsKeys.generateSignature(keyId: keyId, body) }
        func get(_ id: String) throws -> DfnsRequest<KeySignature> { try DfnsKeys.getSignature(keyId: keyId, signatureId: id) }
        func page(_ token: String?) throws -> DfnsRequest<Page<JSONValue>> {
            try DfnsKeys.listSignatures(keyId: keyId, limit: 100, paginationToken: token).decoding(as: Page<JSONValue>.self)
        }

        /// Done once `Signed` (or `Confirmed`, for kinds Dfns also broadcasts).
        func progress(of signature: KeySignature) -> OperationProgress {
            switch signature.status {
            case "Signed", "Confirmed": .done
            case "Failed": .failed(signature.reason)
            case "Rejected": .rejected(signature.reason)
            default: .moving
            }
        }
    }
}
