#!/usr/bin/env python3
"""Dfns end users for the ops scripts (ops/demo, ops/chaos, the conformance checks): an application's service account,
end users it registers with a software passkey and a wallet, and the user's signature of a job's challenge.

Everything goes through the official Python SDK (dfns-sdk) and the passkey is written here independently of the
simulator's Swift, so a check that passes shows the two agree on the wire format, not that one echoes the other.

As a command (ops/demo), secrets go to files only this user reads, never to standard output:
  end_users.py service-account --url URL --admin-token T --admin-cred-id C --admin-key PEM --name N --key-dir DIR
      writes DIR/token and DIR/cred-id for the key pair DIR/public.pem, DIR/private.pem (`dfns-worker keygen`)
  end_users.py register --url URL --service-account DIR --email E --network N --device FILE
      registers the user with a new passkey kept in FILE (the "device"); prints `USER_ID WALLET_ID...`
  end_users.py sign --device FILE < user_challenge.json > signed.json
      the body `dfns-worker sign ID --file -` and `dfns_worker.sign()` take
"""
import argparse
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from dfns_sdk import DfnsClient, DfnsClientConfig, KeySigner


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cbor(value):
    """The CBOR (RFC 8949) of an int, bytes, text, list or dict: enough for an attestation object and a COSE key."""
    def head(major, argument):
        if argument < 24:
            return bytes([major << 5 | argument])
        for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if argument < 1 << (8 * size):
                return bytes([major << 5 | extra]) + argument.to_bytes(size, "big")
        raise ValueError("too large")
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, bytes):
        return head(2, len(value)) + value
    if isinstance(value, str):
        return head(3, len(value.encode())) + value.encode()
    if isinstance(value, list):
        return head(4, len(value)) + b"".join(cbor(item) for item in value)
    return head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())


class Passkey:
    """A P-256 passkey as an authenticator makes one (W3C WebAuthn §6.1, §8.2 packed self attestation), written here
    independently of the simulator's Swift, so the two must agree on the wire format.

    `counter=False` keeps the signature counter at 0, as synced passkeys (iCloud Keychain, Google Password Manager)
    do: a relying party then cannot require it to grow, so challenges signed ahead may be verified in any order. With
    a counter, an assertion verified after a later one is refused as a possible clone."""

    def __init__(self, rp_id="dfns.io", origin="https://app.dfns.io", counter=True, private=None, raw_id=None, count=0):
        self.private = private or ec.generate_private_key(ec.SECP256R1())
        self.raw_id = raw_id or os.urandom(16)
        self.rp_id, self.origin, self.counter, self.count = rp_id, origin, counter, count

    @property
    def cred_id(self):
        return b64url(self.raw_id)

    def credential(self, challenge, user_id):
        """The `Fido2` credential of a registration body attesting `challenge` (`webauthn.create`)."""
        numbers = self.private.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x45]) + (0).to_bytes(4, "big") + bytes(16)
                     + len(self.raw_id).to_bytes(2, "big") + self.raw_id + cbor(cose))
        client_data = json.dumps({"type": "webauthn.create", "challenge": challenge, "origin": self.origin, "crossOrigin": False},
                                 separators=(",", ":")).encode()
        signature = self.private.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        attestation = cbor({"fmt": "packed", "attStmt": {"alg": -7, "sig": signature}, "authData": auth_data})
        return {"credentialKind": "Fido2", "credentialName": "passkey",
                "credentialInfo": {"credId": self.cred_id, "clientData": b64url(client_data), "attestationData": b64url(attestation)}}

    def assertion(self, challenge, user_id):
        """A `firstFactor` signing `challenge` (`webauthn.get`), with a growing signature counter unless `counter` is off."""
        if self.counter:
            self.count += 1
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x05]) + self.count.to_bytes(4, "big")
        client_data = json.dumps({"type": "webauthn.get", "challenge": challenge, "origin": self.origin, "crossOrigin": False},
                                 separators=(",", ":")).encode()
        signature = self.private.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"kind": "Fido2", "credentialAssertion": {"credId": self.cred_id, "clientData": b64url(client_data),
                                                         "authenticatorData": b64url(auth_data), "signature": b64url(signature),
                                                         "userHandle": b64url(user_id.encode())}}

    def to_json(self):
        """The device's state (private key included: keep it in a file only its owner reads)."""
        pem = self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return {"privateKey": pem.decode(), "rawId": b64url(self.raw_id), "rpId": self.rp_id, "origin": self.origin,
                "counter": self.counter, "count": self.count}

    @classmethod
    def from_json(cls, state):
        return cls(rp_id=state["rpId"], origin=state["origin"], counter=state["counter"], count=state["count"],
                   private=serialization.load_pem_private_key(state["privateKey"].encode(), password=None),
                   raw_id=base64.urlsafe_b64decode(state["rawId"] + "=" * (-len(state["rawId"]) % 4)))


