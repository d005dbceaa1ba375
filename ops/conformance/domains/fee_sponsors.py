"""The fee_sponsors client: a sponsor wallet pays the fees of another wallet's transfer on its network."""

EVM = "0x" + "ab" * 20


def run(context):
    call, client = context.call, context.client
    sponsor_wallet = client.wallets.create_wallet({"network": "EthereumSepolia", "name": "sponsor"})["id"]
    sponsor = call("fee_sponsors", "create_fee_sponsor", {"walletId": sponsor_wallet, "name": "cov"},
                   expect=lambda s: s["id"].startswith("fs-") and s["status"] == "Active" and s["network"] == "EthereumSepolia")
    fid = sponsor.get("id", "fs-missing")
    call("fee_sponsors", "get_fee_sponsor", fid, expect=lambda s: s["walletId"] == sponsor_wallet)
    call("fee_sponsors", "list_fee_sponsors", {"limit": 10}, expect=lambda page: [s["id"] for s in page["items"]] == [fid])
    transfer = client.wallets.transfer_asset(context.wallet_id, {"kind": "Native", "to": EVM, "amount": "7", "feeSponsorId": fid,
                                                                 "externalId": f"cov-sponsored-{context.stamp}"})
    call("fee_sponsors", "list_sponsored_fees", fid,
         expect=lambda page: [(f["requestId"], f["sponsoreeId"]) for f in page["items"]] == [(transfer["id"], context.wallet_id)])
    call("fee_sponsors", "deactivate_fee_sponsor", fid, expect=lambda s: s["status"] == "Deactivated")
    call("fee_sponsors", "activate_fee_sponsor", fid, expect=lambda s: s["status"] == "Active")
    call("fee_sponsors", "delete_fee_sponsor", fid, expect=lambda s: s["status"] == "Archived")
    context.refused("an archived fee sponsor cannot be activated again", 400, lambda: client.fee_sponsors.activate_fee_sponsor(fid))
