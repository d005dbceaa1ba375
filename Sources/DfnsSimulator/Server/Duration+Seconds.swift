extension Duration {
    /// The duration in seconds, fractions included.
    var secondsValue: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
