"""The auth client, every method through the official SDK: personal access tokens and service accounts, the
organisation's users, registration (by code, delegated, social, end users with wallets), logins (credentials and
codes, delegated, social, SSO, OIDC), credentials (signed and by code), recovery (by code and delegated), token
exchange and the user-action pair; user groups, applications and audit logs in auth_groups.py.

Users hold key credentials made as the official browser key signer makes them (dfns-sdk-ts
`sdk-browser/signers/key.ts`: `key.create` client data, the attestation signed over
`{"clientDataHash","publicKey"}`), sign with the official `KeySigner`, and find their codes in the simulator's
outbox (`GET /_sim/messages`), as a user finds them in their mailbox; the identity provider's side of social, SSO and
OIDC logins is the simulator's (`/_sim/idp/…`).
"""
import base64
import hashlib
import hmac
import json
import os
import time
import sys
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from dfns_sdk import DfnsClient, DfnsClientConfig, KeySigner

from domains import auth_groups

# The software passkey is shared with ops/demo and ops/chaos (ops/end_users.py).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from end_users import Passkey  # noqa: E402


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KeyCredential:
    """A P-256 key credential of `kind` (Key, PasswordProtectedKey, RecoveryKey) a user holds."""

    def __init__(self, kind="Key"):
        self.kind = kind
        self.private = ec.generate_private_key(ec.SECP256R1())
        self.cred_id = b64url(os.urandom(32))
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.private_pem = self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()

    def attest(self, challenge, name="cov"):
        """The credential of a registration or `/auth/credentials` body, attesting `challenge` (`key.create`)."""
        client_data = json.dumps({"type": "key.create", "challenge": challenge, "origin": "https://app.example.com", "crossOrigin": False},
                                 separators=(",", ":")).encode()
        statement = json.dumps({"clientDataHash": hashlib.sha256(client_data).hexdigest(), "publicKey": self.public_pem}, separators=(",", ":"))
        signature = self.private.sign(statement.encode(), ec.ECDSA(hashes.SHA256())).hex()
        attestation = json.dumps({"publicKey": self.public_pem, "signature": signature, "algorithm": "SHA256"}, separators=(",", ":")).encode()
        credential = {"credentialKind": self.kind, "credentialName": name,
                      "credentialInfo": {"credId": self.cred_id, "clientData": b64url(client_data), "attestationData": b64url(attestation)}}
        if self.kind in ("PasswordProtectedKey", "RecoveryKey"):
            credential["encryptedPrivateKey"] = base64.b64encode(b"sealed:" + self.cred_id.encode()).decode()
        return credential

    def signer(self):
        return KeySigner(credential_id=self.cred_id, private_key=self.private_pem)

    def assert_(self, challenge):
        """The `firstFactor` signing `challenge` (`key.get`), as the official KeySigner makes it."""
        factor = self.signer().sign({"challenge": challenge})
        factor["kind"] = self.kind if self.kind != "RecoveryKey" else "Key"
        return factor


