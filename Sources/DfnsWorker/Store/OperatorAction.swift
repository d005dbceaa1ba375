/// What an operator may do to a job, from the console or the CLI. Each is done by `dfns_worker.operator_action`,
/// which applies the same rules as `retry()`, `cancel()` and `run_now()` (``JobStore/act(_:on:by:)``) and records
/// who did it on the job.
public struct OperatorAction: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Re-queue a failed or cancelled job with a fresh attempt budget (its externalId kept unless Dfns failed it).
    public static let retry = OperatorAction(rawValue: "retry")
    /// Cancel a job that is not running and whose operation cannot exist at Dfns.
    public static let cancel = OperatorAction(rawValue: "cancel")
    /// Make a scheduled, retrying or waiting job due now.
    public static let runNow = OperatorAction(rawValue: "run_now")

    public static let all: [OperatorAction] = [.retry, .cancel, .runNow]

    /// The action named `text`, or nil for any other text.
    public static func named(_ text: String) -> OperatorAction? { all.first { $0.rawValue == text } }

    public var description: String { rawValue }
}
