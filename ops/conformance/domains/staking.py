"""The staking client: a Babylon stake (idempotent by externalId) goes Staking -> Active once its Stake action's wallet
transaction is approved and confirmed, then Unbonding -> Unbond -> Withdrawing -> Withdrawn through an Unbond and a
Withdraw action; rewards accrue once it is active; refusals (an action the status does not allow, an unknown stake, a
bad amount, a wallet on another network, a conflicting externalId)."""

NULL_STAKE = "stk-00000-00000-0000000000000000"


def run(context):
    call, client = context.call, context.client
    wallet = client.wallets.create_wallet({"network": "BitcoinSignet", "name": "staking"})["id"]
    seen = set()

    def confirm_next():
        """Approves and confirms the wallet's newest transaction (the one an action created)."""
        transaction = context.approve_newest(wallet, seen)
        context.control(f"transfers/{transaction['id']}/advance", {"status": "Confirmed"})
        return transaction

    body = {"walletId": wallet, "provider": "Figment", "protocol": "Babylon", "amount": "50000", "duration": 150,
            "externalId": f"cov-stake-{context.stamp}"}
    stake = call("staking", "create_stake", body,
                 expect=lambda s: s["id"].startswith("stk-") and s["status"] == "Staking" and s["provider"] == "Figment"
                 and [(a["kind"], a["status"]) for a in s["actions"]] == [("Stake", "PendingPolicyApproval")]
                 and s["requestBody"]["amount"] == "50000")
    sid = stake.get("id", NULL_STAKE)
    context.check("createStake replayed with its externalId answers the same stake", client.staking.create_stake(body)["id"] == sid)
    context.refused("staking: another body with the same externalId is 409", 409,
            lambda: client.staking.create_stake(dict(body, amount="60000")))
    call("staking", "list_stakes", {"limit": 10},
         expect=lambda page: [s["id"] for s in page["items"]] == [sid] and "actions" not in page["items"][0])
    call("staking", "get_stake_rewards", sid, expect=lambda r: r == {"symbol": "BABY", "balance": "0"})
    context.refused("staking: a stake still Staking cannot be unbonded (400)", 400,
            lambda: client.staking.create_stake_action(sid, {"protocol": "Babylon", "kind": "Unbond"}))
    confirm_next()
    call("staking", "get_stakes", sid,
         expect=lambda s: s["status"] == "Active" and s["actions"][0]["status"] == "Completed" and s["actions"][0]["transactionHash"])
    context.check("an active stake earns rewards", client.staking.get_stake_rewards(sid) == {"symbol": "BABY", "balance": "250"})
    context.refused("staking: Babylon withdraws only an unbonded stake (400)", 400,
            lambda: client.staking.create_stake_action(sid, {"protocol": "Babylon", "kind": "Withdraw"}))
    call("staking", "create_stake_action", sid, {"protocol": "Babylon", "kind": "Unbond"},
         expect=lambda s: s["status"] == "Unbonding" and [(a["kind"], a["status"]) for a in s["actions"]][-1] == ("Unbond", "PendingPolicyApproval"))
    confirm_next()
    context.check("a confirmed Unbond leaves the stake Unbond", client.staking.get_stakes(sid)["status"] == "Unbond")
    withdrawing = client.staking.create_stake_action(sid, {"protocol": "Babylon", "kind": "Withdraw", "externalId": f"cov-unstake-{context.stamp}"})
    context.check("a Withdraw moves the stake to Withdrawing", withdrawing.get("status") == "Withdrawing", str(withdrawing)[:200])
    confirm_next()
    call("staking", "list_stake_actions", sid,
         expect=lambda page: [(a["kind"], a["status"]) for a in page["items"]] == [("Stake", "Completed"), ("Unbond", "Completed"), ("Withdraw", "Completed")]
         and all(a["stakeId"] == sid and a["transactionId"].startswith("tx-") for a in page["items"]))
    context.check("a withdrawn stake is Withdrawn", client.staking.get_stakes(sid)["status"] == "Withdrawn")
    context.refused("staking: a withdrawn stake takes no more actions (400)", 400,
            lambda: client.staking.create_stake_action(sid, {"protocol": "Babylon", "kind": "Unbond"}))
    context.refused("staking: an unknown stake is 404", 404, lambda: client.staking.get_stakes(NULL_STAKE))
    context.refused("staking: an amount that is not an integer string is 400", 400,
            lambda: client.staking.create_stake({key: value for key, value in body.items() if key != "externalId"} | {"amount": "ten"}))
    context.refused("staking: a Bitcoin wallet cannot stake Ethereum (400)", 400,
            lambda: client.staking.create_stake({"walletId": wallet, "provider": "Figment", "protocol": "Ethereum", "amount": "32000000000000000000"}))
