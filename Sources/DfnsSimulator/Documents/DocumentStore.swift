import Foundation
import Synchronization

/// The entities the simulator keeps as plain JSON objects — keys, signatures, policies, webhooks and their events,
/// offers, bulk wallet jobs, Canton validators — in creation order, per organisation and parent (a key's signatures,
/// a webhook's events). Stored serialized so the state is `Sendable`; handlers parse what they read.
final class DocumentStore: Sendable {
    /// What a document is. Each domain declares its own kinds next to its routes (`extension DocumentStore.Kind`).
    struct Kind: Hashable, Sendable {
        let name: String
        init(_ name: String) { self.name = name }

        static let key = Kind("key")
        static let signature = Kind("signature")
        static let policy = Kind("policy")
        static let webhook = Kind("webhook")
        static let webhookEvent = Kind("webhookEvent")
        static let offer = Kind("offer")
        static let bulkJob = Kind("bulkJob")
        static let validator = Kind("validator")
    }

    struct Document: Sendable {
        let kind: Kind
        let id: String
        let orgId: String
        /// The owning entity's id (the key of a signature, the webhook of an event, the wallet of an offer…).
        let parent: String?
        let createdAt: Date
        /// The client's idempotency key and the canonical request it came with (signatures).
        let externalId: String?
        let request: [UInt8]?
        var body: [UInt8]

        var json: [String: Any] { SimulatorJSON.parse(body) as? [String: Any] ?? [:] }
    }

    private struct State {
        var generator: SplitMix64
        var documents: [String: Document] = [:]
        var order: [String] = []
    }

    private let state: Mutex<State>

    /// - Parameter seed: ids are drawn from it, so a seeded run names its entities the same way every time.
    init(seed: UInt64) {
        state = Mutex(State(generator: SplitMix64(seed: seed ^ 0x5EED_D0C5)))
    }

    /// A fresh id with Dfns's shape: `prefix` then `xxxxx-xxxxx-xxxxxxxxxxxxxxxx`.
    func newId(_ prefix: String) -> String {
        state.withLock { $0.generator.dfnsId(prefix) }
    }

    /// Stores a document whose JSON already carries `id`.
    @discardableResult
    func insert(
        _ kind: Kind, id: String, orgId: String, parent: String? = nil, json: [String: Any], externalId: String? = nil, request: [UInt8]? = nil
    ) -> Document {
        let document = Document(
            kind: kind, id: id, orgId: orgId, parent: parent, createdAt: Date(), externalId: externalId, request: request,
            body: SimulatorJSON.serialize(json)
        )
        state.withLock { state in
            state.documents[id] = document
            state.order.append(id)
        }
        return document
    }

    /// The document `id` of `kind` in the organisation (and under `parent` when given); 404 naming `what` otherwise.
    func get(_ kind: Kind, _ id: String, orgId: String, parent: String? = nil, what: String) throws(APIError) -> Document {
        guard let document = state.withLock({ $0.documents[id] }), document.kind == kind, document.orgId == orgId,
            parent == nil || document.parent == parent
        else { throw APIError(404, "\(what) not found", details: ["\(what)Id": id]) }
        return document
    }

    /// The document of `kind` under `parent` with the client's `externalId`, if any (idempotent creations).
    func find(_ kind: Kind, orgId: String, parent: String?, externalId: String) -> Document? {
        state.withLock { state in
            for id in state.order {
                if let document = state.documents[id], document.kind == kind, document.orgId == orgId, document.parent == parent,
                    document.externalId == externalId
                {
                    return document
                }
            }
            return nil
        }
    }

    /// Changes a document's JSON; `change` may refuse with an ``APIError``.
    func update(
        _ kind: Kind, _ id: String, orgId: String, parent: String? = nil, what: String, _ change: (inout [String: Any]) throws(APIError) -> Void
    ) throws(APIError) -> [String: Any] {
        var document = try get(kind, id, orgId: orgId, parent: parent, what: what)
        var json = document.json
        try change(&json)
        document.body = SimulatorJSON.serialize(json)
        let stored = document
        state.withLock { $0.documents[id] = stored }
        return json
    }

    /// The organisation of webhook `id`, if it still exists.
    func orgId(ofWebhook id: String) -> String? {
        state.withLock { state in state.documents[id].flatMap { $0.kind == .webhook ? $0.orgId : nil } }
    }

    /// How many documents of `kind` exist, in every organisation (control plane).
    func count(_ kind: Kind) -> Int {
        state.withLock { $0.documents.values.count { $0.kind == kind } }
    }

    /// Forgets a document (a deleted webhook); its children stay readable by id.
    func remove(_ kind: Kind, _ id: String) {
        state.withLock { state in
            guard state.documents[id]?.kind == kind else { return }
            state.documents[id] = nil
            state.order.removeAll { $0 == id }
        }
    }

    /// Every document of `kind` in the organisation (under `parent` when given), oldest first, filtered by `include`.
    func all(_ kind: Kind, orgId: String?, parent: String? = nil, where include: (Document) -> Bool = { _ in true }) -> [Document] {
        state.withLock { state in
            state.order.compactMap { state.documents[$0] }.filter {
                $0.kind == kind && (orgId == nil || $0.orgId == orgId) && (parent == nil || $0.parent == parent)
            }
        }.filter(include)
    }
}
