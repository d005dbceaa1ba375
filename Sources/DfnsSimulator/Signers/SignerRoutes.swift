import Foundation
import Hummingbird

extension DocumentStore.Kind {
    static let keyStore = Self("keyStore")
    static let fleetOperation = Self("fleetOperation")
}

/// The signers routes (dfns-sdk 1.0.4 `generated/signers/client.py` and `types.py`; routes as dfns-sdk-go
/// `signers/client.go`; the output's `data` part as docs.dfns.co "Submit Genesis Output" / "Submit Clone Output":
/// `{fileChecksum: ^[a-f0-9]{64}$, outputJson: {type: "fleet-output", version: 1, status: "success", org_id, fleet_id,
/// fleet_label, keystore_id, group_id, online_domain, outputs, governance}}`).
///
/// `GET /signers` answers Dfns's signer cluster as dfns-sdk-rs `api/signers/types.rs` types it
/// (`{clusters: [{clusterId, signers: [{signerId, encryptionKey}]}]}`): one cluster of the five signers key exports
/// name (`signer-1`…`signer-5`), the same for every organisation, encryption keys derived from the signer ids.
///
/// A key store is an HSM fleet operated offline. Each organisation has two, seeded on first use with ids derived
/// from the organisation id: `Primary HSM fleet` (`Active`, after its genesis: HSMs `hsm-1001` and `hsm-1002`, Mac
/// `mac-2001`, YubiKeys `yk-3001`…`yk-3003`, 10 secp256k1 and 10 ed25519 keys) and `Standby HSM fleet`
/// (`Uninitialized`, nothing provisioned). A fleet operation runs as Dfns describes it: `create…Input` (204) opens
/// the store's operation group, `Initialized`, whose input archive the offline fleet processes; its output archive
/// comes back with `submit…Output`, which must carry the file whose SHA-256 is `fileChecksum` and an `outputJson`
/// naming the caller's organisation (`org_id`), the store (`keystore_id`) and the pending group (`group_id`); the
/// group is then `Approved` and its effect applied. One operation at a time per store: another input while one is
/// pending is a 409; `cancelFleetOperation` ends the pending group (`Canceled`, with `canceledBy`, `dateCanceled`,
/// `reason`) and answers it (`CancelFleetOperationResponse`). Genesis is only for an `Uninitialized` store (it then
/// becomes `Active` with the output's `fleet_id` and `fleet_label`); every other operation needs an `Active` one and
/// names HSMs and Macs the store has (add-mac-user and add-provisioner register a new Mac or YubiKey with a known
/// HSM, clone adds a new target HSM from a known source, key-harvest adds keys through a known HSM and Mac,
/// proof-of-control names wallets of the organisation).
///
/// Where the official sources leave shapes open (`dict[str, Any]`), the simulator's choices:
/// - a key store (`ListKeyStoresResponse.items`): `{id: "ks-…", name, kind: "Hsm" (the `store.kind` of a Dfns key),
///   status: "Uninitialized" | "Active", dateCreated, fleetId, fleetLabel, hsmSerials, macSerials, yubikeySerials,
///   numProvisioners, numOperational, keys: {secp256k1, ed25519}, fleetOperation}`, where `fleetOperation` is the
///   store's latest operation group (null before the first): this is how a caller learns the `groupId` the input
///   archive carries, since creating an input answers 204;
/// - a group's `operations`: `[{kind, request}]`, the input request as sent;
/// - the review is Dfns's check of the output at upload: `reviewedBy` stays null, `dateReviewed` is the submission's
///   date; the simulator never leaves a group `InReview` nor `Rejected` (no official route reviews one);
/// - `submit…Output` answers `{message}` (`{status}` for onchain-sign and proof-of-control: `partial` when the output's
///   `outputs` lacks one of the input's wallets, `success` otherwise; the simulator has no pending signature request,
///   so an onchain-sign is a `success`);
/// - a second input while one is pending is a 409, like the transfers' conflicts; no route deduplicates (Dfns
///   documents no `externalId` here).
extension DfnsSimulator {
    /// The fleet operations, by the path segment of their `input` and `output` routes, with Dfns's `kind`.
    static let fleetOperationKinds: [(segment: String, kind: String)] = [
        ("genesis", "Genesis"), ("add-mac-user", "AddMacUser"), ("add-provisioner", "AddProvisioner"), ("clone", "Clone"),
        ("key-harvest", "KeyHarvest"), ("onchain-sign", "OnchainSign"), ("proof-of-control", "ProofOfControl"),
    ]
    /// The statuses of a group still waiting for its output (`CancelFleetOperationResponse.status`).
    static let pendingFleetStatuses: Set<String> = ["Initialized", "InReview"]

