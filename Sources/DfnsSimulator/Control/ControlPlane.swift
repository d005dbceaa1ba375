import Foundation
import Hummingbird

/// The test-only control plane under `/_sim/`: health, stats, every transfer, and the knobs tests and `ops/chaos`
/// turn (faults, revoked tokens, forbidden wallets, foreign wallets, approval decisions). No authentication, no
/// faults: it is not part of the Dfns API.
extension DfnsSimulator {
    func addControlPlane(to router: Router<SimulatorRequestContext>) {
        let group = router.group("/_sim")
        group.get("/health") { _, _ in APIResponse(json: ["status": "ok"]) }
        addIdentityControls(to: group)
        group.get("/stats") { [principalStore, rateBudget, faultInjector, userActionStore, walletStore, documents] _, _ in
            // Each store counts under its own lock, so this is a snapshot per store, not one across them.
            let (traffic, injected, made) = (rateBudget.counters(), faultInjector.counters(), walletStore.counters())
            let transfers = walletStore.allTransfers()
            let walletExternalIds = walletStore.allWallets().compactMap(\.externalId)
            return APIResponse(
                json: [
                    "requests": traffic.requests, "unauthorized": principalStore.unauthorized, "rateLimited": traffic.rateLimited,
                    "injectedServerErrors": injected.injectedServerErrors, "injectedRateLimits": injected.injectedRateLimits,
                    "lostResponses": injected.lostResponses, "serverErrorsAfterCommit": injected.serverErrorsAfterCommit,
                    "garbledResponses": injected.garbledResponses, "injectedNotFound": injected.injectedNotFound,
                    "signatureFailures": userActionStore.signatureFailures,
                    "walletsCreated": made.walletCreates, "transfersCreated": made.transferCreates,
                    "transferReplays": made.transferReplays, "conflicts": made.conflicts, "transactionsCreated": made.transactionCreates,
                    "replacements": made.replacements,
                    "signaturesCreated": documents.count(.signature),
                    "transfersWithExternalId": transfers.count { $0.externalId != nil },
                    "distinctTransferExternalIds": Set(transfers.compactMap(\.externalId)).count,
                    "walletsWithExternalId": walletExternalIds.count,
                    "distinctWalletExternalIds": Set(walletExternalIds).count,
                    "requestsByEndpoint": Dictionary(uniqueKeysWithValues: traffic.byEndpoint.map { ($0.key.rawValue, $0.value) }),
                ] as [String: Any])
        }
        group.get("/transfers") { [walletStore, configuration] _, _ in
            let now = Date()
            return APIResponse(json: ["items": walletStore.allTransfers().map { $0.json(at: now, step: configuration.transferStep) }])
        }
        group.put("/faults") { [faultInjector] request, _ in
            // {"<endpoint>": FaultRule, …}; {} clears every fault.
            let faults: [String: FaultRule]
            do {
                faults = try JSONDecoder().decode([String: FaultRule].self, from: Data(try await Self.body(of: request)))
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError.badRequest("the body must map endpoint names to fault rules: \(error)")
            }
            var plan: [SimulatorEndpoint: FaultRule] = [:]
            for (name, rule) in faults {
                guard let endpoint = SimulatorEndpoint(rawValue: name) else {
                    throw APIError.badRequest("unknown endpoint \(name) (use \(SimulatorEndpoint.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                plan[endpoint] = rule
            }
            faultInjector.setRules(plan)
            return APIResponse(json: ["endpoints": plan.count])
        }
        group.put("/revoked-tokens") { [principalStore] request, _ in
            // A JSON array of bearer tokens to answer 401 from now on, as Dfns does once a token is revoked; [] restores.
            guard let tokens = SimulatorJSON.parse(try await Self.body(of: request)) as? [String] else {
                throw APIError.badRequest("the body must be a JSON array of bearer tokens")
            }
            principalStore.setRevokedBearers(Set(tokens))
            return APIResponse(json: ["revoked": tokens.count])
        }
        group.put("/forbidden-wallets") { [walletStore] request, _ in
            // A JSON array of wallet ids whose transfers are answered 403 (a permission scoped to other wallets).
            guard let ids = SimulatorJSON.parse(try await Self.body(of: request)) as? [String] else {
                throw APIError.badRequest("the body must be a JSON array of wallet ids")
            }
            walletStore.setForbiddenWallets(Set(ids))
            return APIResponse(json: ["forbidden": ids.count])
        }
        group.post("/foreign-wallets") { [principalStore, walletStore] request, _ in
            // A wallet another application of the organisation made: {network, externalId?, name?, oddShape?}.
            let object = try Self.object(await Self.body(of: request))
            guard let network = object["network"] as? String, let principal = principalStore.anyPrincipal else {
                throw APIError.badRequest("network is required")
            }
            let wallet = try walletStore.createWallet(
                principal: principal, network: network, name: object["name"] as? String, externalId: object["externalId"] as? String,
                tags: [], foreign: true, oddShape: object["oddShape"] as? Bool ?? false
            )
            return APIResponse(json: wallet)
        }
        group.post("/offers") { [principalStore, walletStore, documents] request, _ in
            // An incoming offer to a wallet, as a counterparty would make one: {walletId, kind?, value?, from?}.
            let object = try Self.object(await Self.body(of: request))
            guard let walletId = object["walletId"] as? String, let principal = principalStore.anyPrincipal else {
                throw APIError.badRequest("walletId is required")
            }
            let wallet = try walletStore.wallet(walletId, principal: principal)
            let id = documents.newId("of-")
            let offer: [String: Any] = [
                "id": id, "orgId": principal.orgId, "walletId": walletId, "network": wallet.network, "kind": object["kind"] as? String ?? "Native",
                "metadata": [:] as [String: Any], "txHash": "0x" + String(repeating: "0", count: 64), "status": "Pending",
                "from": object["from"] as? String ?? "counterparty::1220", "to": wallet.address ?? "", "value": object["value"] as? String ?? "1000",
                "timestamp": SimulatedTransfer.format(Date()),
            ]
            documents.insert(.offer, id: id, orgId: principal.orgId, parent: walletId, json: offer)
            return APIResponse(json: offer)
        }
        group.post("/transfers/:transferId/advance") { [walletStore, configuration] request, context in
            // {"status": "Executing"}: the transfer (or transaction) enters that stage now, as if requested earlier.
            let status = (try? Self.object(await Self.body(of: request)))?["status"] as? String ?? ""
            let now = Date()
            guard let transfer = walletStore.advance(context.parameters.get("transferId") ?? "", to: status, step: configuration.transferStep) else {
                throw APIError(404, "no such transfer, or status is not Pending, Executing, Broadcasted or Confirmed")
            }
            return APIResponse(json: transfer.json(at: now, step: configuration.transferStep))
        }
        group.post("/approvals/:transferId") { [walletStore] request, context in
            // {"approve": false} rejects; anything else approves.
            let object = (try? Self.object(await Self.body(of: request))) ?? [:]
            let approve = object["approve"] as? Bool ?? true
            guard walletStore.decideApproval(transferId: context.parameters.get("transferId") ?? "", approve: approve) else {
                throw APIError(404, "no transfer waiting for approval with that id")
            }
            return APIResponse(json: ["approved": approve])
        }
    }

    private static func body(of request: Request) async throws(APIError) -> [UInt8] {
        do {
            var buffer = try await request.body.collect(upTo: 1 << 20)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw APIError(413, "request body too large or unreadable")
        }
    }

    /// What a user would find in their mailbox and do at the identity provider: the emails Dfns sent (registration,
    /// login and recovery codes, `GET /_sim/messages?username=`), an ID token for a social login (`POST
    /// /_sim/idp/id-token {email}`), and a sign-in that completes an SSO or OIDC redirect (`POST /_sim/idp/authorize
    /// {state, email}` → `{code, state, redirect}`).
    private func addIdentityControls(to group: RouterGroup<SimulatorRequestContext>) {
        group.get("/messages") { [authFlows] request, _ in
            let username = Self.formQuery(request.uri.query ?? "")["username"]
            return APIResponse(json: ["items": authFlows.messages.filter { username == nil || $0.username == username }.map(\.json)])
        }
        group.post("/idp/id-token") { [identityProvider, principalStore] request, _ in
            let object = try Self.object(await Self.body(of: request))
            guard let email = object["email"] as? String else { throw APIError.badRequest("email is required") }
            return APIResponse(json: ["idToken": identityProvider.idToken(email: email, orgId: principalStore.orgId)])
        }
        group.post("/idp/authorize") { [identityProvider] request, _ in
            let object = try Self.object(await Self.body(of: request))
            guard let state = object["state"] as? String, let email = object["email"] as? String else {
                throw APIError.badRequest("state and email are required")
            }
            guard let (code, redirect) = identityProvider.authorize(state: state, email: email) else {
                throw APIError(404, "no open sign-in has this state")
            }
            return APIResponse(json: ["code": code, "state": state, "redirect": redirect])
        }
    }
}