def totp(otp_url, at=None):
    """The RFC 6238 code of an `otpauth://` URL's secret now."""
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(otp_url).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, int((at or time.time()) // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1000000:06d}"


def run(context):
    call, client, stamp = context.call, context.client, context.stamp
    org_id = client.auth.list_users()["items"][0]["orgId"]

    def as_client(token, signer=None):
        return DfnsClient(DfnsClientConfig(auth_token=token, base_url=context.base, signer=signer))

    def code(username, kind):
        messages = context.control("messages?username=" + urllib.parse.quote(username))["items"]
        return [m["code"] for m in messages if m["kind"] == kind][-1]

    def login(username, key):
        challenge = client.auth.create_login_challenge({"username": username, "orgId": org_id})
        return client.auth.login({"challengeIdentifier": challenge["challengeIdentifier"], "firstFactor": key.assert_(challenge["challenge"])})["token"]

    # Personal access tokens.
    pat_key = KeyCredential()
    pat = call("auth", "create_personal_access_token", {"name": "cov-pat", "publicKey": pat_key.public_pem, "externalId": f"cov-pat-{stamp}"},
               expect=lambda t: t["accessToken"] and t["kind"] == "Pat" and t["isActive"])
    pat_id = pat.get("tokenId", "to-missing")
    call("auth", "list_personal_access_tokens", expect=lambda page: pat_id in [t["tokenId"] for t in page["items"]])
    call("auth", "get_personal_access_token", pat_id, expect=lambda t: t["name"] == "cov-pat" and "accessToken" not in t)
    call("auth", "update_personal_access_token", pat_id, {"name": "cov-pat-2"}, expect=lambda t: t["name"] == "cov-pat-2")
    pat_client = as_client(pat.get("accessToken", "x"), KeySigner(credential_id=pat.get("credId", "x"), private_key=pat_key.private_pem))
    context.check("a personal access token authenticates and signs with its own key",
                  pat_client.auth.update_personal_access_token(pat_id, {"externalId": "signed-by-pat"})["externalId"] == "signed-by-pat")
    call("auth", "deactivate_personal_access_token", pat_id, expect=lambda t: t["isActive"] is False)
    context.refused("a deactivated personal access token is 401", 401, lambda: pat_client.auth.list_personal_access_tokens())
    call("auth", "activate_personal_access_token", pat_id, expect=lambda t: t["isActive"] is True)
    call("auth", "delete_personal_access_token", pat_id, expect=lambda t: t["isActive"] is False)

    # Service accounts, and the keys one adds to itself.
    sa_key = KeyCredential()
    account = call("auth", "create_service_account", {"name": "cov-sa", "publicKey": sa_key.public_pem},
                   expect=lambda a: a["userInfo"]["isServiceAccount"] and a["accessTokens"][0]["accessToken"])
    sa_id = account.get("userInfo", {}).get("userId", "us-missing")
    sa_token = account.get("accessTokens", [{}])[0]
    sa = as_client(sa_token.get("accessToken", "x"), KeySigner(credential_id=sa_token.get("credId", "x"), private_key=sa_key.private_pem))
    call("auth", "list_service_accounts", expect=lambda page: sa_id in [a["userInfo"]["userId"] for a in page["items"]])
    call("auth", "get_service_account", sa_id, expect=lambda a: a["userInfo"]["name"] == "cov-sa")
    call("auth", "update_service_account", sa_id, {"externalId": f"cov-sa-{stamp}"}, expect=lambda a: a["userInfo"]["externalId"] == f"cov-sa-{stamp}")
    second_key = KeyCredential()
    added = call("auth", "create_service_account_credential", {"publicKey": second_key.public_pem, "name": "rotated"}, via=sa,
                 expect=lambda c: c["kind"] == "Key" and c["isActive"])
    rotated = as_client(sa_token.get("accessToken", "x"), KeySigner(credential_id=added.get("credentialId", "x"), private_key=second_key.private_pem))
    context.check("a service account signs with a key it added",
                  rotated.auth.update_service_account(sa_id, {"name": "cov-sa-rotated"})["userInfo"]["name"] == "cov-sa-rotated")
    call("auth", "delete_service_account_credential", added.get("credentialUuid", "x"), via=sa, expect=lambda r: r == {})
    context.refused("a deleted key no longer signs (401)", 401, lambda: rotated.auth.update_service_account(sa_id, {"name": "x"}))

    # A user of the organisation registered with a code: a key and a recovery key.
    email = f"cov-{stamp}@example.com"
    user = call("auth", "create_user", {"email": email, "kind": "CustomerEmployee", "externalId": f"cov-u-{stamp}"},
                expect=lambda u: u["username"] == email and u["isRegistered"] is False)
    uid = user.get("userId", "us-missing")
    call("auth", "get_user", uid, expect=lambda u: u["userId"] == uid)
    call("auth", "list_users", {"limit": 100}, expect=lambda page: uid in [u["userId"] for u in page["items"]])
    call("auth", "update_user", uid, {"isSSORequired": False}, expect=lambda u: u["isSSORequired"] is False)
    context.refused("a wrong registration code is 400", 400,
                    lambda: client.auth.create_registration_challenge({"username": email, "registrationCode": "0000-0000", "orgId": org_id}))
    call("auth", "resend_registration_code", {"username": email, "orgId": org_id}, expect=lambda r: r["message"])
    session = call("auth", "create_registration_challenge", {"username": email, "registrationCode": code(email, "Registration"), "orgId": org_id},
                   expect=lambda c: c["temporaryAuthenticationToken"] and c["user"]["id"] == uid and "Key" in c["supportedCredentialKinds"]["firstFactor"])
    key, recovery_key = KeyCredential(), KeyCredential("RecoveryKey")
    temp = as_client(session.get("temporaryAuthenticationToken", "x"))
    call("auth", "register", {"firstFactorCredential": key.attest(session.get("challenge", "")),
                              "recoveryCredential": recovery_key.attest(session.get("challenge", ""))}, via=temp,
         expect=lambda r: r["user"]["id"] == uid and r["credential"]["kind"] == "Key")
    context.check("the user is registered", client.auth.get_user(uid)["isRegistered"] is True)
    context.refused("a registration session completes once (401)", 401,
                    lambda: temp.auth.register({"firstFactorCredential": KeyCredential().attest(session.get("challenge", ""))}))

    # Logins with the key; the user's own client then manages its credentials and logs out.
    call("auth", "send_login_code", {"username": email, "orgId": org_id}, expect=lambda r: r["message"])
    challenge = call("auth", "create_login_challenge", {"username": email, "orgId": org_id, "loginCode": code(email, "Login")},
                     expect=lambda c: [k["id"] for k in c["allowCredentials"]["key"]] == [key.cred_id])
    token = call("auth", "login", {"challengeIdentifier": challenge.get("challengeIdentifier", ""), "firstFactor": key.assert_(challenge.get("challenge", ""))},
                 expect=lambda r: r["token"]).get("token", "x")
    again = client.auth.create_login_challenge({"username": email})
    call("auth", "complete_user_login", {"challengeIdentifier": again["challengeIdentifier"], "firstFactor": key.assert_(again["challenge"])},
         expect=lambda r: r["token"] != token)
    context.refused("a login challenge is signed once (400)", 400, lambda: client.auth.login(
        {"challengeIdentifier": again["challengeIdentifier"], "firstFactor": key.assert_(again["challenge"])}))
    me = as_client(token, key.signer())
    credentials(context, me, email, as_client)
    call("auth", "logout", {}, via=me, expect=lambda r: r["message"])
    context.refused("a login ends with logout (401)", 401, lambda: me.auth.list_credentials())

    # Recovery by code with the recovery key: the older credentials stop.
    call("auth", "send_recovery_code", {"username": email, "orgId": org_id}, expect=lambda r: r["message"])
    call("auth", "send_recovery_code_email", {"username": email, "orgId": org_id}, expect=lambda r: r["message"])
    recovery = call("auth", "create_recovery_challenge", {"username": email, "verificationCode": code(email, "Recovery"), "orgId": org_id,
                                                          "credentialId": recovery_key.cred_id},
                    expect=lambda c: c["allowedRecoveryCredentials"][0]["id"] == recovery_key.cred_id)
    new_key = KeyCredential()
    recover(context, as_client(recovery.get("temporaryAuthenticationToken", "x")), "recover", recovery, recovery_key, new_key)
    context.refused("a key replaced by a recovery no longer logs in (401)", 401, lambda: login(email, key))
    context.check("the recovered user logs in with the new key", bool(login(email, new_key)))

    # End users registered by the service account with wallets, logged in and recovered by it.
    context.refused("delegated registration is a service account's (403)", 403,
                    lambda: client.auth.create_delegated_registration_challenge({"email": f"x-{stamp}@example.com", "kind": "EndUser"}))
    for name in ("register_end_user", "complete_end_user_registration_with_wallets"):
        end_email = f"cov-end-{name[:8]}-{stamp}@example.com"
        if name == "register_end_user":  # made first for a delegated registration, as the docstring asks
            client.auth.create_user({"email": end_email, "kind": "EndUser", "registration": "Delegated"})
        delegated = call("auth", "create_delegated_registration_challenge", {"email": end_email, "kind": "EndUser", "externalId": f"cov-{name}-{stamp}"},
                         via=sa, expect=lambda c: c["temporaryAuthenticationToken"] and c["user"]["name"] == end_email)
        end_key, end_recovery = KeyCredential(), KeyCredential("RecoveryKey")
        call("auth", name, {"firstFactorCredential": end_key.attest(delegated.get("challenge", "")),
                            "recoveryCredential": end_recovery.attest(delegated.get("challenge", "")),
                            "wallets": [{"network": "EthereumSepolia", "name": "end"}]}, via=as_client(delegated.get("temporaryAuthenticationToken", "x")),
             expect=lambda r: r["authentication"]["token"] and r["wallets"][0]["network"] == "EthereumSepolia")
    context.refused("a registered user is not registered again (401)", 401,
                    lambda: sa.auth.create_delegated_registration_challenge({"email": end_email, "kind": "EndUser"}))
    delegated_login = call("auth", "delegated_login", {"username": end_email}, via=sa, expect=lambda r: r["token"])
    context.check("a delegated login reads as the end user",
                  [c["credentialId"] for c in as_client(delegated_login.get("token", "x")).auth.list_credentials()["items"]][:1] == [end_key.cred_id])
    delegated_recovery = call("auth", "create_delegated_recovery_challenge", {"username": end_email, "credentialId": end_recovery.cred_id}, via=sa,
                              expect=lambda c: c["allowedRecoveryCredentials"][0]["encryptedRecoveryKey"])
    recover(context, as_client(delegated_recovery.get("temporaryAuthenticationToken", "x")), "recover_user", delegated_recovery, end_recovery, KeyCredential())

    # A password and an authenticator app, registered through the deprecated name.
    pw_email = f"cov-pw-{stamp}@example.com"
    client.auth.create_user({"email": pw_email, "kind": "CustomerEmployee"})
    pw_session = client.auth.create_registration_challenge({"username": pw_email, "registrationCode": code(pw_email, "Registration"), "orgId": org_id})
    call("auth", "complete_user_registration",
         {"firstFactorCredential": {"credentialKind": "Password", "credentialInfo": {"password": "correct horse"}, "credentialName": "pw"},
          "secondFactorCredential": {"credentialKind": "Totp", "credentialInfo": {"otpCode": totp(pw_session["otpUrl"])}, "credentialName": "app"}},
         via=as_client(pw_session["temporaryAuthenticationToken"]), expect=lambda r: r["credential"]["kind"] == "Password")
    pw_challenge = client.auth.create_login_challenge({"username": pw_email, "orgId": org_id})
    context.check("a password user's challenge requires a second factor", all(k["requiresSecondFactor"] for k in pw_challenge["supportedCredentialKinds"]))
    context.refused("a password alone is 401 when an authenticator app is registered", 401, lambda: client.auth.login(
        {"challengeIdentifier": pw_challenge["challengeIdentifier"], "firstFactor": {"kind": "Password", "password": "correct horse"}}))
    context.refused("a login challenge is spent by a failed attempt (400)", 400, lambda: client.auth.login(
        {"challengeIdentifier": pw_challenge["challengeIdentifier"], "firstFactor": {"kind": "Password", "password": "correct horse"}}))
    pw_challenge = client.auth.create_login_challenge({"username": pw_email, "orgId": org_id})
    one_time = totp(pw_session["otpUrl"])
    context.check("a password and a one-time code log in", bool(client.auth.login(
        {"challengeIdentifier": pw_challenge["challengeIdentifier"], "firstFactor": {"kind": "Password", "password": "correct horse"},
         "secondFactor": {"kind": "Totp", "otpCode": one_time}})["token"]))
    replay = client.auth.create_login_challenge({"username": pw_email, "orgId": org_id})
    context.refused("a one-time code is accepted once (RFC 6238 §5.2; 401)", 401, lambda: client.auth.login(
        {"challengeIdentifier": replay["challengeIdentifier"], "firstFactor": {"kind": "Password", "password": "correct horse"},
         "secondFactor": {"kind": "Totp", "otpCode": one_time}}))

    passkey_user(context, org_id, as_client)
    federated(context, org_id, as_client)
    tenant_exchange(context, org_id, as_client, code, login)

    # The user-action pair, called directly and signed by the organisation's configured user.
    ua = call("auth", "create_user_action_challenge", {"userActionPayload": json.dumps({"name": "x"}), "userActionHttpMethod": "PUT",
                                                       "userActionHttpPath": f"/auth/users/{uid}", "userActionServerKind": "Api"},
              expect=lambda c: c["challengeIdentifier"] and c["allowCredentials"]["key"])
    call("auth", "create_user_action_signature", {"challengeIdentifier": ua.get("challengeIdentifier", ""), "firstFactor": context.signer.sign(ua)},
         expect=lambda r: r["userAction"])

    # The lifecycles end.
    call("auth", "deactivate_user", uid, {}, expect=lambda u: u["isActive"] is False)
    context.refused("a deactivated user does not log in (400, Dfns's \"User account has been deactivated.\")", 400, lambda: login(email, new_key))
    call("auth", "activate_user", uid, expect=lambda u: u["isActive"] is True)
    call("auth", "delete_user", uid, expect=lambda u: u["isActive"] is False)
    call("auth", "deactivate_service_account", sa_id, {}, expect=lambda a: a["userInfo"]["isActive"] is False)
    call("auth", "activate_service_account", sa_id, expect=lambda a: a["userInfo"]["isActive"] is True)
    call("auth", "delete_service_account", sa_id, expect=lambda a: a["userInfo"]["isActive"] is False)

    auth_groups.run(context)


def credentials(context, me, email, as_client):
    """The logged-in user's credentials: listed, added (signed and by code), deactivated, activated, deleted."""
    call = context.call
    call("auth", "list_credentials", via=me, expect=lambda r: [c["kind"] for c in r["items"]] == ["Key", "RecoveryKey"])
    init = call("auth", "create_credential_challenge", {"kind": "Key"}, via=me, expect=lambda c: c["kind"] == "Key" and c["challengeIdentifier"])
    extra = KeyCredential()
    created = call("auth", "create_credential", dict(extra.attest(init.get("challenge", ""), "laptop"), challengeIdentifier=init.get("challengeIdentifier", "")),
                   via=me, expect=lambda c: c["credentialId"] == extra.cred_id and c["isActive"])
    uuid = created.get("credentialUuid", "cr-missing")
    for name, active in (("deactivate_credential", False), ("activate_credential", True)):
        call("auth", name, {"credentialUuid": uuid}, via=me, expect=lambda r: r["message"])
        context.check(f"{name} leaves the credential {'active' if active else 'inactive'}",
                      [c["isActive"] for c in me.auth.list_credentials()["items"] if c["credentialUuid"] == uuid] == [active])
    context.refused("an unknown credential uuid is 404", 404, lambda: me.auth.deactivate_credential({"credentialUuid": "cr-none"}))
    call("auth", "delete_credential", uuid, via=me, expect=lambda r: r == {})
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 50))
    one_time = call("auth", "create_credential_code", {"expiration": expiration}, via=me, expect=lambda r: r["code"] and r["expiration"])
    context.refused("a credential code more than a minute ahead is 400", 400,
                    lambda: me.auth.create_credential_code({"expiration": int(time.time()) + 3600}))
    anonymous = as_client("not-a-token")
    by_code = call("auth", "create_credential_challenge_with_code", {"credentialKind": "Key", "code": one_time.get("code", "")}, via=anonymous,
                   expect=lambda c: c["kind"] == "Key" and c["user"]["name"] == email)
    context.refused("a challenge opened by a code is not taken by /auth/credentials (400)", 400, lambda: me.auth.create_credential(
        dict(KeyCredential().attest(by_code.get("challenge", "")), challengeIdentifier=by_code.get("challengeIdentifier", ""))))
    phone = KeyCredential()
    call("auth", "create_credential_with_code", dict(phone.attest(by_code.get("challenge", ""), "phone"), challengeIdentifier=by_code.get("challengeIdentifier", "")),
         via=anonymous, expect=lambda c: c["credentialId"] == phone.cred_id)
    context.refused("a credential code is spent once (401)", 401,
                    lambda: anonymous.auth.create_credential_challenge_with_code({"credentialKind": "Key", "code": one_time.get("code", "")}))


