"""The payins client: options, accounts and balances at a provider, recipients (a CircleMint registration waits for the
provider's approval, a Borderless one is active), quotes and a payin that debits the provider balance; refusals (a
payin to a recipient not yet approved, an unknown payin)."""


def run(context):
    call, client = context.call, context.client
    wid = context.wallet_id
    call("payins", "list_payin_options", {"provider": "CircleMint"},
         expect=lambda o: o["assets"] == ["USDC", "EURC"] and {c["currency"] for c in o["currencies"]} == {"USD", "EUR"})
    target = {"provider": "CircleMint", "walletId": wid, "currency": "USD"}
    call("payins", "get_payin_recipient", target, expect=lambda r: r["status"] == "NotRegistered")
    call("payins", "create_payin_recipient", target,
         expect=lambda r: r["status"] == "PendingVerification" and r["recipientAddressId"].startswith("pra-"))
    context.refused("payins: a payin to a recipient the provider has not approved is a 400", 400,
            lambda: client.payins.create_payin(dict(target, amount="10.00")))
    borderless = dict(target, provider="Borderless")
    call("payins", "register_payin_recipient", borderless, expect=lambda r: r["status"] == "Active")
    call("payins", "create_payin_quote", dict(borderless, amount="100.00"),
         expect=lambda q: q["tid"].startswith("tid-") and q["quotes"][0]["offer"] == {"asset": "USDC", "amount": "99900000", "fees": "0.10"})
    call("payins", "request_payin_quote", dict(borderless, amount="5"), expect=lambda q: q["network"]["network"] == "EthereumSepolia")
    payin = call("payins", "create_payin", dict(borderless, amount="100.00", externalId=f"cov-payin-{context.stamp}"),
                 expect=lambda p: p["id"].startswith("pyi-") and p["status"] == "Processing" and p["asset"]["amount"] == "100000000")
    pid = payin.get("id", "pyi-missing")
    call("payins", "get_payin", pid, expect=lambda p: p["walletId"] == wid and p["amount"] == "100.00")
    call("payins", "get_payin_status", pid, expect=lambda p: p["status"] in ("Processing", "Completed"))
    call("payins", "list_payins", {"walletId": wid, "provider": "Borderless"}, expect=lambda page: [p["id"] for p in page["items"]] == [pid])
    call("payins", "list_payin_balances", {"provider": "Borderless"},
         expect=lambda b: {i["currency"]: i["amount"] for i in b["items"]} == {"EUR": "1000000.00", "USD": "999900.00"})
    call("payins", "list_payin_accounts", {"provider": "Borderless"},
         expect=lambda a: [x["accountId"] for x in a["items"]] == ["acct-borderless"] and a["items"][0]["assets"] == [])
    call("payins", "register_payin_account_asset", {"provider": "Borderless", "accountId": "acct-borderless", "walletId": wid, "asset": "USDC"},
         expect=lambda a: [(x["walletId"], x["asset"]) for x in a["assets"]] == [(wid, "USDC")])
    context.refused("payins: an unknown payin is a 404", 404, lambda: client.payins.get_payin("pyi-00000-00000-0000000000000000"))
    context.refused("payins: an amount that is not a decimal string is a 400", 400,
            lambda: client.payins.create_payin_quote(dict(borderless, amount="ten")))
