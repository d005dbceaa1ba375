/// The body of `POST /wallets`.
public struct CreateWalletRequest: Sendable, Hashable, Codable {
    /// The key of the wallet: a new one of a scheme and curve, when the network's default is not wanted, or an
    /// existing key (`id`) the wallet shares with the wallets already on it.
    public struct SigningKey: Sendable, Hashable, Codable {
        /// `ECDSA`, `EdDSA` or `Schnorr`.
        public var scheme: String?
        /// `secp256k1`, `ed25519` or `stark`.
        public var curve: String?
        /// An existing key (`key-…`) to reuse instead of creating one (dfns-sdk 1.0.4 `signing_key`).
        public var id: String?

        /// A scheme and curve pair Dfns supports for the network, or the `id` of a key to reuse.
        public init(scheme: String? = nil, curve: String? = nil, id: String? = nil) {
            self.scheme = scheme
            self.curve = curve
            self.id = id
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
    /// True to create the wallet undelegated and delegate it later (dfns-sdk 1.0.4 `delay_delegation`).
    public var delayDelegation: Bool?
    /// The Canton validator that hosts the party of a Canton wallet (the TypeScript SDK's `validatorId`).
    public var validatorId: String?

    /// A wallet on `network` (e.g. `EthereumSepolia`); every other field is optional.
    public init(
        network: String,
        name: String? = nil,
        tags: [String]? = nil,
        externalId: String? = nil,
        signingKey: SigningKey? = nil,
        delegateTo: String? = nil,
        delayDelegation: Bool? = nil,
        validatorId: String? = nil
    ) {
        self.network = network
        self.name = name
        self.tags = tags
        self.externalId = externalId
        self.signingKey = signingKey
        self.delegateTo = delegateTo
        self.delayDelegation = delayDelegation
        self.validatorId = validatorId
    }
}
