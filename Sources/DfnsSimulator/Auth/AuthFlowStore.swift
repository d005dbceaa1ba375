import Foundation
import Synchronization

/// The state of the flows that come before a user has a token or a credential, as Dfns runs them (dfns-auth.md §1–2):
/// registration and recovery sessions (their `temporaryAuthenticationToken` and challenge), login challenges,
/// credential challenges, and the one-time codes Dfns emails (registration, login, recovery) or a user makes
/// (credential codes). The "emails" are kept in an outbox the control plane shows (`GET /_sim/messages`), as a test
/// mail server would. Everything expires; expired entries are dropped as new ones come.
final class AuthFlowStore: Sendable {
    /// What a registration session completes.
    enum Purpose: Sendable, Equatable {
        /// `/auth/registration` or `/auth/registration/enduser`.
        case registration
        /// `/auth/recover/user`, with the recovery credential that must sign it.
        case recovery(credentialId: String)
    }

    /// A registration or recovery session, opened by its challenge's `temporaryAuthenticationToken`.
    struct Session: Sendable {
        let userId: String
        let orgId: String
        let challenge: String
        let purpose: Purpose
        /// The secret of the authenticator-app (`Totp`) credential offered in the challenge's `otpUrl`.
        let totpSecret: [UInt8]
        let expires: Date
    }

    /// What a challenge is signed or attested for.
    enum ChallengePurpose: Sendable, Equatable {
        /// `/auth/login/init` → `/auth/login`.
        case login
        /// `/auth/credentials/init` → `/auth/credentials`, or with `viaCode` `/code/init` → `/code/verify`.
        case credential(CredentialStore.Kind, viaCode: Bool)
        /// An OIDC login's first credential, any first-factor kind (`/auth/login/oidc` → `/oidc/credentials`).
        case firstCredential
    }

    /// A login challenge or a credential challenge.
    struct Challenge: Sendable {
        let userId: String
        let orgId: String
        let challenge: String
        let purpose: ChallengePurpose
        let totpSecret: [UInt8]
        let expires: Date
    }

    /// What a one-time code is for.
    enum CodePurpose: String, Sendable {
        case registration = "Registration"
        case login = "Login"
        case recovery = "Recovery"
        case credential = "Credential"
    }

    /// A message Dfns would have emailed.
    struct Message: Sendable {
        let orgId: String
        let username: String
        let purpose: CodePurpose
        let code: String
        let date: Date

        var json: [String: Any] {
            ["orgId": orgId, "username": username, "kind": purpose.rawValue, "code": code, "date": SimulatedTransfer.format(date)]
        }
    }

    private struct CodeKey: Hashable {
        let purpose: CodePurpose
        let orgId: String
        /// The username, or the user id of a credential code.
        let subject: String
    }

    private struct Code {
        let code: String
        let expires: Date
    }

    private struct State {
        var generator: SplitMix64
        var sessions: [String: Session] = [:]
        var challenges: [String: Challenge] = [:]
        var codes: [CodeKey: Code] = [:]
        var outbox: [Message] = []

        var lastPrune = Date()

        /// Drops expired entries, at most every 10 s, so issuing stays cheap under load.
        mutating func prune() {
            let now = Date()
            if outbox.count > 1_000 { outbox.removeFirst(outbox.count - 1_000) }
            guard now.timeIntervalSince(lastPrune) > 10 else { return }
            lastPrune = now
            sessions = sessions.filter { $0.value.expires > now }
            challenges = challenges.filter { $0.value.expires > now }
            codes = codes.filter { $0.value.expires > now }
        }

        mutating func challengeString() -> String {
            Base64Text.url((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }

        mutating func secret() -> [UInt8] { (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) } }
    }

    private let state: Mutex<State>

    init(seed: UInt64) {
        state = Mutex(State(generator: SplitMix64(seed: seed ^ 0xF10_A5)))
    }

    // MARK: Registration and recovery sessions