    func addSignerRoutes(to api: RouterGroup<SimulatorRequestContext>) {
        api.get("/signers") { _, context in
            _ = try context.caller()
            return APIResponse(json: ["clusters": [Self.signerCluster]])
        }
        api.get("/key-stores") { [documents] _, context in
            let principal = try context.caller()
            return APIResponse(json: ["items": Self.keyStores(documents, principal).map { Self.keyStoreJSON(documents, $0) }])
        }
        for (segment, kind) in Self.fleetOperationKinds {
            api.post(RouterPath("/key-stores/:storeId/\(segment)/input")) { [documents, walletStore] _, context in
                let principal = try context.caller()
                let store = try Self.keyStore(documents, context, principal)
                let request = try Self.fleetInput(kind, context.requestBody, store: store, principal: principal, walletStore: walletStore)
                try Self.openFleetOperation(documents, store: store, kind: kind, request: request, principal: principal)
                return APIResponse.noContent
            }
            api.post(RouterPath("/key-stores/:storeId/\(segment)/output")) { [documents] _, context in
                let principal = try context.caller()
                let store = try Self.keyStore(documents, context, principal)
                return APIResponse(json: try Self.submitFleetOutput(documents, kind, context, store: store, principal: principal))
            }
        }
        api.post("/key-stores/:storeId/fleet-operations/cancel") { [documents] _, context in
            let principal = try context.caller()
            let store = try Self.keyStore(documents, context, principal)
            let object = try Self.object(context.requestBody)
            guard let groupId = object["groupId"] as? String, !groupId.isEmpty else {
                throw APIError.badRequest("groupId is required and must be a non-empty string")
            }
            let reason = try Self.optionalString(object, "reason")
            let storeId = store["id"] as? String ?? ""
            let group = try documents.update(.fleetOperation, groupId, orgId: principal.orgId, parent: storeId, what: "fleetOperation") {
                group throws(APIError) in
                let status = group["status"] as? String ?? ""
                guard Self.pendingFleetStatuses.contains(status) else {
                    throw APIError.badRequest("fleet operation \(groupId) is \(status): only an Initialized or InReview one can be canceled")
                }
                group["status"] = "Canceled"
                group["canceledBy"] = principal.userId
                group["dateCanceled"] = SimulatedTransfer.format(Date())
                group["reason"] = reason ?? NSNull()
            }
            return APIResponse(json: group)
        }
    }

    // MARK: Signers

    /// Dfns's signer cluster: the five signers of key exports, with encryption keys derived from their ids.
    static var signerCluster: [String: Any] {
        [
            "clusterId": "cl-simul-ator00-0000000000000001",
            "signers": (1...5).map { index -> [String: Any] in
                let signerId = "signer-\(index)"
                return ["signerId": signerId, "encryptionKey": Base64Text.standard([0x02] + SimulatorDigest.sha256(Array(signerId.utf8)))]
            },
        ]
    }

    // MARK: Key stores

