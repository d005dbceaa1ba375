"""The exchanges client: an exchange integration, its accounts and assets, a deposit made by a real wallet transfer,
a withdrawal, deletion; refusals (a configuration without keys, an unknown exchange after deletion)."""

KEYS = {"publicApiKey": "1234", "privateApiKey": "5678"}
USDC_SEPOLIA = "0x1c7d4b196cb0c7b01d743fbc6116a902379c7238"


def run(context):
    call, client = context.call, context.client
    wid = context.wallet_id
    context.refused("exchanges: a configuration without keys is a 400", 400,
            lambda: client.exchanges.create_exchange({"kind": "Kraken", "readConfiguration": {}, "writeConfiguration": KEYS}))
    exchange = call("exchanges", "create_exchange", {"kind": "Kraken", "name": "kraken", "readConfiguration": KEYS, "writeConfiguration": KEYS},
                    expect=lambda e: e["id"].startswith("ex-") and e["kind"] == "Kraken" and "readConfiguration" not in e)
    eid = exchange.get("id", "ex-missing")
    call("exchanges", "get_exchange", eid, expect=lambda e: e["name"] == "kraken")
    call("exchanges", "list_exchanges", {"limit": 10}, expect=lambda page: [e["id"] for e in page["items"]] == [eid])
    call("exchanges", "list_accounts", eid,
         expect=lambda page: [(a["id"], a["exchangeId"], a["exchangeName"]) for a in page["items"]] == [("spot", eid, "kraken"), ("funding", eid, "kraken")])
    call("exchanges", "list_account_assets", eid, "spot", expect=lambda page: [a["symbol"] for a in page["items"]] == ["TRX", "USDC"])
    call("exchanges", "list_asset_withdrawal_networks", eid, "spot", "USDC", expect=lambda networks: "EthereumSepolia" in [n["network"] for n in networks])
    deposit = {"walletId": wid, "kind": "Native", "amount": "1000"}
    made = call("exchanges", "create_deposit", eid, "spot", deposit,
                expect=lambda d: d["kind"] == "Deposit" and d["transferId"].startswith("xfr-") and d["requestBody"] == deposit)
    transfer = client.wallets.get_transfer(wid, made.get("transferId", "xfr-missing"))
    context.check("exchanges: a deposit is a transfer from the wallet", transfer.get("requestBody", {}).get("amount") == "1000", str(transfer)[:200])
    call("exchanges", "create_exchange_deposit", eid, "funding", dict(deposit, amount="2000"), expect=lambda d: d["accountId"] == "funding")
    withdrawal = {"walletId": wid, "kind": "Erc20", "contract": USDC_SEPOLIA, "amount": "1000000"}
    call("exchanges", "create_withdrawal", eid, "spot", withdrawal,
         expect=lambda w: w["kind"] == "Withdrawal" and "transferId" not in w and w["exchangeReference"])
    call("exchanges", "create_exchange_withdrawal", eid, "funding", withdrawal, expect=lambda w: w["accountId"] == "funding")
    context.refused("exchanges: a withdrawal over the account balance is a 400", 400,
            lambda: client.exchanges.create_withdrawal(eid, "spot", dict(withdrawal, amount="7000000")))
    call("exchanges", "delete_exchange", eid, expect=lambda r: r == {"deleted": True})
    context.refused("exchanges: a deleted exchange is a 404", 404, lambda: client.exchanges.get_exchange(eid))
