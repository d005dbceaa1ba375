import Foundation
import Synchronization

/// The signature events of the organisations, as Dfns keeps them for its audit log (`/auth/action/logs`): one entry
/// per user action whose signature held, with what was signed (method, path, payload, from `/auth/action/init`), who
/// signed it and the first factor's evidence (credential, clientData, signature, authenticatorData), so a reader can
/// verify the signature again. Entries are kept in signing order; the newest ``retained`` stay, the older ones are
/// forgotten, so a long benchmark keeps memory bounded.
final class AuditTrail: Sendable {
    /// What a challenge asked to sign (`/auth/action/init`).
    struct Action: Sendable {
        let method: String
        let path: String
        let payload: String
    }

    /// The first factor's evidence; `assertion` is nil for a factor that signs nothing (a `Password`).
    struct Evidence: Sendable {
        let credentialId: String
        /// The credential's Dfns uuid (`cr-…`), the "Primary Credential ID" of the export; the `credId` when unknown.
        let credentialUuid: String
        let kind: String
        let publicKey: String
        let clientData: String?
        let signature: String?
        let authenticatorData: String?
    }

    struct Entry: Sendable {
        let id: String
        let orgId: String
        let userId: String
        let username: String?
        let action: Action
        let actionToken: String
        let evidence: Evidence
        let date: Date
    }

    /// Dfns caps an export at 100,000 rows (dfns-sdk 1.0.4 `list_audit_logs`); the simulator keeps as many entries.
    static let retained = 100_000
    private struct State {
        var generator: SplitMix64
        /// Entries oldest first; `first` is the sequence number of `entries[0]`.
        var entries: [Entry] = []
        var first = 0
        var sequence: [String: Int] = [:]
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        state = Mutex(State(generator: SplitMix64(seed: seed ^ 0xA0D1_7106)))
    }

    /// Records the signature of `action`, which minted the user action `actionToken`.
    @discardableResult
    func record(_ action: Action, actionToken: String, principal: Principal, username: String?, evidence: Evidence) -> Entry {
        state.withLock { state in
            let entry = Entry(
                id: state.generator.dfnsId("uj-"), orgId: principal.orgId, userId: principal.userId, username: username, action: action,
                actionToken: actionToken, evidence: evidence, date: Date())
            state.sequence[entry.id] = state.first + state.entries.count
            state.entries.append(entry)
            if state.entries.count > Self.retained + Self.retained / 10 {
                let dropped = state.entries.count - Self.retained
                for old in state.entries.prefix(dropped) { state.sequence[old.id] = nil }
                state.entries.removeFirst(dropped)
                state.first += dropped
            }
            return entry
        }
    }

    /// Entry `id` of the organisation, if it is kept.
    func entry(_ id: String, orgId: String) -> Entry? {
        state.withLock { state in
            guard let number = state.sequence[id] else { return nil }
            let entry = state.entries[number - state.first]
            return entry.orgId == orgId ? entry : nil
        }
    }

    /// The organisation's entries signed from `start` to `end` (both included), of `userId` when given, oldest first.
    func entries(orgId: String, from start: Date, to end: Date, userId: String?) -> [Entry] {
        state.withLock { state in
            state.entries.filter { $0.orgId == orgId && $0.date >= start && $0.date <= end && (userId == nil || $0.userId == userId) }
        }
    }
}
