/// The `Duration` conversions every target of this package needs, in one place (`package`: not part of the SDK's
/// public API). The simulator keeps its own one-liner: it shares no code with the SDK it is meant to check.
extension Duration {
    /// The duration in seconds, fractions included.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole nanoseconds, saturating at `Int64.max` (about 292 years) instead of overflowing: a handler or a header
    /// may hand back any duration.
    package var nanoseconds: Int64 {
        let (seconds, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return components.seconds < 0 ? .min : .max }
        return seconds.addingReportingOverflow(components.attoseconds / 1_000_000_000).overflow
            ? .max : seconds + components.attoseconds / 1_000_000_000
    }

    /// Whole milliseconds (the jobs table's delays), saturating like ``nanoseconds``.
    package var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// Seconds read from outside (a database interval, a header), clamped to 0…10⁹ s so no value can trap.
    package static func clampedSeconds(_ seconds: Double) -> Duration {
        guard seconds.isFinite else { return seconds > 0 ? .seconds(1_000_000_000) : .zero }
        return .milliseconds(Int64((min(max(seconds, 0), 1e9) * 1000).rounded()))
    }
}
