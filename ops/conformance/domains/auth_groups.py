"""The auth client's user groups, applications and audit logs (called from the auth module).

User groups of the organisation: made with a unique name, renamed, their description cleared, users of the
organisation added and removed as sets (an unknown user is 404, a member archived since is no longer listed), deleted
with their permission assignments. Applications: the organisation's default one and those its tokens are linked to.
Audit logs: every signature is an entry, exported as CSV (the SDK's `list_audit_logs` returns None: the simulator
answers the CSV as a JSON string, or as `text/csv` when asked) and detailed by `get_audit_log` with the first factor's
evidence, which verifies; details of key material are withheld (403)."""
import base64
import csv
import io
import json
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding

NULL_USER = "us-00000-00000-0000000000000000"
NULL_GROUP = "ug-00000-00000-0000000000000000"
CSV_HEADER = ["Date Performed", "Audit Log ID", "User ID", "Username", "Primary Credential ID", "Action Path", "Summary"]


def run(context):
    user_groups(context)
    applications(context)
    audit_logs(context)


def user_groups(context):
    call, client, check, stamp = context.call, context.client, context.check, context.stamp
    me = client.auth.list_users()["items"][0]["userId"]
    member = client.auth.create_user({"email": f"cov-member-{stamp}@example.com", "kind": "CustomerEmployee"})["userId"]
    name = f"cov-group-{stamp}"

    group = call("auth", "create_user_group", {"name": name, "description": "coverage"},
                 expect=lambda g: g["id"].startswith("ug-") and g["orgId"].startswith("or-") and g["memberCount"] == 0
                 and g["description"] == "coverage" and g["dateCreated"] == g["dateUpdated"])
    gid = group.get("id", NULL_GROUP)
    context.refused("auth: a second user group with the same name is 409", 409, lambda: client.auth.create_user_group({"name": name}))
    context.refused("auth: a user group without a name is 400", 400, lambda: client.auth.create_user_group({"description": "nameless"}))
    call("auth", "get_user_group", gid, expect=lambda g: g["name"] == name and g["description"] == "coverage")
    call("auth", "update_user_group", gid, {"name": name + "-2", "description": None},
         expect=lambda g: g["name"] == name + "-2" and "description" not in g and g["id"] == gid)
    call("auth", "list_user_groups", {"limit": 50}, expect=lambda page: gid in [g["id"] for g in page["items"]])

    call("auth", "add_user_group_members", gid, {"userIds": [member, me]}, expect=lambda r: r == {})
    call("auth", "list_user_group_members", gid, {"limit": 10},
         expect=lambda page: [m["userId"] for m in page["items"]] == [member, me] and page["items"][0]["username"] == f"cov-member-{stamp}@example.com")
    check("a user group counts its members", client.auth.get_user_group(gid)["memberCount"] == 2)
    context.refused("auth: an unknown user cannot join a user group (404)", 404,
                    lambda: client.auth.add_user_group_members(gid, {"userIds": [NULL_USER]}))
    context.refused("auth: userIds must be a non-empty array (400)", 400, lambda: client.auth.add_user_group_members(gid, {"userIds": []}))
    context.refused("auth: an unknown user group is 404", 404, lambda: client.auth.get_user_group(NULL_GROUP))
    client.auth.delete_user(member)
    check("a member archived since is no longer listed", [m["userId"] for m in client.auth.list_user_group_members(gid)["items"]] == [me])
    context.refused("auth: an archived user cannot join a user group (400)", 400,
                    lambda: client.auth.add_user_group_members(gid, {"userIds": [member]}))
    call("auth", "remove_user_group_members", gid, {"userIds": [me]}, expect=lambda r: r == {})
    check("a removed member leaves the user group", client.auth.list_user_group_members(gid)["items"] == [])

    # A group holds permissions; deleting it revokes them, and its name can be reused.
    permission = client.permissions.create_permission({"name": f"cov-group-perm-{stamp}", "operations": ["Wallets:Read"]})
    client.permissions.assign_permission(permission["id"], {"identityId": gid})
    call("auth", "delete_user_group", gid, expect=lambda r: r == {})
    check("a deleted user group loses its permission assignments", client.permissions.list_assignments(permission["id"])["items"] == [])
    context.refused("auth: a deleted user group is 404", 404, lambda: client.auth.get_user_group(gid))
    reused = client.auth.create_user_group({"name": name + "-2"})
    check("a deleted user group's name can be reused", reused.get("name") == name + "-2")
    client.auth.delete_user_group(reused["id"])


