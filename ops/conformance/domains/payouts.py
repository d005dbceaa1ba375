"""The payouts client: a quote, a Borderless payout that awaits confirmation at its deposit address, confirmed to
Completed; an idempotent externalId, and refusals (a confirmation that does not echo the payout, an unknown payout)."""

USDC = "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"


def run(context):
    call, client = context.call, context.client
    wid = context.wallet_id
    asset = {"kind": "Erc20", "amount": "1000000000", "contract": USDC}
    order = {"walletId": wid, "asset": asset, "fiatCurrency": "USD", "provider": "Borderless", "country": "US"}
    call("payouts", "request_payout_quote", order,
         expect=lambda q: q["provider"] == "Borderless" and q["asset"]["network"] == "EthereumSepolia"
         and q["quotes"][0]["offer"] == {"fiatCurrency": "USD", "amount": 985.5, "fees": 14.5})
    body = dict(order, borderlessAccountId="acc-1", paymentInstructionsId="pi-1", paymentPurpose="salary payment",
                externalId=f"cov-payout-{context.stamp}")
    payout = call("payouts", "create_payout", body,
                  expect=lambda p: p["id"].startswith("pyt-") and p["status"] == "Processing" and p["data"]["executionStatus"] == "Initializing")
    pid = payout.get("id", "pyt-missing")
    again = client.payouts.create_payout(body)
    context.check("payouts: the same externalId and body answer the same payout", again.get("id") == pid, str(again)[:200])
    context.refused("payouts: the same externalId with another body is a 409", 409, lambda: client.payouts.create_payout(dict(body, paymentPurpose="travel")))
    waiting = call("payouts", "get_payout", pid,
                   expect=lambda p: p["data"]["executionStatus"] == "AwaitingPayoutConfirmation" and p["data"]["depositAddress"].startswith("0x"))
    deposit = waiting.get("data", {}).get("depositAddress", "0x")
    try:
        client.payouts.create_payout_action(pid, {"action": "Confirm", "walletId": wid, "transfer": dict(asset, to=EVM_ELSEWHERE)})
        context.check("payouts: a confirmation to another address is a 400", False, "it was accepted")
    except Exception as error:  # noqa: BLE001
        context.check("payouts: a confirmation to another address is a 400",
                      getattr(error, "status_code", None) == 400 and "depositAddress" in str(error), repr(error)[:200])
    call("payouts", "create_payout_action", pid, {"action": "Confirm", "walletId": wid, "transfer": dict(asset, to=deposit)},
         expect=lambda r: r == {})
    call("payouts", "get_payout_status", pid,
         expect=lambda p: p["status"] == "Completed" and p["data"]["transferId"].startswith("xfr-") and p.get("dateFinalized"))
    call("payouts", "list_payouts", {"walletId": wid, "status": "Completed"}, expect=lambda page: [p["id"] for p in page["items"]] == [pid])
    context.refused("payouts: an unknown payout is a 404", 404, lambda: client.payouts.get_payout("pyt-00000-00000-0000000000000000"))


EVM_ELSEWHERE = "0x" + "cd" * 20
