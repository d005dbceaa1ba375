"""The swaps client: a quote, a swap attesting the quote's parameters, executed by a wallet transaction whose policy
approval and confirmation move the swap from PendingPolicyApproval through InProgress to Completed."""


USDC = "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"
NULL_SWAP = "swap-00000-00000-0000000000000000"


def run(context):
    call, client = context.call, context.client
    wallet = client.wallets.create_wallet({"network": "EthereumSepolia", "name": "swaps"})["id"]
    source = {"kind": "Native", "amount": "1000000000000000000"}
    body = {"walletId": wallet, "provider": "UniswapClassic", "sourceAsset": source, "targetAsset": {"kind": "Erc20", "contract": USDC},
            "slippageBps": 50}
    quote = call("swaps", "request_swap_quote", body,
                 expect=lambda q: q["id"].startswith("swapQuote-") and q["targetWalletId"] == wallet
                 and q["targetAsset"]["amount"] == "997000000000000000" and q["sourceAsset"]["metadata"]["network"] == "EthereumSepolia")
    qid = quote.get("id", "swapQuote-missing")
    call("swaps", "get_swap_quote", qid, expect=lambda q: q == quote)
    target = {"kind": "Erc20", "contract": USDC, "amount": "990000000000000000"}
    swap_body = {"quoteId": qid, "walletId": wallet, "provider": "UniswapClassic", "slippageBps": 50, "sourceAsset": source,
                 "targetAsset": target, "reference": f"cov-{context.stamp}"}
    context.refused("a swap whose slippage differs from its quote is refused (400)", 400,
            lambda: client.swaps.create_swap(dict(swap_body, slippageBps=100)))
    # The simulator's policy holds every transaction for approval: the swap waits for it.
    swap = call("swaps", "create_swap", swap_body,
                expect=lambda s: s["id"].startswith("swap-") and s["quoteId"] == qid and s["status"] == "PendingPolicyApproval"
                and s["quotedTargetAsset"]["amount"] == "997000000000000000" and s["reference"] == f"cov-{context.stamp}")
    sid = swap.get("id", NULL_SWAP)
    call("swaps", "list_swaps", {"limit": 10}, expect=lambda page: [s["id"] for s in page["items"]] == [sid])
    transactions = client.wallets.list_transactions(wallet)["items"]
    context.check("the swap is executed by one wallet transaction held for approval",
                  len(transactions) == 1 and transactions[0].get("approvalId"), str(transactions)[:200])
    if transactions and transactions[0].get("approvalId"):
        client.policies.create_approval_decision(transactions[0]["approvalId"], {"value": "Approved", "reason": "swap"})
        context.check("an approved swap is InProgress", client.swaps.get_swap(sid)["status"] == "InProgress")
        context.control(f"transfers/{transactions[0]['id']}/advance", {"status": "Confirmed"})
    call("swaps", "get_swap", sid, expect=lambda s: s["status"] == "Completed" and "failureReason" not in s)
    context.refused("an unknown swap is 404", 404, lambda: client.swaps.get_swap(NULL_SWAP))
