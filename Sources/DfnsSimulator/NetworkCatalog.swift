/// The networks the simulator accepts and how each family's keys and addresses look.
enum NetworkCatalog {
    enum Family: Sendable {
        case evm, bitcoin, solana, tron, stellar, ton, algorand, aptos, keyOnly(scheme: String, curve: String)
    }

    struct Network: Sendable {
        let family: Family
        let symbol: String
        let decimals: Int
        let testnet: Bool
    }

    static func network(named name: String) -> Network? { networks[name] }

    static var names: [String] { networks.keys.sorted() }

    private static let networks: [String: Network] = {
        var table: [String: Network] = [:]
        func add(_ family: Family, _ symbol: String, _ decimals: Int, main: [String], test: [String]) {
            for name in main { table[name] = Network(family: family, symbol: symbol, decimals: decimals, testnet: false) }
            for name in test { table[name] = Network(family: family, symbol: symbol, decimals: decimals, testnet: true) }
        }
        add(.evm, "ETH", 18, main: ["Ethereum", "Base", "ArbitrumOne", "Optimism", "Berachain", "Ink", "Plume"], test: ["EthereumSepolia", "EthereumHolesky", "BaseSepolia", "ArbitrumSepolia", "OptimismSepolia"])
        add(.evm, "POL", 18, main: ["Polygon"], test: ["PolygonAmoy"])
        add(.evm, "BNB", 18, main: ["Bsc"], test: ["BscTestnet"])
        add(.evm, "AVAX", 18, main: ["AvalancheC"], test: ["AvalancheCFuji"])
        add(.bitcoin, "BTC", 8, main: ["Bitcoin"], test: ["BitcoinTestnet3", "BitcoinSignet"])
        add(.bitcoin, "LTC", 8, main: ["Litecoin"], test: ["LitecoinTestnet"])
        add(.solana, "SOL", 9, main: ["Solana"], test: ["SolanaDevnet"])
        add(.tron, "TRX", 6, main: ["Tron"], test: ["TronNile"])
        add(.stellar, "XLM", 7, main: ["Stellar"], test: ["StellarTestnet"])
        add(.ton, "TON", 9, main: ["Ton"], test: ["TonTestnet"])
        add(.algorand, "ALGO", 6, main: ["Algorand"], test: ["AlgorandTestnet"])
        add(.aptos, "APT", 8, main: ["Aptos"], test: ["AptosTestnet"])
        table["KeyECDSA"] = Network(family: .keyOnly(scheme: "ECDSA", curve: "secp256k1"), symbol: "", decimals: 0, testnet: false)
        table["KeyEdDSA"] = Network(family: .keyOnly(scheme: "EdDSA", curve: "ed25519"), symbol: "", decimals: 0, testnet: false)
        table["KeyECDSAStark"] = Network(family: .keyOnly(scheme: "ECDSA", curve: "stark"), symbol: "", decimals: 0, testnet: false)
        return table
    }()

    private static let hex = Array("0123456789abcdef")
    private static let base58 = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
    private static let bech32 = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
    private static let base32 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    /// The signing key scheme and curve of a network family.
    static func key(of family: Family) -> (scheme: String, curve: String) {
        switch family {
        case .evm, .bitcoin, .tron: ("ECDSA", "secp256k1")
        case .solana, .stellar, .ton, .algorand, .aptos: ("EdDSA", "ed25519")
        case .keyOnly(let scheme, let curve): (scheme, curve)
        }
    }

    /// A well-formed (fake) public key for the scheme: compressed secp256k1 or 32-byte ed25519, hex.
    static func publicKey(scheme: String, using generator: inout SplitMix64) -> String {
        scheme == "EdDSA" ? generator.string(64, from: hex) : (generator.chance(0.5) ? "02" : "03") + generator.string(64, from: hex)
    }

    /// A well-formed (fake) address, or nil for key-only networks.
    static func address(for network: Network, using generator: inout SplitMix64) -> String? {
        switch network.family {
        case .evm: "0x" + generator.string(40, from: hex)
        case .bitcoin: (network.testnet ? "tb1q" : (network.symbol == "LTC" ? "ltc1q" : "bc1q")) + generator.string(38, from: bech32)
        case .solana: generator.string(44, from: base58)
        case .tron: "T" + generator.string(33, from: base58)
        case .stellar: "G" + generator.string(55, from: base32)
        case .ton: "UQ" + generator.string(46, from: base58)
        case .algorand: generator.string(58, from: base32)
        case .aptos: "0x" + generator.string(64, from: hex)
        case .keyOnly: nil
        }
    }

    /// A well-formed (fake) transaction hash for the family.
    static func transactionHash(for network: Network, using generator: inout SplitMix64) -> String {
        switch network.family {
        case .evm, .aptos: "0x" + generator.string(64, from: hex)
        case .solana: generator.string(88, from: base58)
        default: generator.string(64, from: hex)
        }
    }
}