def recover(context, temp, name, challenge, recovery_key, new_key):
    """auth.<name> completing a recovery session: the new key attests the session's challenge, the recovery key signs
    the new credentials (key.get over base64url of their JSON, as dfns-sdk-ts examples/sdk/nextjs-delegated-recovery)."""
    new_credentials = {"firstFactorCredential": new_key.attest(challenge.get("challenge", ""))}
    client_data = json.dumps({"type": "key.get", "challenge": b64url(json.dumps(new_credentials, separators=(",", ":")).encode()),
                              "origin": "https://app.example.com", "crossOrigin": False}, separators=(",", ":")).encode()
    signature = recovery_key.private.sign(client_data, ec.ECDSA(hashes.SHA256()))
    assertion = {"credId": recovery_key.cred_id, "clientData": b64url(client_data), "signature": b64url(signature)}
    context.call("auth", name, {"recovery": {"kind": "RecoveryKey", "credentialAssertion": assertion}, "newCredentials": new_credentials}, via=temp,
                 expect=lambda r: r["credential"]["kind"] == "Key")


def passkey_user(context, org_id, as_client):
    """A user registers a passkey through the official SDK and logs in with it without a username."""
    client, email = context.client, f"cov-passkey-{context.stamp}@example.com"
    user_id = client.auth.create_user({"email": email, "kind": "CustomerEmployee"})["userId"]
    code = [m["code"] for m in context.control("messages?username=" + urllib.parse.quote(email))["items"] if m["kind"] == "Registration"][-1]
    session = client.auth.create_registration_challenge({"username": email, "registrationCode": code, "orgId": org_id})
    passkey = Passkey()
    registered = as_client(session["temporaryAuthenticationToken"]).auth.register(
        {"firstFactorCredential": passkey.credential(session["challenge"], user_id)})
    context.check("a packed passkey attestation made in Python registers", registered.get("credential", {}).get("kind") == "Fido2",
                  json.dumps(registered)[:200])
    challenge = client.auth.create_login_challenge({"orgId": org_id})
    token = client.auth.login({"challengeIdentifier": challenge["challengeIdentifier"],
                               "firstFactor": passkey.assertion(challenge["challenge"], user_id)}).get("token")
    context.check("the passkey logs its user in without a username", bool(token))
    stale = client.auth.create_login_challenge({"username": email, "orgId": org_id})
    passkey.count -= 1  # an authenticator whose counter went back: a clone
    context.refused("a passkey counter that does not grow is refused (401)", 401, lambda: client.auth.login(
        {"challengeIdentifier": stale["challengeIdentifier"], "firstFactor": passkey.assertion(stale["challenge"], user_id)}))


