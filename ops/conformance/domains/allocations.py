"""The allocations client: a 0fns quote, a position opened by a deposit (idempotent by externalId), a withdrawal, and a
deposit whose unfilled order placement is cancelled; each action is executed by a wallet transaction that the
simulator's policy holds for approval."""


USDC = "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"
OFNS = "0x0a7660979a67e4bc51e750c628c8479ff9f458ae"
NULL_ALLOCATION = "allctn-00000-00000-0000000000000000"


def run(context):
    call, client = context.call, context.client
    wallet = client.wallets.create_wallet({"network": "EthereumSepolia", "name": "allocations"})["id"]
    seen = set()

    def approve_next():
        """Approves the wallet's newest transaction (the one an action created) and answers it."""
        return context.approve_newest(wallet, seen)

    usdc = lambda amount: {"kind": "Erc20", "contract": USDC, "amount": amount}
    ofns = lambda amount: {"kind": "Erc20", "contract": OFNS, "amount": amount}
    call("allocations", "create_allocation_quote",
         {"walletId": wallet, "protocol": "0fns", "kind": "Deposit", "sourceAsset": usdc("1000000000"), "targetAsset": {"kind": "Erc20", "contract": OFNS}},
         expect=lambda q: q["targetAsset"]["amount"] == "1000000000" and q["estFillTime"] > 0 and q["kind"] == "Deposit")
    call("allocations", "get_allocations_info", expect=lambda info: info["0fns"]["provider"] == "M0" and "SkySusds" in info)
    body = {"walletId": wallet, "protocol": "0fns", "sourceAsset": usdc("1000000000"), "targetAsset": ofns("1000000000"), "slippageBps": 50,
            "externalId": f"cov-allocation-{context.stamp}"}
    allocation = call("allocations", "create_allocation", body,
                      expect=lambda a: a["id"].startswith("allctn-") and a["provider"] == "M0" and a["amount"]["amount"] == "0"
                      and [x["status"] for x in a["actions"]] == ["PendingPolicyApproval"])
    aid = allocation.get("id", NULL_ALLOCATION)
    context.check("createAllocation replayed with its externalId answers the same allocation", client.allocations.create_allocation(body)["id"] == aid)
    context.refused("another body with the same externalId is 409", 409, lambda: client.allocations.create_allocation(dict(body, slippageBps=60)))
    call("allocations", "list_allocations", {"limit": 10}, expect=lambda page: [a["id"] for a in page["items"]] == [aid])
    deposit = approve_next()
    context.control(f"transfers/{deposit['id']}/advance", {"status": "Confirmed"})
    call("allocations", "get_allocation", aid,
         expect=lambda a: a["amount"]["amount"] == "1000000000" and a["rewards"]["amount"] == "5000000" and a["actions"][0]["status"] == "Completed")
    context.refused("withdrawing more than is allocated is refused (400)", 400,
            lambda: client.allocations.create_allocation_action(aid, {"kind": "Withdraw", "sourceAsset": ofns("2000000000"), "targetAsset": usdc("2000000000"),
                                                                      "slippageBps": 50}))
    call("allocations", "create_allocation_action", aid,
         {"kind": "Withdraw", "sourceAsset": ofns("400000000"), "targetAsset": usdc("400000000"), "slippageBps": 50},
         expect=lambda a: [(x["kind"], x["status"]) for x in a["actions"]] == [("Deposit", "Completed"), ("Withdraw", "PendingPolicyApproval")])
    withdrawal = approve_next()
    context.control(f"transfers/{withdrawal['id']}/advance", {"status": "Confirmed"})
    placed = client.allocations.create_allocation_action(aid, {"kind": "Deposit", "sourceAsset": usdc("5"), "targetAsset": ofns("5"), "slippageBps": 50})
    approve_next()
    order = placed["actions"][-1]["id"] if placed.get("actions") else "allctnact-missing"
    call("allocations", "cancel0fns_order_placement", {"allocationActionId": order}, expect=lambda r: r["transactionId"].startswith("tx-"))
    call("allocations", "list_allocation_actions", aid,
         expect=lambda page: [x["status"] for x in page["items"]] == ["Completed", "Completed", "Failed"])
    context.check("the position is what the completed actions allocated",
                  client.allocations.get_allocation(aid)["amount"]["amount"] == "600000000")
    context.refused("an unknown allocation is 404", 404, lambda: client.allocations.get_allocation(NULL_ALLOCATION))
