"""The permissions client: a permission (role) with operations, assigned to identities, archived and deleted."""


def run(context):
    call, client, check = context.call, context.client, context.check
    name = f"cov-{context.stamp}"
    permission = call("permissions", "create_permission", {"name": name, "operations": ["Wallets:Read", "Wallets:Create"]},
                      expect=lambda p: p["id"].startswith("pm-") and p["status"] == "Active" and p["isArchived"] is False)
    pid = permission.get("id", "pm-missing")
    call("permissions", "get_permission", pid, expect=lambda p: p["operations"] == ["Wallets:Read", "Wallets:Create"])
    call("permissions", "list_permissions", {"limit": 100}, expect=lambda page: pid in [p["id"] for p in page["items"]])
    call("permissions", "update_permission", pid, {"name": name + "-renamed", "operations": ["Wallets:Read"]},
         expect=lambda p: p["name"] == name + "-renamed" and p["operations"] == ["Wallets:Read"])
    assignment = call("permissions", "assign_permission", pid, {"identityId": "us-conformance-user"},
                      expect=lambda a: a["id"].startswith("as-") and a["permissionId"] == pid)
    call("permissions", "list_assignments", pid, expect=lambda page: [a["id"] for a in page["items"]] == [assignment.get("id")])
    call("permissions", "list_permission_assignments", pid, expect=lambda page: [a["id"] for a in page["items"]] == [assignment.get("id")])
    # Revoking is a hard deletion answered 204 (the SDK returns None); the query goes with the signed request.
    call("permissions", "revoke_permission", pid, assignment.get("id", "as-missing"), {"force": "true"}, expect=lambda r: r is None)
    check("a revoked assignment is gone", client.permissions.list_assignments(pid)["items"] == [])
    context.refused("a force that is not a boolean is refused", 400, lambda: client.permissions.revoke_permission(pid, assignment.get("id", "as-missing"), {"force": "maybe"}))
    call("permissions", "archive_permission", pid, {"isArchived": True}, expect=lambda p: p["isArchived"] is True)
    context.refused("an archived permission cannot be assigned", 400, lambda: client.permissions.assign_permission(pid, {"identityId": "us-other"}))
    call("permissions", "archive_permission", pid, {"isArchived": False}, expect=lambda p: p["isArchived"] is False)
    call("permissions", "delete_permission", pid, expect=lambda r: r is None)
    check("a deleted permission stays readable, archived", client.permissions.get_permission(pid)["isArchived"] is True)
    context.refused("a deleted permission's name stays taken", 409, lambda: client.permissions.create_permission({"name": name + "-renamed", "operations": ["Wallets:Read"]}))