    /// The organisation's key stores, seeded on first use.
    private static func keyStores(_ documents: DocumentStore, _ principal: Principal) -> [[String: Any]] {
        if documents.all(.keyStore, orgId: principal.orgId).isEmpty {
            for store in seededKeyStores(orgId: principal.orgId) {
                documents.insert(.keyStore, id: store["id"] as? String ?? "", orgId: principal.orgId, json: store)
            }
        }
        var seen = Set<String>()  // two first requests at once may both seed the same ids
        return documents.all(.keyStore, orgId: principal.orgId).filter { seen.insert($0.id).inserted }.map(\.json)
    }

    /// Key store `storeId` of the caller's organisation; 404 otherwise.
    private static func keyStore(_ documents: DocumentStore, _ context: SimulatorRequestContext, _ principal: Principal) throws(APIError)
        -> [String: Any]
    {
        _ = keyStores(documents, principal)
        return try documents.get(.keyStore, parameter(context, "storeId"), orgId: principal.orgId, what: "keyStore").json
    }

    /// A key store as listed: its latest operation group joined in.
    private static func keyStoreJSON(_ documents: DocumentStore, _ store: [String: Any]) -> [String: Any] {
        var json = store
        json["fleetOperation"] = latestFleetOperation(documents, store)?.json ?? NSNull()
        return json
    }

    private static func latestFleetOperation(_ documents: DocumentStore, _ store: [String: Any]) -> DocumentStore.Document? {
        guard let storeId = store["id"] as? String, let orgId = store["orgId"] as? String else { return nil }
        return documents.all(.fleetOperation, orgId: orgId, parent: storeId).last
    }

    /// The two key stores every organisation starts with, ids derived from `orgId`.
    static func seededKeyStores(orgId: String) -> [[String: Any]] {
        let date = "2026-01-01T00:00:00.000Z"
        return [
            [
                "id": derivedId("ks-", "\(orgId)/key-store/1"), "orgId": orgId, "name": "Primary HSM fleet", "kind": "Hsm", "status": "Active",
                "dateCreated": date, "fleetId": derivedId("fl-", "\(orgId)/fleet/1"), "fleetLabel": "primary",
                "hsmSerials": ["hsm-1001", "hsm-1002"], "macSerials": ["mac-2001"], "yubikeySerials": ["yk-3001", "yk-3002", "yk-3003"],
                "numProvisioners": 3, "numOperational": 2, "keys": ["secp256k1": 10, "ed25519": 10],
            ],
            [
                "id": derivedId("ks-", "\(orgId)/key-store/2"), "orgId": orgId, "name": "Standby HSM fleet", "kind": "Hsm",
                "status": "Uninitialized", "dateCreated": date, "fleetId": NSNull(), "fleetLabel": NSNull(), "hsmSerials": [String](),
                "macSerials": [String](), "yubikeySerials": [String](), "numProvisioners": 0, "numOperational": 0,
                "keys": ["secp256k1": 0, "ed25519": 0],
            ],
        ]
    }

