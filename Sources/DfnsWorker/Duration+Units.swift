extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole nanoseconds, as swift-metrics timers record them; saturates instead of overflowing (a handler may hand
    /// back any duration).
    var nanoseconds: Int64 {
        let (seconds, overflow) = components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return components.seconds < 0 ? .min : .max }
        return seconds.addingReportingOverflow(components.attoseconds / 1_000_000_000).overflow ? .max : seconds + components.attoseconds / 1_000_000_000
    }

    /// Whole milliseconds, as the jobs table's delays are written.
    var milliseconds: Int64 { nanoseconds / 1_000_000 }
}

extension Duration {
    /// Seconds read from outside (a database interval, a header), clamped to 0…10⁹ s so no value can trap.
    static func clampedSeconds(_ seconds: Double) -> Duration {
        guard seconds.isFinite else { return seconds > 0 ? .seconds(1_000_000_000) : .zero }
        return .milliseconds(Int64((min(max(seconds, 0), 1e9) * 1000).rounded()))
    }
}
