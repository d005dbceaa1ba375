/// The networks the simulator accepts and how each family's keys and addresses look.
enum NetworkCatalog {
    enum Family: Sendable {
        case evm, bitcoin, solana, tron, stellar, ton, algorand, aptos
        /// A family whose address format the simulator does not model: a hex address of the key's size.
        case other(scheme: String)
    }

    struct Network: Sendable {
        let family: Family
        let symbol: String
        let decimals: Int
        let testnet: Bool
    }

    static func network(named name: String) -> Network? { networks[name] }

    static var names: [String] { networks.keys.sorted() }

    /// The networks of dfns-sdk 1.0.4 (`generated/wallets/types.py`, `CreateWalletRequest.network`), each with its
    /// address family; `ops/conformance` creates a wallet on every network the installed Python SDK lists, so the two
    /// cannot drift apart unnoticed. The deprecated `Key*` pseudo-networks are not among them and are refused.
    private static let networks: [String: Network] = {
        var table: [String: Network] = [:]
        func add(_ family: Family, _ symbol: String, _ decimals: Int, main: [String], test: [String]) {
            for name in main { table[name] = Network(family: family, symbol: symbol, decimals: decimals, testnet: false) }
            for name in test { table[name] = Network(family: family, symbol: symbol, decimals: decimals, testnet: true) }
        }
        add(
            .evm, "ETH", 18,
            main: ["Ethereum", "Base", "ArbitrumOne", "Optimism", "Ink", "Areum", "Bob", "Codex", "Ion", "XLayer", "Robinhood", "Tempo"],
            test: [
                "EthereumSepolia", "EthereumHoodi", "BaseSepolia", "ArbitrumSepolia", "OptimismSepolia", "InkSepolia", "BobSepolia", "CodexSepolia",
                "IonTestnet", "XLayerSepolia", "RobinhoodSepolia", "TempoModerato",
            ])
        add(.evm, "BERA", 18, main: ["Berachain"], test: ["BerachainBepolia"])
        add(.evm, "PLUME", 18, main: ["Plume"], test: ["PlumeSepolia"])
        add(.evm, "POL", 18, main: ["Polygon"], test: ["PolygonAmoy"])
        add(.evm, "BNB", 18, main: ["Bsc"], test: ["BscTestnet"])
        add(.evm, "AVAX", 18, main: ["AvalancheC"], test: ["AvalancheCFuji"])
        add(.evm, "ETC", 18, main: ["EthereumClassic"], test: ["EthereumClassicMordor"])
        add(.evm, "CELO", 18, main: ["Celo"], test: ["CeloSepolia"])
        add(.evm, "FLR", 18, main: ["FlareC"], test: ["FlareCCoston2"])
        add(.evm, "FLOW", 18, main: ["FlowEvm"], test: ["FlowEvmTestnet"])
        add(.evm, "HYPE", 18, main: ["HyperEvm"], test: ["HyperEvmTestnet"])
        add(.evm, "MON", 18, main: ["Monad"], test: ["MonadTestnet"])
        add(.evm, "XPL", 18, main: ["Plasma"], test: ["PlasmaTestnet"])
        add(.evm, "USDR", 18, main: ["Rayls"], test: ["RaylsTestnet"])
        add(.evm, "S", 18, main: ["Sonic"], test: ["SonicTestnet"])
        add(.evm, "TSC", 18, main: ["Tsc"], test: ["TscTestnet1"])
        add(.evm, "XDC", 18, main: ["Xdc"], test: ["XdcApothem"])
        add(.evm, "USDC", 18, main: ["Arc"], test: ["ArcTestnet"])
        add(.evm, "SEI", 18, main: ["SeiPacific1"], test: ["SeiAtlantic2"])
        add(.bitcoin, "BTC", 8, main: ["Bitcoin"], test: ["BitcoinTestnet4", "BitcoinSignet"])
        add(.bitcoin, "BCH", 8, main: ["BitcoinCash"], test: [])
        add(.bitcoin, "LTC", 8, main: ["Litecoin"], test: ["LitecoinTestnet"])
        add(.bitcoin, "DOGE", 8, main: ["Dogecoin"], test: ["DogecoinTestnet"])
        add(.solana, "SOL", 9, main: ["Solana"], test: ["SolanaDevnet"])
        add(.tron, "TRX", 6, main: ["Tron"], test: ["TronNile"])
        add(.stellar, "XLM", 7, main: ["Stellar"], test: ["StellarTestnet"])
        add(.ton, "TON", 9, main: ["Ton"], test: ["TonTestnet"])
        add(.algorand, "ALGO", 6, main: ["Algorand"], test: ["AlgorandTestnet"])
        add(.aptos, "APT", 8, main: ["Aptos"], test: ["AptosTestnet"])
        add(.aptos, "MOVE", 8, main: ["Movement"], test: ["MovementTestnet"])
        add(.aptos, "SUI", 9, main: ["Sui"], test: ["SuiTestnet"])
        // Families the simulator does not model in detail: a hex address of the key's size.
        add(.other(scheme: "EdDSA"), "ADA", 6, main: ["Cardano"], test: ["CardanoPreprod"])
        add(.other(scheme: "EdDSA"), "CC", 10, main: ["Canton"], test: ["CantonTestnet"])
        add(.other(scheme: "EdDSA"), "CCD", 6, main: ["Concordium"], test: ["ConcordiumTestnet"])
        add(.other(scheme: "ECDSA"), "ATOM", 6, main: ["CosmosHub4"], test: ["CosmosIcsTestnet"])
        add(.other(scheme: "EdDSA"), "HBAR", 8, main: ["Hedera"], test: ["HederaTestnet"])
        add(.other(scheme: "ECDSA"), "ICP", 8, main: ["InternetComputer"], test: [])
        add(.other(scheme: "EdDSA"), "IOTA", 9, main: ["Iota"], test: ["IotaTestnet"])
        add(.other(scheme: "EdDSA"), "NEAR", 24, main: ["Near"], test: ["NearTestnet"])
        add(.other(scheme: "ECDSA"), "OGY", 8, main: ["Origyn"], test: [])
        add(
            .other(scheme: "EdDSA"), "DOT", 10, main: ["Polkadot", "PolkadotAssetHub"],
            test: ["Westend", "WestendAssetHub", "Paseo", "PaseoAssetHub"])
        add(.other(scheme: "EdDSA"), "KSM", 12, main: ["Kusama", "KusamaAssetHub"], test: [])
        add(.other(scheme: "EdDSA"), "POLYX", 6, main: ["Polymesh"], test: ["PolymeshTestnet"])
        add(.other(scheme: "ECDSA"), "STRK", 18, main: ["Starknet"], test: ["StarknetSepolia"])
        add(.other(scheme: "EdDSA"), "XTZ", 6, main: ["Tezos"], test: ["TezosShadownet"])
        add(.other(scheme: "ECDSA"), "XRP", 6, main: ["XrpLedger"], test: ["XrpLedgerTestnet"])
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
        case .other(let scheme): (scheme, scheme == "EdDSA" ? "ed25519" : "secp256k1")
        }
    }

    /// A well-formed (fake) public key for the scheme: compressed secp256k1 or 32-byte ed25519, hex.
    static func publicKey(scheme: String, using generator: inout SplitMix64) -> String {
        scheme == "EdDSA" ? generator.string(64, from: hex) : (generator.chance(0.5) ? "02" : "03") + generator.string(64, from: hex)
    }

    /// A well-formed (fake) address.
    static func address(for network: Network, using generator: inout SplitMix64) -> String {
        switch network.family {
        case .evm: "0x" + generator.string(40, from: hex)
        case .bitcoin: (network.testnet ? "tb1q" : (network.symbol == "LTC" ? "ltc1q" : "bc1q")) + generator.string(38, from: bech32)
        case .solana: generator.string(44, from: base58)
        case .tron: "T" + generator.string(33, from: base58)
        case .stellar: "G" + generator.string(55, from: base32)
        case .ton: "UQ" + generator.string(46, from: base58)
        case .algorand: generator.string(58, from: base32)
        case .aptos: "0x" + generator.string(64, from: hex)
        case .other(let scheme): "0x" + generator.string(scheme == "EdDSA" ? 64 : 40, from: hex)
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
