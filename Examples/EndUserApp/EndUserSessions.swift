import Synchronization

/// The sessions of the browsers using the app, in memory (a real application keeps them in its own session store,
/// encrypted when it persists them: they hold Dfns logins). A session is found by the random id of its cookie and
/// forgotten after ``idleLifetime`` unused.
final class EndUserSessions: Sendable {
    /// How long an unused session lasts.
    static let idleLifetime = Duration.seconds(30 * 60)

    private let sessions = Mutex<[String: EndUserSession]>([:])

    /// Opens a session and answers its id, the cookie's value.
    func open() -> String {
        let id = Self.randomId(bytes: 32)
        sessions.withLock { $0[id] = EndUserSession() }
        return id
    }

    /// `bytes` bytes from the system's CSPRNG, hex: an id nobody can guess.
    static func randomId(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String(
            (0..<bytes).flatMap { _ in
                let byte = UInt8.random(in: 0...255, using: &generator)
                return [digits[Int(byte >> 4)], digits[Int(byte & 15)]]
            })
    }

    /// Runs `body` on the session `id` and marks it used; nil when there is no such session (never opened, expired,
    /// logged out). Idle sessions are dropped on the way.
    func with<Result>(_ id: String?, _ body: (inout EndUserSession) throws -> Result) rethrows -> Result? {
        try sessions.withLock { sessions in
            let now = ContinuousClock.now
            sessions = sessions.filter { now - $0.value.lastUsed < Self.idleLifetime }
            guard let id, var session = sessions[id] else { return nil }
            session.lastUsed = now
            session.actions = session.actions.filter { $0.value.expiresAt > now }
            defer { sessions[id] = session }
            return try body(&session)
        }
    }

    /// Forgets the session `id`.
    func close(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
