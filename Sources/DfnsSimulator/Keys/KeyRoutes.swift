import Foundation
import Hummingbird

/// The keys routes (dfns-sdk 1.0.4 `generated/keys/client.py`): keys of the organisation — those it made with
/// `POST /keys` or imported, and the signing keys of its wallets — and their signatures, which move Pending →
/// Executing → Signed on the transfer clock and are deduplicated by `externalId`.
extension DfnsSimulator {
    /// The scheme and curve pairs Dfns makes keys for.
    private static let keyKinds: Set<String> = ["ECDSA/secp256k1", "EdDSA/ed25519", "Schnorr/secp256k1", "ECDSA/stark"]

    func addKeyRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.post("/keys") { [documents] _, context in
            let object = try Self.object(context.requestBody)
            guard let scheme = object["scheme"] as? String, let curve = object["curve"] as? String, Self.keyKinds.contains("\(scheme)/\(curve)")
            else {
                throw APIError.badRequest("scheme and curve must be one of \(Self.keyKinds.sorted().joined(separator: ", "))")
            }
            return APIResponse(json: try Self.newKey(scheme: scheme, curve: curve, object, principal: context.caller(), documents: documents))
        }
        api.post("/keys/import") { [documents] _, context in
            let object = try Self.object(context.requestBody)
            try Self.checkKeyShares(object)
            let curve = object["curve"] as? String ?? ""
            return APIResponse(
                json: try Self.newKey(
                    scheme: curve == "ed25519" ? "EdDSA" : "ECDSA", curve: curve, object, principal: context.caller(), documents: documents,
                    imported: true
                ))
        }
        api.get("/keys") { [walletStore, documents] request, context in
            let principal = try context.caller()
            let made = documents.all(.key, orgId: principal.orgId)
            let materialized = Set(made.map(\.id))
            let walletKeys = walletStore.listWallets(principal: principal, limit: Int.max, after: 0).items
                .filter { !materialized.contains($0.signingKey.id) }.map(Self.walletKey)
            // Every key here belongs to the caller's organisation; an owner filter for another user matches none.
            let owner = Self.formQuery(request.uri.query ?? "")["owner"]
            let keys = owner == nil || owner == principal.userId ? made.map(\.json) + walletKeys : []
            return APIResponse(json: try Self.paged(keys, request))
        }
        api.get("/keys/:keyId") { [walletStore, documents] _, context in
            APIResponse(
                json: try Self.key(Self.parameter(context, "keyId"), principal: context.caller(), wallets: walletStore, documents: documents).json)
        }
        api.put("/keys/:keyId") { [walletStore, documents] _, context in
            guard let name = try Self.object(context.requestBody)["name"] as? String else {
                throw APIError.badRequest("name is required and must be a string")
            }
            return APIResponse(
                json: try Self.changeKey(Self.parameter(context, "keyId"), principal: context.caller(), wallets: walletStore, documents: documents) {
                    $0["name"] = name
                })
        }
        api.delete("/keys/:keyId") { [walletStore, documents] _, context in
            APIResponse(
                json: try Self.changeKey(Self.parameter(context, "keyId"), principal: context.caller(), wallets: walletStore, documents: documents) {
                    key in
                    key["status"] = "Archived"
                    key["dateDeleted"] = SimulatedTransfer.format(Date())
                })
        }
        api.post("/keys/:keyId/delegate") { [walletStore, documents] _, context in
            guard let user = try Self.object(context.requestBody)["delegateTo"] as? String, !user.isEmpty else {
                throw APIError.badRequest("delegateTo (a user id) is required")
            }
            let key = try Self.delegateKey(
                Self.parameter(context, "keyId"), to: user, principal: context.caller(), wallets: walletStore, documents: documents)
            return APIResponse(json: ["keyId": key["id"] ?? "", "status": "Delegated"])
        }
        api.post("/keys/:keyId/derive") { [walletStore, documents] _, context in
            let object = try Self.object(context.requestBody)
            guard let domain = object["domain"] as? String, let seed = object["seed"] as? String,
                [domain, seed].allSatisfy({ $0.hasPrefix("0x") && $0.dropFirst(2).allSatisfy(\.isHexDigit) })
            else { throw APIError.badRequest("domain and seed must be 0x-prefixed hex") }
            let key = try Self.key(Self.parameter(context, "keyId"), principal: context.caller(), wallets: walletStore, documents: documents)
            let output = SimulatorDigest.sha256(Array("\(key.id)|\(domain.lowercased())|\(seed.lowercased())".utf8))
            return APIResponse(json: ["output": "0x" + SimulatorDigest.hex(output)])
        }
        api.post("/keys/:keyId/export") { [configuration, walletStore, documents] _, context in
            APIResponse(
                json: try Self.exportKey(
                    Self.parameter(context, "keyId"), Self.object(context.requestBody), enabled: configuration.keyExportEnabled,
                    principal: context.caller(), wallets: walletStore, documents: documents))
        }
        addSignatureRoutes(to: api)
    }

    private func addSignatureRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        let step = configuration.transferStep
        api.post("/keys/:keyId/signatures") { [walletStore, documents] _, context in
            let document = try Self.createSignature(
                Self.parameter(context, "keyId"), Self.object(context.requestBody), principal: context.caller(), wallets: walletStore,
                documents: documents)
            return APIResponse(json: Self.signature(document, at: Date(), step: step))
        }
        api.get("/keys/:keyId/signatures/:signatureId") { [documents] _, context in
            let signature = try documents.get(
                .signature, Self.parameter(context, "signatureId"), orgId: context.caller().orgId, parent: Self.parameter(context, "keyId"),
                what: "signature"
            )
            return APIResponse(json: Self.signature(signature, at: Date(), step: step))
        }
        api.get("/keys/:keyId/signatures") { [walletStore, documents] request, context in
            let principal = try context.caller()
            let key = try Self.key(Self.parameter(context, "keyId"), principal: principal, wallets: walletStore, documents: documents)
            let now = Date()
            return APIResponse(
                json: try Self.paged(
                    documents.all(.signature, orgId: principal.orgId, parent: key.id).map { Self.signature($0, at: now, step: step) }, request))
        }
    }

    /// What is wrong with a signature body, per `kind` (dfns-sdk 1.0.4 `GenerateSignature…` kinds).
    static func signatureProblem(_ object: [String: Any]) -> String? {
        if let externalId = object["externalId"], !(externalId is String) { return "externalId must be a string" }
        func hex(_ name: String) -> String? {
            guard let value = object[name] as? String, value.hasPrefix("0x"), value.count > 2, value.dropFirst(2).allSatisfy(\.isHexDigit) else {
                return "\(name) must be 0x-prefixed hex"
            }
            return nil
        }
        switch object["kind"] as? String {
        case "Hash": return hex("hash")
        case "Message": return hex("message")
        case "Transaction": return object["transaction"] is String ? nil : "transaction is required for kind Transaction"
        case "Eip712":
            return object["types"] is [String: Any] && object["domain"] is [String: Any] && object["message"] is [String: Any]
                ? nil : "types, domain and message must be objects for kind Eip712"
        case "Psbt": return object["psbt"] is String ? nil : "psbt is required for kind Psbt"
        case "Eip7702": return object["address"] is String ? nil : "address is required for kind Eip7702"
        case "Bip322", "Cip8", "SignDocDirect", "SignerPayload", "Json": return nil
        case let kind?: return "kind \(kind) is not a signature kind"
        case nil: return "kind is required"
        }
    }

    /// A signature at `now`: Pending, Executing after one step, Signed after two, with `{r, s, recid, encoded}`.
    static func signature(_ document: DocumentStore.Document, at now: Date, step: Duration) -> [String: Any] {
        var json = document.json
        let elapsed = now.timeIntervalSince(document.createdAt) / step.secondsValue
        json["status"] = elapsed < 1 ? "Pending" : elapsed < 2 ? "Executing" : "Signed"
        if elapsed >= 1 { json["datePolicyResolved"] = SimulatedTransfer.format(document.createdAt.addingTimeInterval(step.secondsValue)) }
        if elapsed >= 2 {
            let digest = SimulatorDigest.sha256(document.request ?? [])
            let r = "0x" + SimulatorDigest.hex(digest)
            let s = "0x" + SimulatorDigest.hex(digest.reversed())
            json["signature"] = ["r": r, "s": s, "recid": Int(digest[0] & 1), "encoded": r + s.dropFirst(2)]
            json["dateSigned"] = SimulatedTransfer.format(document.createdAt.addingTimeInterval(2 * step.secondsValue))
        }
        return json
    }

    private static func newKey(
        scheme: String, curve: String, _ object: [String: Any], principal: Principal, documents: DocumentStore, imported: Bool = false
    ) throws(APIError) -> [String: Any] {
        var generator = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
        let id = documents.newId("key-")
        var key: [String: Any] = [
            "id": id, "scheme": scheme, "curve": curve, "publicKey": NetworkCatalog.publicKey(scheme: scheme, using: &generator),
            "status": "Active", "custodial": true, "dateCreated": SimulatedTransfer.format(Date()), "wallets": [Any](), "store": ["kind": "Mpc"],
        ]
        key["name"] = try optionalString(object, "name")
        if let masterKey = SimulatorJSON.boolean(object["masterKey"]) { key["masterKey"] = masterKey }
        if imported { key["imported"] = true }
        return documents.insert(.key, id: id, orgId: principal.orgId, json: key).json
    }

    /// A wallet's signing key as `/keys` shows it.
    private static func walletKey(_ wallet: SimulatedWallet) -> [String: Any] {
        var key: [String: Any] = [
            "id": wallet.signingKey.id, "scheme": wallet.signingKey.scheme, "curve": wallet.signingKey.curve,
            "publicKey": wallet.signingKey.publicKey, "status": "Active", "custodial": wallet.delegatedTo == nil, "dateCreated": wallet.dateCreated,
            "wallets": [["id": wallet.id, "network": wallet.network]], "store": ["kind": "Mpc"],
        ]
        key["delegatedTo"] = wallet.delegatedTo
        return key
    }

    /// Key `id`: one made through `/keys`, or a wallet's signing key (stored on its first change).
    static func key(_ id: String, principal: Principal, wallets: WalletStore, documents: DocumentStore) throws(APIError)
        -> DocumentStore.Document
    {
        if let document = try? documents.get(.key, id, orgId: principal.orgId, what: "key") { return document }
        guard let wallet = wallets.listWallets(principal: principal, limit: Int.max, after: 0).items.first(where: { $0.signingKey.id == id }) else {
            throw APIError(404, "key not found", details: ["keyId": id])
        }
        return documents.insert(.key, id: id, orgId: principal.orgId, json: walletKey(wallet))
    }

    private static func changeKey(
        _ keyId: String, principal: Principal, wallets: WalletStore, documents: DocumentStore,
        _ change: (inout [String: Any]) throws(APIError) -> Void
    ) throws(APIError) -> [String: Any] {
        let key = try key(keyId, principal: principal, wallets: wallets, documents: documents)
        return try documents.update(.key, key.id, orgId: principal.orgId, what: "key", change)
    }

    /// Delegates key `keyId` to end user `user` (it is no longer custodial); a key delegates once.
    static func delegateKey(_ keyId: String, to user: String, principal: Principal, wallets: WalletStore, documents: DocumentStore) throws(APIError)
        -> [String: Any]
    {
        let key = try changeKey(keyId, principal: principal, wallets: wallets, documents: documents) { (key) throws(APIError) in
            guard key["custodial"] as? Bool != false else { throw APIError.badRequest("key is already delegated") }
            key["custodial"] = false
            key["delegatedTo"] = user
        }
        wallets.delegate(keyId: keyId, to: user, orgId: principal.orgId)
        return key
    }

    /// Exports key `keyId` to `encryptionKey` (body `object`): its shares, encrypted; 403 unless the organisation
    /// has export `enabled`, as at Dfns.
    static func exportKey(
        _ keyId: String, _ object: [String: Any], enabled: Bool, principal: Principal, wallets: WalletStore, documents: DocumentStore
    ) throws(APIError) -> [String: Any] {
        guard enabled else { throw APIError(403, "key export is not enabled for this organisation (ask Dfns to enable it)") }
        guard object["encryptionKey"] is String, let schemes = object["supportedSchemes"] as? [[String: Any]], !schemes.isEmpty else {
            throw APIError.badRequest("encryptionKey and a non-empty supportedSchemes are required")
        }
        let key = try changeKey(keyId, principal: principal, wallets: wallets, documents: documents) { key in
            key["exported"] = true
            key["dateExported"] = SimulatedTransfer.format(Date())
        }
        return [
            "publicKey": key["publicKey"] ?? "", "protocol": schemes[0]["protocol"] ?? "CGGMP24", "curve": key["curve"] ?? "", "minSigners": 3,
            "encryptedKeyShares": (1...5).map {
                ["signerId": "signer-\($0)", "encryptedKeyShare": Base64Text.standard(Array("share-\($0)-\(key["id"] ?? "")".utf8))]
            },
        ]
    }

    /// A signature of key `keyId` for body `object`, or the one already made with its `externalId` (a different body
    /// with the same `externalId` is a 409). `extra` members go into a new signature's JSON (a wallet's signature
    /// names its wallet and network).
    static func createSignature(
        _ keyId: String, _ object: [String: Any], principal: Principal, wallets: WalletStore, documents: DocumentStore, extra: [String: Any] = [:]
    ) throws(APIError) -> DocumentStore.Document {
        let key = try key(keyId, principal: principal, wallets: wallets, documents: documents)
        guard key.json["status"] as? String != "Archived" else { throw APIError.badRequest("key \(key.id) is archived") }
        if let problem = signatureProblem(object) { throw APIError.badRequest(problem) }
        let request = SimulatorJSON.serialize(object, sorted: true)
        let externalId = object["externalId"] as? String
        if let externalId, let existing = documents.find(.signature, orgId: principal.orgId, parent: key.id, externalId: externalId) {
            guard existing.request == request else {
                throw APIError(
                    409, "Conflicting signature with same externalId", details: ["duplicate": ["id": existing.id, "externalId": externalId]])
            }
            return existing
        }
        let id = documents.newId("sig-")
        var json: [String: Any] = [
            "id": id, "keyId": key.id, "requester": ["userId": principal.userId, "tokenId": principal.tokenId], "requestBody": object,
            "dateRequested": SimulatedTransfer.format(Date()),
        ]
        json["externalId"] = externalId
        json.merge(extra) { _, new in new }
        return documents.insert(.signature, id: id, orgId: principal.orgId, parent: key.id, json: json, externalId: externalId, request: request)
    }
}
