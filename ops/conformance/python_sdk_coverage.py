"""Every method of the official Python SDK's clients DfnsSDK covers whole (official_methods.complete_domains), called
unchanged against the simulator: wallets, keys, policies, webhooks and networks here, every other client in its own
module, ops/conformance/domains/<client>.py. The simulator is started by python_sdk.py with a policy that holds every transfer and
transaction for approval, key export enabled and a minute per transfer stage; the control plane moves entities into
the stage an action needs. Each call must succeed and answer what Dfns answers, and every method
official_methods.py lists must have been called.
"""
import dataclasses
import hashlib
import hmac
import importlib
import http.server
import json
import threading
import time
import urllib.error
import urllib.request
import warnings
from datetime import datetime, timedelta, timezone
from typing import Callable

from dfns_sdk import DfnsClient, DfnsClientConfig, KeySigner

import official_methods

EVM = "0x" + "ab" * 20
# The clients whose calls are written out below; every other complete client has its module in domains/.
HAND_WRITTEN = {"wallets", "keys", "policies", "webhooks", "networks"}


@dataclasses.dataclass
class Coverage:
    """What a domain module's `run(context)` calls with: the official client, `call(domain, name, *args, expect=...,
    via=None)` (a checked call, through the client `via` when given, that counts the method as covered when it passes), `control(path, body)` (the simulator's control
    plane; `control(path)` reads it), `check(name, passed, detail)`, a stamp unique to the run, a wallet on EthereumSepolia,
    the API's base URL (for clients of other tokens) and the signer of the organisation's configured user."""
    client: DfnsClient
    call: Callable
    control: Callable
    check: Callable
    stamp: int
    wallet_id: str
    base: str
    signer: KeySigner

    @staticmethod
    def status_of(action):
        """The HTTP status of the official SDK's error for `action()`, or None when it succeeded."""
        try:
            action()
        except Exception as error:  # noqa: BLE001 - the SDK's error for Dfns's 4xx
            return getattr(error, "status_code", repr(error)[:200])
        return None

    def refused(self, name, status, action):
        """Checks that the simulator refuses `action()` with HTTP `status`, as Dfns does."""
        seen = self.status_of(action)
        self.check(name, seen == status, "it was accepted" if seen is None else f"answered {seen}")

    def approve_newest(self, wallet_id, seen):
        """Approves the wallet's first transaction not in `seen` (the one an action just created, which the coverage
        simulator's policy holds), adds it to `seen` and answers it."""
        for transaction in self.client.wallets.list_transactions(wallet_id)["items"]:
            if transaction["id"] not in seen:
                seen.add(transaction["id"])
                self.client.policies.create_approval_decision(transaction["approvalId"], {"value": "Approved"})
                return transaction
        return {"id": "tx-missing"}

    def confirm(self, transfer_id):
        """Approves a transfer a policy holds (the coverage simulator holds every one), then confirms it on chain."""
        try:
            self.control(f"approvals/{transfer_id}", {"approve": True})
        except urllib.error.HTTPError as error:
            if error.code != 404:  # 404: no approval to decide
                raise
        return self.control(f"transfers/{transfer_id}/advance", {"status": "Confirmed"})


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook URL: records each delivery's body and signature header."""
    deliveries = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.deliveries.append((body, self.headers.get("X-DFNS-WEBHOOK-SIGNATURE")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def run(base, token, cred_id, pem, check):
    print("[api coverage] official Python SDK: every method of " + ", ".join(official_methods.complete_domains()))
    signer = KeySigner(credential_id=cred_id, private_key=pem)
    client = DfnsClient(DfnsClientConfig(auth_token=token, base_url=base, signer=signer))
    called = set()

    def call(domain, name, *args, expect=lambda result: True, via=None):
        """client.<domain>.<name>(*args), or through the client `via` (another token's), checked; the method counts as
        covered only when it passed."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                result = getattr(getattr(via or client, domain), name)(*args)
        except Exception as error:  # noqa: BLE001 - any failure of the official SDK is a conformance failure
            check(f"{domain}.{name}", False, repr(error)[:300])
            return {}
        passed = bool(expect(result))
        check(f"{domain}.{name}", passed, json.dumps(result)[:300])
        if passed:
            called.add(f"{domain}.{name}")
        return result

    def control(path, body=None):
        request = urllib.request.Request(f"{base}/_sim/{path}", data=None if body is None else json.dumps(body).encode(),
                                         method="GET" if body is None else "POST")
        request.add_header("Content-Type", "application/json")
        return json.loads(urllib.request.urlopen(request, timeout=10).read())

    # Wallets, tags, assets.
    wallet = call("wallets", "create_wallet", {"network": "EthereumSepolia", "name": "cov"}, expect=lambda w: w["id"].startswith("wa-"))
    wid = wallet.get("id", "wa-missing")
    call("wallets", "get_wallet", wid, expect=lambda w: w["id"] == wid)
    call("wallets", "list_wallets", {"limit": 5}, expect=lambda page: len(page["items"]) == 1)
    key_id = wallet.get("signingKey", {}).get("id", "key-missing")
    sharing = client.wallets.create_wallet({"network": "BaseSepolia", "signingKey": {"id": key_id}, "delayDelegation": True})
    check("a wallet created with signingKey.id shares that key", sharing.get("signingKey", {}).get("id") == key_id, json.dumps(sharing)[:200])
    call("wallets", "update_wallet", wid, {"name": "renamed"}, expect=lambda w: w["name"] == "renamed")
    call("wallets", "tag_wallet", wid, {"tags": ["a", "b"]})
    call("wallets", "untag_wallet", wid, {"tags": ["a"]})
    check("tags after tag and untag", client.wallets.get_wallet(wid).get("tags") == ["b"])
    call("wallets", "get_wallet_assets", wid, {"netWorth": "true"}, expect=lambda a: len(a["assets"]) == 1)
    call("wallets", "get_wallet_nfts", wid, expect=lambda n: n["nfts"] == [])

    # Transfers and transactions, each held for approval and approved through the API.
    stamp = time.time_ns()
    transfers = [call("wallets", "transfer_asset", wid, {"kind": "Native", "to": EVM, "amount": str(i + 1), "externalId": f"cov-t{i}-{stamp}"},
                      expect=lambda t: t["status"] == "Pending" and t.get("approvalId")) for i in range(3)]
    transactions = [call("wallets", "sign_and_broadcast_transaction", wid, {"kind": "Evm", "to": EVM, "value": "1", "externalId": f"cov-x{i}-{stamp}"},
                         expect=lambda t: t["id"].startswith("tx-") and t.get("approvalId")) for i in range(3)]
    held = transfers + transactions
    call("policies", "list_approvals", {"status": "Pending"}, expect=lambda page: len(page["items"]) == 6)
    call("policies", "get_approval", held[0].get("approvalId", "ap-missing"), expect=lambda a: a["status"] == "Pending")
    for entity in held:
        call("policies", "create_approval_decision", entity.get("approvalId", "ap-missing"), {"value": "Approved", "reason": "conformance"},
             expect=lambda a: a["status"] == "Approved")
    call("wallets", "get_transfer", wid, held[0].get("id", "xfr-missing"), expect=lambda t: t["status"] == "Pending" and "datePolicyResolved" not in t)
    call("wallets", "list_transfers", wid, expect=lambda page: len(page["items"]) == 3)
    call("wallets", "get_transaction", wid, held[3].get("id", "tx-missing"), expect=lambda t: t["id"] == held[3]["id"])
    call("wallets", "list_transactions", wid, expect=lambda page: len(page["items"]) == 3)
    stages = ["Executing", "Broadcasted", "Broadcasted"] * 2
    for entity, stage in zip(held, stages):
        control(f"transfers/{entity.get('id', 'x')}/advance", {"status": stage})
    failed = lambda entity: entity["status"] == "Failed"
    call("wallets", "abort_transfer", wid, held[0].get("id", "x"), expect=failed)
    # Cancel and speed-up answer the replacement transaction (the SDK's CancelTransferResponse and
    # SpeedUpTransferResponse are TransactionRequests), which races the original for its nonce.
    replacement = lambda entity: entity["id"].startswith("tx-") and entity["status"] == "Broadcasted"
    sped_up = call("wallets", "speed_up_transfer", wid, held[1].get("id", "x"), expect=replacement)
    call("wallets", "cancel_transfer", wid, held[2].get("id", "x"), expect=replacement)
    call("wallets", "abort_transaction", wid, held[3].get("id", "x"), expect=failed)
    call("wallets", "speed_up_transaction", wid, held[4].get("id", "x"), expect=replacement)
    call("wallets", "cancel_transaction", wid, held[5].get("id", "x"), expect=replacement)
    call("wallets", "get_transfer", wid, held[1].get("id", "x"), expect=lambda t: t.get("replacementId") == sped_up.get("id"))
    control(f"transfers/{sped_up.get('id', 'x')}/advance", {"status": "Confirmed"})
    call("wallets", "get_wallet_history", wid, {"direction": "Out"}, expect=lambda page: len(page["items"]) == 1)
    now = datetime.now(timezone.utc)
    window = {"startTime": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endTime": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    call("wallets", "list_org_wallet_history", window, expect=lambda page: len(page["items"]) == 1)

    # Canton, import, bulk creation, offers.
    canton = call("wallets", "create_wallet", {"network": "Canton"}).get("id", "wa-missing")
    activation = call("wallets", "activate_wallet", canton, {"kind": "Canton"}, expect=lambda t: t["requestBody"]["kind"] == "Activate")
    if activation.get("approvalId"):
        client.policies.create_approval_decision(activation["approvalId"], {"value": "Approved"})
    call("wallets", "canton_ledger_api_proxy", canton, {"requestMethod": "GET", "resource": "/v2/version"}, expect=lambda r: r["status"] == 200)
    call("wallets", "proxy_a_request_to_the_canton_ledger_api", canton, {"requestMethod": "GET", "resource": "/v2/state/ledger-end"}, expect=lambda r: r["status"] == 200)
    shares = [{"signerId": "s1", "encryptedKeyShare": "AAAA"}, {"signerId": "s2", "encryptedKeyShare": "BBBB"}]
    call("wallets", "import_wallet", {"network": "Bitcoin", "curve": "secp256k1", "protocol": "CGGMP24", "minSigners": 2, "encryptedKeyShares": shares},
         expect=lambda w: w["network"] == "Bitcoin")
    job = call("wallets", "bulk_create_wallets", {"network": "Bitcoin", "count": 2, "name": "batch"}, expect=lambda j: j["totalCount"] == 2)
    call("wallets", "list_bulk_wallet_jobs", {"status": "Completed"}, expect=lambda page: [j["id"] for j in page["items"]] == [job.get("id")])
    call("wallets", "get_bulk_wallet_job", job.get("id", "x"), expect=lambda j: j["completedCount"] == 2)
    call("wallets", "list_bulk_wallet_job_wallets", job.get("id", "x"), {"limit": 10}, expect=lambda page: len(page["items"]) == 2)
    offers = [control("offers", {"walletId": canton})["id"] for _ in range(2)]
    call("wallets", "list_offers", canton, expect=lambda page: [o["id"] for o in page["items"]] == offers)
    call("wallets", "get_offer", canton, offers[0], expect=lambda o: o["status"] == "Pending")
    call("wallets", "accept_offer", canton, offers[0], expect=lambda o: o["status"] == "Accepted")
    call("wallets", "reject_offer", canton, offers[1], expect=lambda o: o["status"] == "Rejected")

    # Keys and signatures.
    key = call("keys", "create_key", {"scheme": "ECDSA", "curve": "secp256k1", "name": "cov"}, expect=lambda k: k["id"].startswith("key-"))
    kid = key.get("id", "key-missing")
    call("keys", "get_key", kid, expect=lambda k: k["name"] == "cov")
    call("keys", "list_keys", {"limit": 50}, expect=lambda page: kid in [k["id"] for k in page["items"]])
    call("keys", "update_key", kid, {"name": "renamed"}, expect=lambda k: k["name"] == "renamed")
    call("keys", "derive_key", kid, {"domain": "0x01", "seed": "0x02"}, expect=lambda d: d["output"].startswith("0x"))
    signature = call("keys", "generate_signature", kid, {"kind": "Hash", "hash": "0x" + "1f" * 32, "externalId": f"cov-sig-{stamp}"},
                     expect=lambda s: s["status"] in ("Pending", "Executing", "Signed"))
    call("keys", "get_signature", kid, signature.get("id", "x"), expect=lambda s: s["keyId"] == kid)
    call("keys", "list_signatures", kid, expect=lambda page: len(page["items"]) == 1)
    call("keys", "export_key", kid, {"encryptionKey": "pk", "supportedSchemes": [{"protocol": "CGGMP24", "curve": "secp256k1"}]},
         expect=lambda e: e["encryptedKeyShares"])
    call("keys", "delegate_key", kid, {"delegateTo": "us-end-user"}, expect=lambda d: d["status"] == "Delegated")
    imported = call("keys", "import_key", {"curve": "ed25519", "protocol": "FROST", "minSigners": 1, "encryptedKeyShares": shares[:1]},
                    expect=lambda k: k.get("imported"))
    call("keys", "delete_key", imported.get("id", "x"), expect=lambda k: k["status"] == "Archived")

    # Policies.
    body = {"name": "cov", "activityKind": "Wallets:Sign", "rule": {"kind": "AlwaysTrigger"}, "action": {"kind": "Block"}}
    policy = call("policies", "create_policy", body, expect=lambda p: p["status"] == "Active")
    pid = policy.get("id", "x")
    call("policies", "get_policy", pid, expect=lambda p: p["id"] == pid)
    call("policies", "list_policies", {"status": "Active"}, expect=lambda page: [p["id"] for p in page["items"]] == [pid])
    call("policies", "update_policy", pid, dict(body, name="renamed"), expect=lambda p: p["name"] == "renamed")
    call("policies", "delete_policy", pid, expect=lambda p: p["status"] == "Archived")
    call("policies", "get_sumsub_travel_rule_public_key", expect=lambda k: k["kty"] == "RSA")

    # Webhooks, with a ping delivered to a real receiver and its signature checked with hmac.
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = call("webhooks", "create_webhook", {"url": f"http://127.0.0.1:{server.server_port}/hook", "events": ["wallet.transfer.confirmed"]},
                    expect=lambda h: h["secret"].startswith("whs-"))
        hid = hook.get("id", "x")
        call("webhooks", "get_webhook", hid, expect=lambda h: "secret" not in h)
        call("webhooks", "list_webhooks", expect=lambda page: [h["id"] for h in page["items"]] == [hid])
        call("webhooks", "update_webhook", hid, {"events": ["*"]}, expect=lambda h: h["events"] == ["*"])
        call("webhooks", "ping_webhook", hid, expect=lambda r: r["status"] == "200")
        body, header = Receiver.deliveries[-1] if Receiver.deliveries else (b"", None)
        expected = "sha256=" + hmac.new(hook.get("secret", "").encode(), body, hashlib.sha256).hexdigest()
        check("the ping carries X-DFNS-WEBHOOK-SIGNATURE = sha256=HMAC(secret, body)", header == expected, f"{header} != {expected}")
        # The ping, and any status change the webhook was subscribed to meanwhile (it listens to "*").
        events = call("webhooks", "list_webhook_events", hid, expect=lambda page: any(e["kind"] == "webhook.ping" for e in page["items"]))
        ping = next((e for e in events.get("items", []) if e["kind"] == "webhook.ping"), {})
        call("webhooks", "get_webhook_event", hid, ping.get("id", "x"), expect=lambda e: e["status"] == "200" and e["kind"] == "webhook.ping")
        call("webhooks", "delete_webhook", hid, expect=lambda r: r == {"deleted": True})
    finally:
        server.shutdown()

    # Networks.
    call("networks", "estimate_fees", {"network": "EthereumSepolia"}, expect=lambda f: f["kind"] == "Eip1559")
    abi = {"type": "function", "name": "balanceOf", "stateMutability": "view", "inputs": [{"name": "owner", "type": "address"}], "outputs": [{"type": "uint256"}]}
    call("networks", "call_function", "EthereumSepolia", {"contract": EVM, "abi": abi, "calldata": {"owner": EVM}}, expect=lambda r: len(r["result"]) == 1)
    call("networks", "reindex_transaction", "EthereumSepolia", {"txHash": "0x" + "0a" * 32}, expect=lambda r: r["status"] == "Queued")
    validator = call("networks", "create_canton_validator", "canton-testnet", {"kind": "Shared", "name": "cov"}, expect=lambda v: v["network"] == "CantonTestnet")
    vid = validator.get("id", "x")
    call("networks", "get_canton_validator", "canton-testnet", vid, expect=lambda v: v["id"] == vid)
    call("networks", "list_canton_validators", "canton-testnet", expect=lambda page: [v["id"] for v in page["items"]] == [vid])
    call("networks", "update_canton_validator", "canton-testnet", vid, {"name": "renamed"}, expect=lambda v: v["name"] == "renamed")
    call("networks", "delete_canton_validator", "canton-testnet", vid, expect=lambda v: v["id"] == vid)

    # Every other client DfnsSDK covers whole: ops/conformance/domains/<client>.py, one module each.
    context = Coverage(client=client, call=call, control=control, check=check, stamp=stamp, wallet_id=wid, base=base, signer=signer)
    rows = official_methods.methods()
    complete = official_methods.complete_domains(rows)
    for domain in complete:
        if domain not in HAND_WRITTEN:
            try:
                module = importlib.import_module(f"domains.{domain}")
            except ModuleNotFoundError:
                check(f"ops/conformance/domains/{domain}.py calls the {domain} client", False, "no such module")
                continue
            module.run(context)

    official = {f"{row[0]}.{row[1]}" for row in rows if row[0] in complete}
    missing = sorted(official - called)
    check(f"every one of the {len(official)} official methods was called and answered as Dfns does", not missing, ", ".join(missing))
