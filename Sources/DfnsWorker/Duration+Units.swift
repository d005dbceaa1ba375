extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// Whole nanoseconds, as swift-metrics timers record them.
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }

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
