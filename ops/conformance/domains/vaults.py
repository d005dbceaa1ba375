"""The vaults client: a vault's address takes deposits (a large one quarantined until released), locks hold part of
the available balance (replaced, transferred to their beneficiary, released), and transfers leave it."""

EVM = "0x" + "ef" * 20
ETH = 10 ** 18
FEE = 21_000 * 10 ** 9  # the simulator's estimated EVM fee: 21,000 gas at 1 gwei


def run(context):
    call, client = context.call, context.client
    vault = call("vaults", "create_vault", {"name": "cov", "tags": ["a"], "externalId": f"cov-vault-{context.stamp}"},
                 expect=lambda v: v["id"].startswith("vlt-") and v["tags"] == ["a"] and v["orgId"])
    vid = vault.get("id", "vlt-missing")
    call("vaults", "get_vault", vid, expect=lambda v: v["id"] == vid and v["name"] == "cov")
    call("vaults", "list_vaults", {"limit": 10}, expect=lambda page: vid in [v["id"] for v in page["items"]])
    call("vaults", "update_vault", vid, {"name": "renamed"}, expect=lambda v: v["name"] == "renamed" and v["dateUpdated"] >= v["dateCreated"])
    call("vaults", "tag_vault", vid, {"tags": ["b"]}, expect=lambda r: r == {})
    call("vaults", "untag_vault", vid, {"tags": ["a"]}, expect=lambda r: r == {})
    context.check("tags added and removed", client.vaults.get_vault(vid)["tags"] == ["b"])
    address = call("vaults", "create_vault_address", vid, {"network": "EthereumSepolia"},
                   expect=lambda a: a["walletId"].startswith("wa-") and a["network"] == "EthereumSepolia" and a["address"].startswith("0x"))
    target = address.get("address", EVM)

    # Deposits: half an ether is available once confirmed; two ethers are quarantined by KYT until released.
    small = client.wallets.transfer_asset(context.wallet_id, {"kind": "Native", "to": target, "amount": str(ETH // 2),
                                                              "externalId": f"cov-vault-in1-{context.stamp}"})
    context.confirm(small["id"])
    large = client.wallets.transfer_asset(context.wallet_id, {"kind": "Native", "to": target, "amount": str(2 * ETH),
                                                              "externalId": f"cov-vault-in2-{context.stamp}"})
    large_hash = context.confirm(large["id"]).get("txHash")
    call("vaults", "list_vault_balances", vid, {"kind": "Available"},
         expect=lambda page: [(b["tid"], b["amount"]) for b in page["items"]] == [("native:eth", str(ETH // 2))])
    quarantines = call("vaults", "list_vault_quarantines", vid, {"limit": 10},
                       expect=lambda page: [q["transactionHash"] for q in page["items"]] == [large_hash])
    qid = (quarantines.get("items") or [{}])[0].get("id", "vq-missing")
    call("vaults", "get_vault_quarantine", vid, qid, expect=lambda q: q["id"] == qid and "dateReleased" not in q)
    call("vaults", "release_quarantine", vid, qid, {"reason": "reviewed"},
         expect=lambda r: r["status"] == "Executed" and r["quarantineId"] == qid and r["reason"] == "reviewed")
    again = context.status_of(lambda: client.vaults.release_quarantine(vid, qid, {"reason": "again"}))
    context.check("a released quarantine cannot be released again", again == 400, str(again))

    # Locks: created, replaced at a new total, partly sent to the beneficiary (then deleted), another released.
    lock = call("vaults", "create_vault_lock", vid, {"network": "EthereumSepolia", "tid": "native:eth", "amount": str(ETH),
                                                      "beneficiary": EVM, "reason": "escrow"},
                expect=lambda l: l["id"].startswith("vlk-") and l["amount"] == str(ETH) and l["owner"])
    lid = lock.get("id", "vlk-missing")
    call("vaults", "get_vault_lock", vid, lid, expect=lambda l: l == lock)
    replaced = call("vaults", "replace_vault_lock", vid, lid, {"amount": str(ETH + ETH // 5)},
                    expect=lambda l: l["replacesLockId"] == lid and l["reason"] == "escrow" and l["beneficiary"] == EVM)
    nid = replaced.get("id", "vlk-missing")
    sent = call("vaults", "transfer_vault_lock", vid, nid, {"amount": str(7 * ETH // 10)},
                expect=lambda t: t["walletId"] == address.get("walletId") and t["requestBody"]["to"] == EVM)
    context.confirm(sent.get("id", "xfr-missing"))
    released = call("vaults", "create_vault_lock", vid, {"network": "EthereumSepolia", "tid": "native:eth", "amount": "1000"})
    call("vaults", "release_vault_lock", vid, released.get("id", "vlk-missing"), expect=lambda l: "dateDeleted" in l)
    call("vaults", "list_vault_locks", vid, {"limit": 10},
         expect=lambda page: [(l["id"], "dateDeleted" in l) for l in page["items"]]
         == [(lid, True), (nid, True), (released.get("id"), True)])

    # A transfer out, held by the coverage simulator's policy (202, Pending); a replay answers the same transfer.
    body = {"network": "EthereumSepolia", "tid": "native:eth", "to": EVM, "amount": str(ETH // 10), "externalId": f"cov-vout-{context.stamp}"}
    out = call("vaults", "create_vault_transfer", vid, body,
               expect=lambda t: t["status"] == "Pending" and t["requestBody"]["amount"] == str(ETH // 10))
    replayed = client.vaults.create_vault_transfer(vid, body)
    context.check("a vault transfer replayed with its externalId is the same transfer", replayed["id"] == out.get("id"), str(replayed)[:200])
    available = 5 * ETH // 2 - 7 * ETH // 10 - ETH // 10 - 2 * FEE
    call("vaults", "list_vault_assets", vid, {"network": "EthereumSepolia"},
         expect=lambda r: [(a["tid"], a["availableBalance"], a["quarantinedBalance"], a["lockedBalance"]) for a in r["items"]]
         == [("native:eth", str(available), "0", "0")] and r["netWorth"]["total"] == {"USD": 0})
    call("vaults", "list_vault_history", vid, {"limit": 50},
         expect=lambda page: {h["kind"] for h in page["items"]} == {"IncomingTransfer", "OutgoingTransfer", "LockCreated", "LockDeleted"})
    context.check("a vault transfer beyond the available balance is a 400",
                  context.status_of(lambda: client.vaults.create_vault_transfer(vid, {"network": "EthereumSepolia", "tid": "native:eth", "to": EVM,
                                                                              "amount": str(10 * ETH)})) == 400)
    context.check("an unknown vault is a 404", context.status_of(lambda: client.vaults.get_vault("vlt-00000-00000-0000000000000000")) == 404)
