import DfnsWorker

/// The job kinds dfns-worker ships. Add your own by registering more ``JobHandler``s on the registry.
public enum JobCatalog {
    /// `create_wallet`, `transfer`, `broadcast_transaction`, `generate_signature` and `transfer_control`.
    public static var builtIn: [any JobHandler] {
        [CreateWalletJob(), TransferJob(), BroadcastTransactionJob(), GenerateSignatureJob(), TransferControlJob()]
    }

    /// A registry with the built-in kinds.
    public static func registry() -> JobRegistry { JobRegistry(builtIn) }
}
