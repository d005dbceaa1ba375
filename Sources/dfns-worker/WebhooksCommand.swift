import ArgumentParser
import DfnsSDK
import Foundation

/// `dfns-worker webhooks register --url URL`: the Dfns webhook the worker's `run` needs, created (or brought up to
/// date when one with that URL exists), and the secret to store in `DFNS_WEBHOOK_SECRET`.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Manage the Dfns webhook that tells the worker when operations finish.",
        subcommands: [Register.self]
    )

    /// The events that move the worker's waiting jobs: the final statuses of transfers, transactions and signatures,
    /// and resolved approvals.
    static let events = [
        "wallet.transfer.broadcasted", "wallet.transfer.confirmed", "wallet.transfer.failed", "wallet.transfer.rejected",
        "wallet.transaction.broadcasted", "wallet.transaction.confirmed", "wallet.transaction.failed", "wallet.transaction.rejected",
        "wallet.signature.signed", "wallet.signature.failed", "wallet.signature.rejected", "policy.approval.resolved",
    ]

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create (or update) the webhook for URL with the events the worker needs; prints the secret to store."
        )

        @Option(help: "Where Dfns posts events: the worker's HTTP endpoint and --webhook-path, as reachable from Dfns (https).") var url: String
        @OptionGroup var dfns: DfnsOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            guard let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("--url must be an http(s) URL")
            }
            let client = try dfns.makeClient(logger: try logging.bootstrap(label: "dfns.worker"))
            let existing = try await Array(collecting: client.all { try DfnsWebhooks.listWebhooks(limit: 100, paginationToken: $0) }).first {
                $0.url == url
            }
            if let existing {
                _ = try await client.send(DfnsWebhooks.updateWebhook(webhookId: existing.id, events: WebhooksCommand.events, status: "Enabled"))
                print("webhook \(existing.id) for \(url) updated (\(WebhooksCommand.events.count) events, enabled).")
                print("Dfns shows a webhook's secret only when it is created: keep the DFNS_WEBHOOK_SECRET you stored then.")
                return
            }
            let webhook = try await client.send(
                DfnsWebhooks.createWebhook(
                    url: url, events: WebhooksCommand.events, description: "dfns-worker: wakes jobs waiting on Dfns", status: "Enabled"
                ))
            print("webhook \(webhook.id) created for \(url) (\(WebhooksCommand.events.count) events).")
            print("Store its secret for `dfns-worker run` (Dfns shows it only now), e.g. in the unit's environment file:")
            print("DFNS_WEBHOOK_SECRET=\(webhook.secret ?? "")")
        }
    }
}

extension Array {
    /// Every element of an async sequence, in order.
    init<S: AsyncSequence>(collecting sequence: S) async throws where S.Element == Element {
        self = []
        for try await element in sequence { append(element) }
    }
}
