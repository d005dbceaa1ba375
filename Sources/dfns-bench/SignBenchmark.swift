import ArgumentParser
import DfnsSDK

/// Signatures per second of `KeySigner` for each key type, over real client data, on one core.
struct SignBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign", abstract: "KeySigner signatures per second per key type.")

    @Option(help: "Seconds per repeat.") var seconds = 1.0
    @Option(help: "Repeats; the median is reported.") var repeats = 3

    func run() async throws {
        let message = UserActionSigning.clientData(
            challenge: "YzFhMzZlYWZjMjJiYzYxZjkxZGQwNGI5YTc3ZmEwZGU2MmE5MjFmNjc5YmJmNzMzMTYzNTM4OTE3MGEwMTZhYg",
            origin: UserActionSigning.defaultOrigin
        )
        print("| key type | signatures/s (median of \(repeats) × \(seconds) s, one core) |")
        print("|---|---|")
        for algorithm in KeyAlgorithm.all {
            let signer = try KeySigner(credentialId: "bench", privateKeyPEM: KeyGenerator.generate(algorithm).privateKeyPEM)
            var rates: [Double] = []
            for _ in 0..<repeats {
                let clock = ContinuousClock()
                let start = clock.now
                var count = 0
                while start.duration(to: clock.now).seconds < seconds {
                    for _ in 0..<16 { _ = try signer.sign(message) }
                    count += 16
                }
                rates.append(Double(count) / start.duration(to: clock.now).seconds)
            }
            print("| \(algorithm) | \(Int(median(rates))) |")
        }
    }
}
