#!/usr/bin/env python3
"""Conformance of the simulator with the official Dfns Python SDK (PyPI dfns-sdk), unchanged.

Then every method of every client DfnsSDK covers whole (python_sdk_coverage.py), a check that
docs/api-coverage/official-methods.tsv still lists the installed SDK's methods (official_methods.py), and one that the
generated Swift catalogs are what ops/codegen/catalogs.py writes.

Starts `dfns-worker simulator` with one credential of each key type, then for each type drives the real SDK
through: create a wallet, create a transfer, replay it with the same externalId (same id), a conflicting replay
(409 with details.duplicate), poll it to Confirmed, list wallets across pages. The rejections (tampered signature,
wrong challenge, reused challenge, reused user action, body changed after signing, unknown credential, missing
bearer) are checked with raw HTTP. Prints "N passed, M failed" and exits non-zero on any failure.

Usage: python_sdk.py --binary .build/debug/dfns-worker
"""
import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from dfns_sdk import DfnsClient, DfnsClientConfig, DfnsError, KeySigner

import official_methods
import python_sdk_coverage

TOKEN = "conformance-token"
ALGORITHMS = ["ed25519", "p256", "secp256k1", "rsa"]
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        results["passed"] += 1
        print(f"  ok    {name}")
    else:
        results["failed"] += 1
        print(f"  FAIL  {name} {detail}")


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw(base, method, path, body=None, token=TOKEN, user_action=None):
    """One HTTP call without the SDK; returns (status, parsed JSON body)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if user_action:
        request.add_header("X-DFNS-USERACTION", user_action)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def sign(key, data):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def init(base, path, payload):
    return raw(base, "POST", "/auth/action/init", {
        "userActionPayload": payload, "userActionHttpMethod": "POST", "userActionHttpPath": path,
        "userActionServerKind": "Api"})


def assertion(challenge, cred_id, key, challenge_text=None, tamper=False):
    client_data = json.dumps({"type": "key.get", "challenge": challenge_text or challenge["challenge"],
                              "origin": "https://app.dfns.io", "crossOrigin": False}, separators=(",", ":")).encode()
    signature = bytearray(sign(key, client_data))
    if tamper:
        signature[len(signature) // 2] ^= 0x01
    return {"challengeIdentifier": challenge["challengeIdentifier"], "firstFactor": {"kind": "Key",
            "credentialAssertion": {"credId": cred_id, "clientData": b64url(client_data),
                                    "signature": b64url(bytes(signature))}}}


def sdk_scenarios(base, algorithm, cred_id, pem):
    print(f"[{algorithm}] official Python SDK")
    client = DfnsClient(DfnsClientConfig(auth_token=TOKEN, base_url=base,
                                         signer=KeySigner(credential_id=cred_id, private_key=pem)))
    wallet = client.wallets.create_wallet({"network": "EthereumSepolia", "name": f"conformance {algorithm}"})
    check("create wallet", re.fullmatch(r"wa-[a-z0-9]{5}-[a-z0-9]{5}-[a-z0-9]{14,16}", wallet.get("id", "")) is not None
          and re.fullmatch(r"0x[0-9a-f]{40}", wallet.get("address", "")) is not None, str(wallet))
    fetched = client.wallets.get_wallet(wallet["id"])
    check("get wallet", fetched["id"] == wallet["id"] and fetched["network"] == "EthereumSepolia")

    body = {"kind": "Native", "to": "0x" + "ab" * 20, "amount": "1000", "externalId": f"conf-{algorithm}-{time.time_ns()}"}
    transfer = client.wallets.transfer_asset(wallet["id"], body)
    check("create transfer", transfer.get("status") == "Pending" and transfer["id"].startswith("xfr-"), str(transfer))
    replay = client.wallets.transfer_asset(wallet["id"], dict(body))
    check("replay with same externalId returns the same transfer", replay["id"] == transfer["id"])
    try:
        client.wallets.transfer_asset(wallet["id"], dict(body, amount="2000"))
        check("conflicting replay is refused", False, "no error")
    except DfnsError as error:
        duplicate = (error.details or {}).get("duplicate", {})
        check("conflicting replay answers 409 with details.duplicate", error.status_code == 409 and duplicate.get("id") == transfer["id"],
              f"{error.status_code} {error.details}")

    deadline = time.time() + 15
    status = transfer["status"]
    seen = [status]
    while status != "Confirmed" and time.time() < deadline:
        time.sleep(0.05)
        status = client.wallets.get_transfer(wallet["id"], transfer["id"])["status"]
        if status != seen[-1]:
            seen.append(status)
    check("transfer reaches Confirmed through the lifecycle", seen == ["Pending", "Executing", "Broadcasted", "Confirmed"], str(seen))
    listed = client.wallets.list_transfers(wallet["id"])
    check("list transfers", [item["id"] for item in listed["items"]] == [transfer["id"]], str(listed))

    # A signed write without a body: the SDK signs the payload "" and sends none.
    to_abort = client.wallets.transfer_asset(wallet["id"], {"kind": "Native", "to": "0x" + "cd" * 20, "amount": "3"})
    deadline = time.time() + 5
    while client.wallets.get_transfer(wallet["id"], to_abort["id"])["status"] != "Executing" and time.time() < deadline:
        time.sleep(0.02)
    aborted = client.wallets.abort_transfer(wallet["id"], to_abort["id"])
    check("abort (signed, no body) fails an Executing transfer", aborted.get("status") == "Failed", str(aborted))

    for index in range(4):
        client.wallets.create_wallet({"network": "Solana", "externalId": f"page-{algorithm}-{index}"})
    ids, token, pages = [], None, 0
    while True:
        query = {"limit": 2}
        if token:
            query["paginationToken"] = token
        page = client.wallets.list_wallets(query)
        ids += [item["id"] for item in page["items"]]
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    check("list wallets across pages", len(ids) == len(set(ids)) and wallet["id"] in ids and pages >= 3, f"{pages} pages, {len(ids)} ids")
    first = client.wallets.list_wallets({"limit": 1})["nextPageToken"]
    check("page tokens are standard base64 with +, / and =", all(c in first for c in "+/="), first)
    status, _ = raw(base, "GET", "/wallets?limit=1&paginationToken=" + first)
    check("a page token sent with a raw + is read as a space and refused, as by a form-decoding server", status == 400, str(status))


def rejection_scenarios(base, cred_id, key):
    print("[raw HTTP] rejections")
    payload = json.dumps({"network": "Ethereum"}, separators=(",", ":"))

    status, challenge = init(base, "/wallets", payload)
    check("init answers a challenge", status == 200 and challenge["allowCredentials"]["key"], str(challenge))
    status, body = raw(base, "POST", "/auth/action", assertion(challenge, cred_id, key, tamper=True))
    check("tampered signature is refused", status == 401, f"{status} {body}")

    status, challenge = init(base, "/wallets", payload)
    status, body = raw(base, "POST", "/auth/action", assertion(challenge, cred_id, key, challenge_text=b64url(b"0" * 64)))
    check("wrong challenge in clientData is refused", status == 400, f"{status} {body}")

    status, body = raw(base, "POST", "/auth/action", assertion(challenge, "cr-unknown", key))
    check("unknown credential is refused", status == 401, f"{status} {body}")

    status, action = raw(base, "POST", "/auth/action", assertion(challenge, cred_id, key))
    check("valid assertion yields a user action", status == 200 and action.get("userAction"), f"{status} {action}")
    status, body = raw(base, "POST", "/auth/action", assertion(challenge, cred_id, key))
    check("a challenge cannot be used twice", status == 400, f"{status} {body}")

    status, wallet = raw(base, "POST", "/wallets", payload.encode(), user_action=action["userAction"])
    check("the signed request succeeds", status == 200 and wallet["network"] == "Ethereum", f"{status} {wallet}")
    status, body = raw(base, "POST", "/wallets", payload.encode(), user_action=action["userAction"])
    check("a user action cannot be reused", status == 400 and "already been used" in body["error"]["message"], f"{status} {body}")

    status, challenge = init(base, "/wallets", payload)
    status, action = raw(base, "POST", "/auth/action", assertion(challenge, cred_id, key))
    status, body = raw(base, "POST", "/wallets", b'{"network":"Bitcoin"}', user_action=action["userAction"])
    check("a body changed after signing is refused", status == 403, f"{status} {body}")

    status, challenge = init(base, "/wallets", payload)
    status, action = raw(base, "POST", "/auth/action", assertion(challenge, cred_id, key))
    status, body = raw(base, "POST", "/wallets", b'{ "network" : "Ethereum" }', user_action=action["userAction"])
    check("the same JSON with other whitespace is accepted", status == 200, f"{status} {body}")

    status, body = raw(base, "GET", "/wallets", token=None)
    check("a missing bearer is refused", status == 401 and body["error"]["status"] == 401, f"{status} {body}")
    status, body = raw(base, "POST", "/wallets", payload.encode())
    check("a write without a user action is refused", status == 403, f"{status} {body}")


def network_scenarios(base, cred_id, pem):
    """Every network the installed official SDK lists is accepted, and the deprecated Key* pseudo-networks are not."""
    print("[networks] official Python SDK")
    from typing import get_args
    from dfns_sdk.generated.wallets.types import CreateWalletRequest
    official = get_args(CreateWalletRequest.__annotations__["network"])
    client = DfnsClient(DfnsClientConfig(auth_token=TOKEN, base_url=base, signer=KeySigner(credential_id=cred_id, private_key=pem)))
    refused = []
    for network in official:
        try:
            wallet = client.wallets.create_wallet({"network": network})
            if wallet.get("network") != network or not wallet.get("address"):
                refused.append(f"{network}: {wallet}")
        except DfnsError as error:
            refused.append(f"{network}: {error.status_code} {error}")
    check(f"a wallet on each of the {len(official)} networks of the official SDK", len(official) > 100 and not refused, "; ".join(refused[:5]))
    try:
        client.wallets.create_wallet({"network": "KeyEdDSA"})
        check("the deprecated KeyEdDSA pseudo-network is refused", False, "accepted")
    except DfnsError as error:
        check("the deprecated KeyEdDSA pseudo-network is refused", error.status_code == 400, str(error))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="path to the dfns-worker executable")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dfns-conformance-")
    credentials, pems = [], {}
    for algorithm in ALGORITHMS:
        out = os.path.join(work, algorithm)
        subprocess.run([args.binary, "keygen", "--algorithm", algorithm, "--out", out], check=True, capture_output=True)
        pems[algorithm] = open(os.path.join(out, "private.pem")).read()
        credentials += ["--credential", f"cr-{algorithm}={os.path.join(out, 'public.pem')}"]
    simulator = subprocess.Popen([args.binary, "simulator", "--port", "0", "--auth-token", TOKEN,
                                  "--transfer-step-ms", "300", "--log-level", "warning"] + credentials,
                                 stdout=subprocess.PIPE, text=True)
    try:
        line = simulator.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            print(f"simulator did not start: {line!r}")
            return 1
        base = match.group(1)
        for algorithm in ALGORITHMS:
            sdk_scenarios(base, algorithm, f"cr-{algorithm}", pems[algorithm])
        key = serialization.load_pem_private_key(pems["p256"].encode(), password=None)
        rejection_scenarios(base, "cr-p256", key)
        network_scenarios(base, "cr-p256", pems["p256"])
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
    # The whole API, on a simulator whose policy holds every transfer for approval and whose stages last a minute.
    coverage = subprocess.Popen([args.binary, "simulator", "--port", "0", "--auth-token", TOKEN, "--transfer-step-ms", "60000",
                                 "--approval-fraction", "1", "--key-export", "--log-level", "warning"] + credentials,
                                stdout=subprocess.PIPE, text=True)
    try:
        match = re.search(r"listening on (http://\S+)", coverage.stdout.readline())
        if match:
            python_sdk_coverage.run(match.group(1), TOKEN, "cr-p256", pems["p256"], check)
        else:
            check("the coverage simulator starts", False)
    finally:
        coverage.terminate()
        coverage.wait(timeout=10)
    listed = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "api-coverage", "official-methods.tsv")
    check("docs/api-coverage/official-methods.tsv lists the installed dfns-sdk's methods", open(listed).read() == official_methods.render())
    generator = subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "codegen", "catalogs.py"), "--check"],
                               capture_output=True, text=True, check=False)
    check("the generated Swift catalogs are what ops/codegen/catalogs.py writes from the installed dfns-sdk", generator.returncode == 0,
          (generator.stdout + generator.stderr).strip()[:300])
    print(f"conformance: {results['passed']} passed, {results['failed']} failed")
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
