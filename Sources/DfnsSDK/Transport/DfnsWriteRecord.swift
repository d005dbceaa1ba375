import Synchronization

/// Whether a task sent a write that may take effect at Dfns: the real request of a signed call (not its init or
/// action calls, not a read). Bind one with `DfnsWriteRecord.$current.withValue(record) { … }` around work that uses
/// a client; the client marks it right before such a request leaves. A caller that is interrupted (a timeout, a
/// shutdown) learns from it whether the outcome can be unknown at all.
public final class DfnsWriteRecord: Sendable {
    /// The record of the current task, if one is bound.
    @TaskLocal public static var current: DfnsWriteRecord?

    private let sent = Atomic<Bool>(false)

    /// An empty record; pass it to the client call whose writes it should track.
    public init() {}

    /// True once a write left for Dfns.
    public var writeSent: Bool { sent.load(ordering: .acquiring) }

    func markSent() { sent.store(true, ordering: .releasing) }
}
