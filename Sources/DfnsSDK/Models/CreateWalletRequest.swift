/// The body of `POST /wallets`.
public struct CreateWalletRequest: Sendable, Hashable, Codable {
    /// The key scheme and curve to create, when the network's default is not wanted.
    public struct SigningKey: Sendable, Hashable, Codable {
        /// `ECDSA`, `EdDSA` or `Schnorr`.
        public var scheme: String?
        /// `secp256k1`, `ed25519` or `stark`.
        public var curve: String?

        /// A scheme and curve pair Dfns supports for the network.
        public init(scheme: String? = nil, curve: String? = nil) {
            self.scheme = scheme
            self.curve = curve
        }
    }

    /// The network, e.g. `Ethereum`, `EthereumSepolia`, `Bitcoin`, `Solana` (the deprecated `Key*` pseudo-networks are
    /// refused by the simulator, as they are not in the official SDKs' network list).
    public var network: String
    /// A name for people; Dfns does not require it to be unique.
    public var name: String?
    /// Tags to find the wallet by.
    public var tags: [String]?
    /// Your correlation id; echoed on the wallet. Dfns does not document it as unique.
    public var externalId: String?
    /// The key scheme and curve, when the network allows a choice.
    public var signingKey: SigningKey?
    /// An end-user id to delegate the wallet to.
    public var delegateTo: String?

    /// A wallet on `network` (e.g. `EthereumSepolia`); every other field is optional.
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