    /// Opens a registration or recovery session for `userId`; its token is the only bearer `/auth/registration…` and
    /// `/auth/recover/user` take.
    func openSession(userId: String, orgId: String, purpose: Purpose, lifetime: Duration) -> (token: String, session: Session) {
        state.withLock { state in
            state.prune()
            let session = Session(
                userId: userId, orgId: orgId, challenge: state.challengeString(), purpose: purpose, totpSecret: state.secret(),
                expires: Date().addingTimeInterval(lifetime.secondsValue))
            let token = AccountStore.temporaryToken(userId: userId, orgId: orgId, using: &state.generator)
            state.sessions[token] = session
            return (token, session)
        }
    }

    /// The open session of a temporary token, if it has not expired or been used.
    func session(token: String?) -> Session? {
        guard let token else { return nil }
        return state.withLock { state in state.sessions[token].flatMap { $0.expires > Date() ? $0 : nil } }
    }

    /// Closes a session once it completed: a temporary token completes one registration or recovery.
    func closeSession(token: String) { state.withLock { _ = $0.sessions.removeValue(forKey: token) } }

    // MARK: Login and credential challenges

    /// A challenge for `userId` to sign (a login) or attest (a new credential).
    func issueChallenge(userId: String, orgId: String, purpose: ChallengePurpose, lifetime: Duration) -> (identifier: String, challenge: Challenge) {
        state.withLock { state in
            state.prune()
            let challenge = Challenge(
                userId: userId, orgId: orgId, challenge: state.challengeString(), purpose: purpose, totpSecret: state.secret(),
                expires: Date().addingTimeInterval(lifetime.secondsValue))
            let identifier = state.generator.dfnsId("ch-") + "." + state.generator.string(24, from: Self.alphabet)
            state.challenges[identifier] = challenge
            return (identifier, challenge)
        }
    }

    /// The challenge of `identifier` while it is valid; `consume` spends it (a challenge is signed once).
    func challenge(_ identifier: String?, consume: Bool = false) -> Challenge? {
        guard let identifier else { return nil }
        return state.withLock { state in
            guard let challenge = state.challenges[identifier], challenge.expires > Date() else { return nil }
            if consume { state.challenges[identifier] = nil }
            return challenge
        }
    }

    // MARK: Codes

    /// A new one-time code for `purpose` (the previous one stops working); codes sent by email go to the outbox.
    func issueCode(_ purpose: CodePurpose, orgId: String, subject: String, username: String, lifetime: Duration, email: Bool = true) -> String {
        state.withLock { state in
            state.prune()
            // Shaped as Dfns's (dfns-api-docs createusercredential.md: "A7U-KY6-9PT").
            let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            let code = (0..<3).map { _ in state.generator.string(3, from: alphabet) }.joined(separator: "-")
            state.codes[CodeKey(purpose: purpose, orgId: orgId, subject: subject)] = Code(
                code: code, expires: Date().addingTimeInterval(lifetime.secondsValue))
            if email { state.outbox.append(Message(orgId: orgId, username: username, purpose: purpose, code: code, date: Date())) }
            return code
        }
    }

    /// Spends the code of `purpose` for `subject` when `code` is it; false otherwise (wrong, expired or spent).
    func consumeCode(_ purpose: CodePurpose, orgId: String, subject: String, code: String) -> Bool {
        state.withLock { state in
            let key = CodeKey(purpose: purpose, orgId: orgId, subject: subject)
            guard let stored = state.codes[key], stored.code == code, stored.expires > Date() else { return false }
            state.codes[key] = nil
            return true
        }
    }

    /// The subject (user id) of a valid credential code, spent.
    func consumeCredentialCode(_ code: String) -> (userId: String, orgId: String)? {
        state.withLock { state in
            guard let (key, _) = state.codes.first(where: { $0.key.purpose == .credential && $0.value.code == code && $0.value.expires > Date() })
            else {
                return nil
            }
            state.codes[key] = nil
            return (key.subject, key.orgId)
        }
    }

    /// The messages "emailed" so far, oldest first.
    var messages: [Message] { state.withLock { $0.outbox } }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}