def client(base_url, token, cred_id=None, private_key_pem=None):
    """The official SDK's client; with a credential it signs user actions (the writes Dfns asks a signature for)."""
    signer = KeySigner(credential_id=cred_id, private_key=private_key_pem) if cred_id else None
    return DfnsClient(DfnsClientConfig(auth_token=token, base_url=base_url, signer=signer))


def create_service_account(base_url, admin_token, admin_cred_id, admin_private_key_pem, name, public_key_pem):
    """The application's service account, made by an administrator (a signed POST /auth/service-accounts): the identity
    the worker runs as, the only kind Dfns lets log end users in. Returns (token, credential id); the token is
    answered this once."""
    account = client(base_url, admin_token, admin_cred_id, admin_private_key_pem).auth.create_service_account(
        {"name": name, "publicKey": public_key_pem})
    token = account["accessTokens"][0]
    return token["accessToken"], token["credId"]


def register_end_user(base_url, sa_token, sa_cred_id, sa_private_key_pem, email, passkey, networks):
    """An end user registered by the service account (delegated registration) with `passkey` as their first factor and
    a wallet on each of `networks`, delegated to them. Returns (user id, [wallet ids]); the user's login token the
    registration answers is dropped: the worker logs the user in itself when a job needs it."""
    service_account = client(base_url, sa_token, sa_cred_id, sa_private_key_pem)
    challenge = service_account.auth.create_delegated_registration_challenge({"kind": "EndUser", "email": email})
    user_id = challenge["user"]["id"]
    registered = client(base_url, challenge["temporaryAuthenticationToken"]).auth.register_end_user(
        {"firstFactorCredential": passkey.credential(challenge["challenge"], user_id),
         "wallets": [{"network": network} for network in networks]})
    return user_id, [wallet["id"] for wallet in registered["wallets"]]


def sign_challenge(user_challenge_json, passkey, user_id):
    """What the user's device returns for a job's `user_challenge` (text or dict): the body of Dfns's POST /auth/action,
    `{challengeIdentifier, firstFactor}`. Refuses, as an authenticator would, a challenge for another relying party or
    one that does not allow this passkey."""
    challenge = json.loads(user_challenge_json) if isinstance(user_challenge_json, (str, bytes)) else user_challenge_json
    rp_id = (challenge.get("rp") or {}).get("id", passkey.rp_id)
    if rp_id != passkey.rp_id:
        raise ValueError(f"the challenge is for relying party {rp_id}, the passkey for {passkey.rp_id}")
    allowed = [credential["id"] for credential in (challenge.get("allowCredentials") or {}).get("webauthn", [])]
    if passkey.cred_id not in allowed:
        raise ValueError("the challenge does not allow this passkey")
    return {"challengeIdentifier": challenge["challengeIdentifier"], "firstFactor": passkey.assertion(challenge["challenge"], user_id)}


def write_private(path, text):
    """Writes `text` to a file only this user reads."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    account = commands.add_parser("service-account")
    for name in ("--url", "--admin-token", "--admin-cred-id", "--admin-key", "--name", "--key-dir"):
        account.add_argument(name, required=True)
    register = commands.add_parser("register")
    for name in ("--url", "--service-account", "--email", "--device"):
        register.add_argument(name, required=True)
    register.add_argument("--network", action="append", required=True)
    sign = commands.add_parser("sign")
    sign.add_argument("--device", required=True)
    arguments = parser.parse_args()

    if arguments.command == "service-account":
        key_dir = arguments.key_dir
        token, cred_id = create_service_account(arguments.url, arguments.admin_token, arguments.admin_cred_id,
                                                open(arguments.admin_key).read(), arguments.name, open(os.path.join(key_dir, "public.pem")).read())
        write_private(os.path.join(key_dir, "token"), token)
        write_private(os.path.join(key_dir, "cred-id"), cred_id)
        print(cred_id)
    elif arguments.command == "register":
        key_dir = arguments.service_account
        passkey = Passkey()
        user_id, wallets = register_end_user(
            arguments.url, open(os.path.join(key_dir, "token")).read(), open(os.path.join(key_dir, "cred-id")).read(),
            open(os.path.join(key_dir, "private.pem")).read(), arguments.email, passkey, arguments.network)
        # A passkey keeps its user's handle, so the device signs without being told who it is.
        write_private(arguments.device, json.dumps(dict(passkey.to_json(), userId=user_id)))
        print(" ".join([user_id, *wallets]))
    else:
        state = json.load(open(arguments.device))
        passkey = Passkey.from_json(state)
        signed = sign_challenge(sys.stdin.read(), passkey, state["userId"])
        write_private(arguments.device, json.dumps(dict(passkey.to_json(), userId=state["userId"])))
        print(json.dumps(signed))


if __name__ == "__main__":
    main()
