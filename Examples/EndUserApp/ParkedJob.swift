import DfnsSDK

/// One of the user's jobs as the page shows it (`GET /api/jobs`): what it does, where it is, and, while it waits for
/// the user, the part of Dfns's challenge WebAuthn needs (``BrowserChallenge/assertion(_:)``). The challenge's
/// identifier stays in the row: the backend adds it when it hands the signature back, so the page can only sign
/// what the job holds.
struct ParkedJob: Encodable, Sendable {
    let id: Int64
    /// `create_wallet` or `transfer`.
    let kind: String
    /// The job's state in `dfns_worker.jobs`: `queued`, `running`, `awaiting_signature`, `waiting`, `succeeded`, …
    let state: String
    /// What the user is asked to approve, in words.
    let summary: String
    /// While `awaiting_signature`: the options of `navigator.credentials.get`.
    let challenge: JSONValue?
    /// What the job made, once Dfns answered: the wallet's or the transfer's id, and its status.
    let resultId: String?
    let resultStatus: String?
    /// Why the last attempt failed (`last_error.code`: `signature_refused`, `signature_timeout`, …), while the job is
    /// `failed` or `retrying`.
    let errorCode: String?
}
