"""The address_watches client: an on-chain address Dfns indexes without holding its key; its history and balances
follow the simulator's chain (confirmed transfers paying it), and a deleted watch comes back with its id."""


def run(context):
    call, client = context.call, context.client
    given = "0x" + ("%040x" % (0xABCDEF000000 + context.stamp)).upper()
    address = given.lower()
    watch = call("address_watches", "create_address_watch",
                 {"network": "EthereumSepolia", "address": given, "name": "cov-watch", "externalId": f"cov-aw-{context.stamp}"},
                 expect=lambda w: w["id"].startswith("aw-") and w["status"] == "Active" and w["address"] == address
                 and w["name"] == "cov-watch" and w["tags"] == [])
    wid = watch.get("id", "aw-missing")
    call("address_watches", "get_address_watch", wid, expect=lambda w: w == watch)
    call("address_watches", "list_address_watches", {"limit": 10}, expect=lambda page: wid in [w["id"] for w in page["items"]])

    # A transfer paying the address is indexed once confirmed on chain.
    transfer = client.wallets.transfer_asset(context.wallet_id, {"kind": "Native", "to": address, "amount": "25",
                                                                 "externalId": f"cov-aw-pay-{context.stamp}"})
    confirmed = context.confirm(transfer["id"])
    call("address_watches", "get_address_watch_history", wid, {"direction": "In"},
         expect=lambda page: [(e["txHash"], e["kind"], e["direction"], e["value"], e["addressWatchId"]) for e in page["items"]]
         == [(confirmed["txHash"], "NativeTransfer", "In", "25", wid)])
    call("address_watches", "get_address_watch_assets", wid, {"netWorth": "true"},
         expect=lambda r: [(a["kind"], a["balance"]) for a in r["assets"]] == [("Native", "25")] and r["netWorth"] == {"USD": 0})
    call("address_watches", "get_address_watch_blockchain_events", wid, {"limit": 5},
         expect=lambda page: page["items"] == [] and page["addressWatchId"] == wid and page["network"] == "EthereumSepolia")

    context.check("a second active watch of the same address is a 409",
                  context.status_of(lambda: client.address_watches.create_address_watch({"network": "EthereumSepolia", "address": address}))
                  == 409)
    call("address_watches", "delete_address_watch", wid, expect=lambda w: w["status"] == "Archived" and "dateDeleted" in w)
    again = client.address_watches.create_address_watch({"network": "EthereumSepolia", "address": address, "name": "other"})
    context.check("watching a deleted address again re-activates the same watch",
                  again["id"] == wid and again["status"] == "Active" and again["name"] == "cov-watch" and "dateDeleted" not in again,
                  str(again)[:200])
    context.check("an address watch on a network without watches is a 400",
                  context.status_of(lambda: client.address_watches.create_address_watch({"network": "Bitcoin", "address": address})) == 400)
    context.check("an unknown address watch is a 404",
                  context.status_of(lambda: client.address_watches.get_address_watch("aw-00000-00000-0000000000000000")) == 404)