def applications(context):
    call, client, check, stamp = context.call, context.client, context.check, context.stamp
    public_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    pat = client.auth.create_personal_access_token({"name": f"cov-app-pat-{stamp}", "publicKey": public_key})
    linked = pat.get("linkedAppId", "ap-missing")
    apps = call("auth", "list_applications",
                expect=lambda r: r["items"][0]["kind"] == "ClientSideApplication" and r["items"][0]["appId"].startswith("ap-")
                and linked in [a["appId"] for a in r["items"]] and all(a["accessTokens"] == [] and a["isActive"] for a in r["items"]))
    default = (apps.get("items") or [{}])[0].get("appId", "ap-missing")
    call("auth", "get_application", default, expect=lambda a: a["appId"] == default and a["orgId"].startswith("or-") and a["expectedRpId"])
    check("a token's linkedAppId is an application", client.auth.get_application(linked).get("kind") == "ServerSideApplication")
    context.refused("auth: an unknown application is 404", 404, lambda: client.auth.get_application("ap-00000-00000-0000000000000000"))


def audit_logs(context):
    call, client, check, stamp = context.call, context.client, context.check, context.stamp
    now = datetime.now(timezone.utc)
    window = {"startTime": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "endTime": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    marker = client.auth.create_user_group({"name": f"cov-audit-{stamp}"})

    # The SDK drops the body (`-> None`); its own HTTP client reads what the simulator answered: the CSV as a JSON string.
    call("auth", "list_audit_logs", window, expect=lambda r: r is None)
    text = client.auth._http.request(method="GET", path="/auth/action/logs", query_params=window)
    rows = list(csv.reader(io.StringIO(text))) if isinstance(text, str) else [[]]
    check("the audit log export is CSV with Dfns's header", rows[0] == CSV_HEADER, repr(text)[:200])
    created = [row for row in rows[1:] if row[5:] == ["/auth/user-groups", "POST /auth/user-groups"]]
    check("the signed creation of a user group is an audit log row", len(created) >= 1, repr(text)[-300:])
    log_id = created[-1][1] if created else "uj-missing"
    user_id = created[-1][2] if created else NULL_USER
    filtered = client.auth._http.request(method="GET", path="/auth/action/logs", query_params=dict(window, userId=NULL_USER))
    check("userId filters the audit log", filtered == ",".join(CSV_HEADER), repr(filtered)[:200])
    raw = client.auth._http._client.get("/auth/action/logs", params=window,
                                        headers={"Authorization": f"Bearer {client.auth._http.config.auth_token}", "Accept": "text/csv"})
    check("Accept: text/csv gets the CSV itself", raw.headers.get("content-type", "").startswith("text/csv") and raw.text.startswith(",".join(CSV_HEADER)),
          raw.headers.get("content-type", ""))
    context.refused("auth: an audit log export without startTime is 400", 400, lambda: client.auth.list_audit_logs({"endTime": window["endTime"]}))

    entry = call("auth", "get_audit_log", log_id,
                 expect=lambda e: e["id"] == log_id and e["userId"] == user_id and e["actionToken"]
                 and json.loads(e["action"])["userActionHttpPath"] == "/auth/user-groups"
                 and json.loads(json.loads(e["action"])["userActionPayload"]) == {"name": f"cov-audit-{stamp}"}
                 and e["firstFactorCredential"]["kind"] == "Key" and e["firstFactorCredential"]["assertion"]["authenticatorData"] is None)
    check("an audit log's first factor signature verifies with its public key", verifies(entry.get("firstFactorCredential", {})))
    context.refused("auth: an unknown audit log is 404", 404, lambda: client.auth.get_audit_log("uj-00000-00000-0000000000000000"))

    # Key material is not exposed: the import is logged, its details are withheld.
    def imports():
        text = client.auth._http.request(method="GET", path="/auth/action/logs", query_params=window)
        return [row[1] for row in csv.reader(io.StringIO(text)) if row[5:6] == ["/keys/import"]]
    before = imports()
    client.keys.import_key({"curve": "ed25519", "protocol": "FROST", "minSigners": 1,
                            "encryptedKeyShares": [{"signerId": "s1", "encryptedKeyShare": "AAAA"}]})
    new_imports = [log for log in imports() if log not in before]
    check("a key import is an audit log row", len(new_imports) == 1)
    context.refused("auth: the details of a key import are withheld (403)", 403, lambda: client.auth.get_audit_log(new_imports[0] if new_imports else "uj-x"))
    client.auth.delete_user_group(marker["id"])


def verifies(credential):
    """Whether the credential's public key verifies its assertion's signature over clientData (a Key credential)."""
    try:
        key = serialization.load_pem_public_key(credential["publicKey"].encode())
        assertion = credential["assertion"]
        decode = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data, signature = decode(assertion["clientData"]), decode(assertion["signature"])
        if json.loads(data)["type"] != "key.get":
            return False
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001 - any failure means it does not verify
        return False
