import DfnsSDK
import Foundation

/// A tour of DfnsSDK against a Dfns API (the local simulator in `ops/demo`): wallets on a few networks, a transfer
/// from each polled to its final status, a replay by externalId, an invalid transfer refused before sending, and
/// one a policy rejects.
///
/// Environment: DFNS_API_URL, DFNS_AUTH_TOKEN, DFNS_CRED_ID, DFNS_PRIVATE_KEY_FILE, DEMO_DENIED_ADDRESS (optional).
@main
struct SDKDemo {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let token = environment["DFNS_AUTH_TOKEN"], let credentialId = environment["DFNS_CRED_ID"],
            let keyFile = environment["DFNS_PRIVATE_KEY_FILE"]
        else {
            FileHandle.standardError.write(Data("set DFNS_AUTH_TOKEN, DFNS_CRED_ID and DFNS_PRIVATE_KEY_FILE\n".utf8))
            exit(1)
        }
        let signer = try KeySigner(credentialId: credentialId, privateKeyFile: keyFile)
        let client = DfnsClient(
            configuration: DfnsClientConfiguration(baseURL: environment["DFNS_API_URL"] ?? "http://127.0.0.1:8787", authToken: token),
            signer: signer
        )
        print("signing with \(signer)")

        let destinations: [(network: String, to: String)] = [
            ("EthereumSepolia", "0xb282dc7cde21717f18337a596e91ded00b79b25f"),
            ("Solana", "9wEWKbSB3a4vVvNnPxDmB6UkvHc9Z7gFbKJ5YkC7TQdW"),
            ("Bitcoin", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ]
        var rows: [(String, String, String, String)] = []
        for (index, destination) in destinations.enumerated() {
            let wallet = try await client.createWallet(CreateWalletRequest(network: destination.network, name: "demo \(destination.network)"))
            rows.append(("create wallet", destination.network, wallet.id, wallet.address ?? "-"))
            let request = TransferRequest.native(to: destination.to, amount: "\(1000 * (index + 1))", externalId: "demo-\(wallet.id)")
            let transfer = try await client.createTransfer(walletId: wallet.id, request)
            let replay = try await client.createTransfer(walletId: wallet.id, request)
            let final = try await waitForFinal(client, transfer)
            rows.append(
                (
                    "transfer", destination.network, transfer.id,
                    "\(final.status)\(replay.id == transfer.id ? " (replay → same id)" : " (REPLAY DIFFERED)")"
                ))
        }

        let wallet = try await client.createWallet(CreateWalletRequest(network: "Ethereum"))
        do {
            _ = try await client.createTransfer(walletId: wallet.id, .native(to: "0xb282dc7cde21717f18337a596e91ded00b79b25f", amount: "1.5"))
        } catch let error as DfnsError {
            rows.append(("invalid transfer", "Ethereum", "-", "\(error.code): \(error.message)"))
        }
        if let denied = environment["DEMO_DENIED_ADDRESS"] {
            let transfer = try await client.createTransfer(walletId: wallet.id, .native(to: denied, amount: "5"))
            let final = try await waitForFinal(client, transfer)
            rows.append(("denied transfer", "Ethereum", transfer.id, "\(final.status): \(final.reason ?? "")"))
        }
        var count = 0
        for try await _ in client.listWallets(pageSize: 2) { count += 1 }
        rows.append(("list wallets", "-", "\(count) wallets", "pages of 2"))

        let widths = (0..<4).map { column in rows.map { [$0.0, $0.1, $0.2, $0.3][column].count }.max() ?? 0 }
        for row in [("operation", "network", "Dfns id", "status / result")] + rows {
            let cells = [row.0, row.1, row.2, row.3]
            print(zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }

    static func waitForFinal(_ client: DfnsClient, _ transfer: Transfer) async throws -> Transfer {
        var current = transfer
        while !current.status.isFinal {
            try await Task.sleep(for: .milliseconds(200))
            current = try await client.getTransfer(walletId: transfer.walletId, transferId: transfer.id)
        }
        return current
    }
}