def federated(context, org_id, as_client):
    """Social registration and login, SSO and OIDC, against the simulator's identity provider."""
    call, client, stamp = context.call, context.client, context.stamp
    social_email = f"cov-social-{stamp}@example.com"
    id_token = context.control("idp/id-token", {"email": social_email})["idToken"]
    social = call("auth", "create_social_registration_challenge", {"socialLoginProviderKind": "Oidc", "idToken": id_token, "orgId": org_id},
                  expect=lambda c: c["temporaryAuthenticationToken"] and c["user"]["name"] == social_email)
    as_client(social.get("temporaryAuthenticationToken", "x")).auth.register({"firstFactorCredential": KeyCredential().attest(social.get("challenge", ""))})
    call("auth", "social_login", {"socialLoginProviderKind": "Oidc", "idToken": id_token, "orgId": org_id}, expect=lambda r: r["token"])
    forged = id_token.rsplit(".", 1)[0] + "." + b64url(b"\0" * 32)
    context.refused("an ID token not signed by the identity provider is 401", 401,
                    lambda: client.auth.social_login({"socialLoginProviderKind": "Oidc", "idToken": forged}))

    sso_email = f"cov-sso-{stamp}@example.com"
    client.auth.create_user({"email": sso_email, "kind": "CustomerEmployee", "isSSORequired": True})
    for init, complete in (("sso_login_init", "sso_login"), ("initiate_sso_login", "complete_sso_login")):
        started = call("auth", init, {"clientId": "cov-client", "redirectUri": "https://app.example.com/sso", "orgId": org_id},
                       expect=lambda r: r["ssoRedirectUrl"].startswith("https://"))
        state = urllib.parse.parse_qs(urllib.parse.urlparse(started.get("ssoRedirectUrl", "")).query).get("state", ["x"])[0]
        signed_in = context.control("idp/authorize", {"state": state, "email": sso_email})
        call("auth", complete, {"code": signed_in["code"], "state": state}, expect=lambda r: r["token"])
        context.refused(f"{complete}: a code is exchanged once (401)", 401, lambda: client.auth.sso_login({"code": signed_in["code"], "state": state}))
    context.refused("a user who must use SSO cannot start a key login (401)", 401,
                    lambda: client.auth.create_login_challenge({"username": sso_email, "orgId": org_id}))

    oidc_email = f"cov-oidc-{stamp}@example.com"
    client.auth.create_user({"email": oidc_email, "kind": "CustomerEmployee"})
    answer = {}
    for init, complete in (("oidc_login_init", "oidc_login"), ("initiate_oidc_login", "complete_oidc_login")):
        started = call("auth", init, {"redirectUri": "https://app.example.com/oidc", "orgId": org_id, "nonce": f"n-{stamp}"},
                       expect=lambda r: r["redirectUrl"].startswith("https://"))
        state = urllib.parse.parse_qs(urllib.parse.urlparse(started.get("redirectUrl", "")).query).get("state", ["x"])[0]
        signed_in = context.control("idp/authorize", {"state": state, "email": oidc_email})
        answer = call("auth", complete, {"code": signed_in["code"], "state": state}, expect=lambda r: r["token"] and r["credentialChallenge"]["challenge"])
    challenge = answer.get("credentialChallenge", {})
    first = KeyCredential()
    call("auth", "oidc_login_credentials", dict(first.attest(challenge.get("challenge", "")), challengeIdentifier=challenge.get("challengeIdentifier", "")),
         expect=lambda c: c["credentialId"] == first.cred_id)


def tenant_exchange(context, org_id, as_client, code, login):
    """A tenant user invited into the organisation registers, logs in and exchanges the login for one of the tenant."""
    client, email = context.client, f"cov-tenant-{context.stamp}@example.com"
    client.tenant.create_tenant_user({"email": email})
    context.call("auth", "invite_tenant_user", {"email": email, "kind": "TenantUser"}, expect=lambda r: r == {})
    session = client.auth.create_registration_challenge({"username": email, "registrationCode": code(email, "Registration"), "orgId": org_id})
    key = KeyCredential()
    as_client(session["temporaryAuthenticationToken"]).auth.register({"firstFactorCredential": key.attest(session["challenge"])})
    tenant_id = "tn-" + org_id[3:]
    context.call("auth", "exchange_access_token", {"target": tenant_id}, via=as_client(login(email, key)), expect=lambda r: r["token"])
    context.refused("only a tenant user's login is exchanged (403)", 403, lambda: client.auth.exchange_access_token({"target": tenant_id}))