    /// A Dfns-shaped id (`prefix` then `xxxxx-xxxxx-xxxxxxxxxxxxxxxx`) derived from `seed`.
    static func derivedId(_ prefix: String, _ seed: String) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        let characters = SimulatorDigest.sha256(Array(seed.utf8)).prefix(26).map { alphabet[Int($0) % alphabet.count] }
        return prefix + String(characters[0..<5]) + "-" + String(characters[5..<10]) + "-" + String(characters[10..<26])
    }

    // MARK: Inputs

    /// The checked input request of a `kind` operation on `store`.
    private static func fleetInput(
        _ kind: String, _ body: [UInt8], store: [String: Any], principal: Principal, walletStore: WalletStore
    ) throws(APIError) -> [String: Any] {
        // createOnchainSignInput's body is empty (`CreateOnchainSignInputRequest` has no member): `{}` or nothing.
        let object = body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) ? [:] : try Self.object(body)
        let storeId = store["id"] as? String ?? ""
        let status = store["status"] as? String ?? ""
        if kind == "Genesis" {
            guard status == "Uninitialized" else { throw APIError.badRequest("key store \(storeId) already has a fleet: genesis runs once") }
        } else if status != "Active" {
            throw APIError.badRequest("key store \(storeId) has no fleet yet: run its genesis first")
        }
        if !["OnchainSign", "ProofOfControl"].contains(kind) {
            guard object["kind"] as? String == kind else { throw APIError.badRequest("kind is required and must be \(kind)") }
        }
        let hsms = store["hsmSerials"] as? [String] ?? []
        let macs = store["macSerials"] as? [String] ?? []
        func knownHsm(_ field: String) throws(APIError) {
            let serial = try requiredString(object, field)
            guard hsms.contains(serial) else { throw APIError.badRequest("\(field) \(serial) is not an HSM of key store \(storeId)") }
        }
        switch kind {
        case "Genesis":
            for field in ["numProvisioners", "numOperational"] { _ = try count(object, field, required: true, minimum: 1) }
            for field in ["numSecp256k1", "numEd25519"] { _ = try count(object, field, required: true, minimum: 0) }
            _ = try requiredString(object, "hsmGenesisSerial")
            _ = try optionalString(object, "macGenesisSerial")
            if let version = object["hsmGenesisFirmwareVersion"], version as? String != "2.4" {
                throw APIError.badRequest("hsmGenesisFirmwareVersion must be 2.4")
            }
            if let options = object["debugOptions"], !(options is [String: Any]) { throw APIError.badRequest("debugOptions must be an object") }
        case "AddMacUser":
            try knownHsm("hsmTargetSerial")
            let mac = try requiredString(object, "macTargetSerial")
            guard !macs.contains(mac) else { throw APIError.badRequest("macTargetSerial \(mac) is already a Mac of key store \(storeId)") }
        case "AddProvisioner":
            try knownHsm("hsmTargetSerial")
            let yubikey = try requiredString(object, "yubikeySerial")
            guard !(store["yubikeySerials"] as? [String] ?? []).contains(yubikey) else {
                throw APIError.badRequest("yubikeySerial \(yubikey) is already a provisioner of key store \(storeId)")
            }
        case "Clone":
            try knownHsm("hsmSourceSerial")
            let target = try requiredString(object, "hsmTargetSerial")
            guard !hsms.contains(target) else { throw APIError.badRequest("hsmTargetSerial \(target) is already an HSM of key store \(storeId)") }
            _ = try optionalString(object, "macTargetSerial")
        case "KeyHarvest":
            try knownHsm("hsmTargetSerial")
            let mac = try requiredString(object, "macTargetSerial")
            guard macs.contains(mac) else { throw APIError.badRequest("macTargetSerial \(mac) is not a Mac of key store \(storeId)") }
            _ = try requiredString(object, "macTargetUsername")
            for field in ["numSecp256k1", "numEd25519"] { _ = try count(object, field, required: false, minimum: 0) }
        case "ProofOfControl":
            guard let walletIds = object["walletIds"] as? [Any], !walletIds.isEmpty, walletIds.allSatisfy({ $0 is String }) else {
                throw APIError.badRequest("walletIds is required and must be a non-empty array of strings")
            }
            for case let walletId as String in walletIds { _ = try walletStore.wallet(walletId, principal: principal) }
        default:
            break
        }
        return object
    }

    /// Opens the store's operation group for `kind`: 409 while another one is pending.
    private static func openFleetOperation(
        _ documents: DocumentStore, store: [String: Any], kind: String, request: [String: Any], principal: Principal
    ) throws(APIError) {
        let storeId = store["id"] as? String ?? ""
        if let pending = latestFleetOperation(documents, store)?.json, pendingFleetStatuses.contains(pending["status"] as? String ?? "") {
            throw APIError(
                409, "key store \(storeId) already has a pending fleet operation (\(pending["groupId"] ?? "")): submit its output or cancel it first")
        }
        let groupId = documents.newId("fog-")
        let group: [String: Any] = [
            "groupId": groupId, "storeId": storeId, "orgId": principal.orgId, "status": "Initialized", "createdBy": principal.userId,
            "submittedBy": NSNull(), "dateSubmitted": NSNull(), "reviewedBy": NSNull(), "dateReviewed": NSNull(), "canceledBy": NSNull(),
            "dateCanceled": NSNull(), "reason": NSNull(), "dateCreated": SimulatedTransfer.format(Date()),
            "operations": [["kind": kind, "request": request]],
        ]
        documents.insert(.fleetOperation, id: groupId, orgId: principal.orgId, parent: storeId, json: group)
    }

    // MARK: Outputs

    /// Checks an uploaded output against the store's pending `kind` group, approves the group and applies its effect.
    private static func submitFleetOutput(
        _ documents: DocumentStore, _ kind: String, _ context: SimulatorRequestContext, store: [String: Any], principal: Principal
    ) throws(APIError) -> [String: Any] {
        let storeId = store["id"] as? String ?? ""
        guard let file = context.uploadedFile else {
            throw APIError.badRequest("the output archive must be uploaded as multipart/form-data with a data part and a file part")
        }
        let object = try Self.object(context.requestBody)
        guard let checksum = object["fileChecksum"] as? String, checksum.wholeMatch(of: /[a-f0-9]{64}/) != nil else {
            throw APIError.badRequest("fileChecksum is required and must be 64 lowercase hex digits (the file's SHA-256)")
        }
        guard checksum == SimulatorDigest.hex(SimulatorDigest.sha256(file)) else {
            throw APIError.badRequest("fileChecksum does not match the uploaded file's SHA-256")
        }
        guard let output = object["outputJson"] as? [String: Any] else { throw APIError.badRequest("outputJson is required and must be an object") }
        guard output["type"] as? String == "fleet-output" else { throw APIError.badRequest("outputJson.type must be fleet-output") }
        guard let version = output["version"], SimulatorJSON.integer(version) == 1 else {
            throw APIError.badRequest("outputJson.version must be 1")
        }
        guard output["status"] as? String == "success" else { throw APIError.badRequest("outputJson.status must be success") }
        for field in ["fleet_id", "fleet_label", "online_domain"] where output[field] != nil && !(output[field] is String) {
            throw APIError.badRequest("outputJson.\(field) must be a string")
        }
        for field in ["outputs", "governance"] where output[field] != nil && !(output[field] is [String: Any]) {
            throw APIError.badRequest("outputJson.\(field) must be an object")
        }
        guard output["org_id"] as? String == principal.orgId else {
            throw APIError.badRequest("outputJson.org_id must be the organisation \(principal.orgId)")
        }
        guard output["keystore_id"] as? String == storeId else { throw APIError.badRequest("outputJson.keystore_id must be \(storeId)") }
        guard let pending = latestFleetOperation(documents, store)?.json, pendingFleetStatuses.contains(pending["status"] as? String ?? "") else {
            throw APIError.badRequest("key store \(storeId) has no pending fleet operation: create its input first")
        }
        let groupId = pending["groupId"] as? String ?? ""
        let operation = (pending["operations"] as? [[String: Any]])?.first ?? [:]
        guard operation["kind"] as? String == kind else {
            throw APIError.badRequest("the pending fleet operation \(groupId) of key store \(storeId) is \(operation["kind"] ?? ""), not \(kind)")
        }
        guard output["group_id"] as? String == groupId else {
            throw APIError.badRequest("outputJson.group_id must be the pending fleet operation \(groupId)")
        }
        if kind != "Genesis", let fleetId = output["fleet_id"] as? String, fleetId != store["fleetId"] as? String {
            throw APIError.badRequest("outputJson.fleet_id \(fleetId) is not the fleet of key store \(storeId)")
        }
        let request = operation["request"] as? [String: Any] ?? [:]
        _ = try documents.update(.keyStore, storeId, orgId: principal.orgId, what: "keyStore") { store throws(APIError) in
            apply(kind, request, output: output, to: &store)
        }
        let now = SimulatedTransfer.format(Date())
        _ = try documents.update(.fleetOperation, groupId, orgId: principal.orgId, parent: storeId, what: "fleetOperation") {
            group throws(APIError) in
            group["status"] = "Approved"
            group["submittedBy"] = principal.userId
            group["dateSubmitted"] = now
            group["dateReviewed"] = now
        }
        switch kind {
        case "OnchainSign":
            return ["status": "success"]
        case "ProofOfControl":
            let proven = (output["outputs"] as? [String: Any]) ?? [:]
            let wallets = request["walletIds"] as? [String] ?? []
            return ["status": wallets.allSatisfy { proven[$0] != nil } ? "success" : "partial"]
        default:
            return ["message": "\(kind) output of fleet operation \(groupId) accepted"]
        }
    }

    /// What an approved `kind` operation changes in its key store.
    private static func apply(_ kind: String, _ request: [String: Any], output: [String: Any], to store: inout [String: Any]) {
        func append(_ field: String, _ value: Any?) {
            guard let value = value as? String else { return }
            var values = store[field] as? [String] ?? []
            if !values.contains(value) { values.append(value) }
            store[field] = values
        }
        func addKeys(_ secp256k1: Int, _ ed25519: Int) {
            let keys = store["keys"] as? [String: Any] ?? [:]
            store["keys"] = [
                "secp256k1": (keys["secp256k1"] as? Int ?? 0) + secp256k1, "ed25519": (keys["ed25519"] as? Int ?? 0) + ed25519,
            ]
        }
        switch kind {
        case "Genesis":
            store["status"] = "Active"
            store["fleetId"] = output["fleet_id"] as? String ?? derivedId("fl-", "\(store["id"] ?? "")/fleet")
            store["fleetLabel"] = output["fleet_label"] ?? NSNull()
            store["hsmSerials"] = [request["hsmGenesisSerial"] as? String ?? ""]
            store["macSerials"] = [request["macGenesisSerial"] as? String].compactMap { $0 }
            store["numProvisioners"] = request["numProvisioners"] as? Int ?? 0
            store["numOperational"] = request["numOperational"] as? Int ?? 0
            store["keys"] = ["secp256k1": 0, "ed25519": 0]
            addKeys(request["numSecp256k1"] as? Int ?? 0, request["numEd25519"] as? Int ?? 0)
        case "AddMacUser":
            append("macSerials", request["macTargetSerial"])
        case "AddProvisioner":
            append("yubikeySerials", request["yubikeySerial"])
            store["numProvisioners"] = (store["numProvisioners"] as? Int ?? 0) + 1
        case "Clone":
            append("hsmSerials", request["hsmTargetSerial"])
            append("macSerials", request["macTargetSerial"])
        case "KeyHarvest":
            addKeys(request["numSecp256k1"] as? Int ?? 0, request["numEd25519"] as? Int ?? 0)
        default:
            break  // onchain-sign and proof-of-control change no key store
        }
    }

    // MARK: Helpers

    private static func requiredString(_ object: [String: Any], _ name: String) throws(APIError) -> String {
        guard let value = object[name] as? String, !value.isEmpty else {
            throw APIError.badRequest("\(name) is required and must be a non-empty string")
        }
        return value
    }

    /// An integer member of at least `minimum`; nil when absent and not `required`.
    private static func count(_ object: [String: Any], _ name: String, required: Bool, minimum: Int) throws(APIError) -> Int? {
        guard let value = object[name] else {
            if required { throw APIError.badRequest("\(name) is required and must be an integer of at least \(minimum)") }
            return nil
        }
        guard let number = SimulatorJSON.integer(value), number >= minimum else {
            throw APIError.badRequest("\(name) must be an integer of at least \(minimum)")
        }
        return number
    }
}
