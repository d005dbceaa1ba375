/// The body of `POST /wallets`.
public struct CreateWalletRequest: Sendable, Hashable, Codable {
    /// The key scheme and curve to create, when the network's default is not wanted.
    public struct SigningKey: Sendable, Hashable, Codable {
        public var scheme: String?
        public var curve: String?

        public init(scheme: String? = nil, curve: String? = nil) {
            self.scheme = scheme
            self.curve = curve
        }
    }

    /// The network, e.g. `Ethereum`, `EthereumSepolia`, `Bitcoin`, `Solana` (the deprecated `Key*` pseudo-networks are
    /// refused by the simulator, as they are not in the official SDKs' network list).
    public var network: String
    public var name: String?
    public var tags: [String]?
    /// Your correlation id; echoed on the wallet. Dfns does not document it as unique.
    public var externalId: String?
    public var signingKey: SigningKey?
    /// An end-user id to delegate the wallet to.
    public var delegateTo: String?

    public init(
        network: String,
        name: String? = nil,
        tags: [String]? = nil,
        externalId: String? = nil,
        signingKey: SigningKey? = nil,
        delegateTo: String? = nil
    ) {
        self.network = network
        self.name = name
        self.tags = tags
        self.externalId = externalId
        self.signingKey = signingKey
        self.delegateTo = delegateTo
    }
}
