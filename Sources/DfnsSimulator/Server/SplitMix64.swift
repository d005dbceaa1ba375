/// A small seeded generator, so every fault and outcome of a run can be reproduced from its seed.
///
/// Each store draws from its own, seeded with the configured seed mixed with a constant of the store, so one domain's
/// draws never shift another's.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `rate`.
    mutating func chance(_ rate: Double) -> Bool {
        rate > 0 && Double.random(in: 0..<1, using: &self) < rate
    }

    /// `count` characters from `alphabet`.
    mutating func string(_ count: Int, from alphabet: [Character]) -> String {
        String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &self)] })
    }

    /// A fresh id with Dfns's shape: `prefix` then `xxxxx-xxxxx-xxxxxxxxxxxxxxxx`.
    mutating func dfnsId(_ prefix: String) -> String {
        prefix + string(5, from: Self.idAlphabet) + "-" + string(5, from: Self.idAlphabet) + "-" + string(16, from: Self.idAlphabet)
    }

    private static let idAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
}
