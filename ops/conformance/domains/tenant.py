"""The tenant client: organisations (Active -> Suspended -> Archived, which is final), tenant users (one per email),
user groups and their members, and the tenant permissions assigned (204) to a user and revoked (204); refusals (an
unknown user, a duplicate email, a bad org status, a change to an archived org, a revoked assignment)."""

NULL_USER = "us-00000-00000-0000000000000000"


def run(context):
    call, client = context.call, context.client
    stamp = context.stamp

    # Organisations of the tenant.
    org = call("tenant", "create_org", {"name": "cov-org", "keyStores": [{"kind": "Mpc", "region": "eu"}]},
               expect=lambda r: r["org"]["id"].startswith("or-") and r["org"]["status"] == "Active" and r["org"]["tenantId"].startswith("tn-"))
    oid = org.get("org", {}).get("id", "or-missing")
    call("tenant", "get_org", oid, expect=lambda r: r["org"]["name"] == "cov-org" and r["org"]["keyStores"] == [{"kind": "Mpc", "region": "eu"}])
    call("tenant", "update_org", oid, {"name": "cov-org-renamed"}, expect=lambda r: r["org"]["name"] == "cov-org-renamed")
    call("tenant", "update_org_status", oid, {"status": "Suspended"}, expect=lambda r: r == {})
    call("tenant", "list_orgs", {"status": "Suspended"}, expect=lambda page: [o["id"] for o in page["items"]] == [oid])
    context.check("listOrgs filtered on Active leaves the suspended org out",
                  oid not in [o["id"] for o in client.tenant.list_orgs({"status": "Active"})["items"]])
    context.refused("tenant: an org status outside Active, Suspended, Archived is 400", 400,
            lambda: client.tenant.update_org_status(oid, {"status": "Paused"}))
    client.tenant.update_org_status(oid, {"status": "Archived"})
    context.refused("tenant: an archived org cannot be reactivated (400)", 400,
            lambda: client.tenant.update_org_status(oid, {"status": "Active"}))

    # Tenant users.
    email = f"cov-{stamp}@example.com"
    user = call("tenant", "create_tenant_user", {"email": email, "externalId": f"cov-tu-{stamp}"},
                expect=lambda u: u["id"].startswith("us-") and u["kind"] == "TenantUser" and u["username"] == email
                and u["isSSORequired"] is False and u["permissions"] == [])
    uid = user.get("id", NULL_USER)
    context.refused("tenant: a second tenant user with the same email is 409", 409, lambda: client.tenant.create_tenant_user({"email": email}))
    call("tenant", "update_tenant_user", uid, {"isSSORequired": True}, expect=lambda r: r == {})
    call("tenant", "get_tenant_user", uid, expect=lambda u: u["isSSORequired"] is True and u["externalId"] == f"cov-tu-{stamp}")
    call("tenant", "list_tenant_users", {"limit": 50}, expect=lambda page: uid in [u["id"] for u in page["items"]])

    # User groups and members.
    group = call("tenant", "create_tenant_user_group", {"name": "cov-group", "description": "coverage"},
                 expect=lambda g: g["id"].startswith("ug-") and g["memberCount"] == 0 and g["description"] == "coverage")
    gid = group.get("id", "ug-missing")
    call("tenant", "get_tenant_user_group", gid, expect=lambda g: g["name"] == "cov-group")
    call("tenant", "update_tenant_user_group", gid, {"name": "cov-group-2", "description": None},
         expect=lambda g: g["name"] == "cov-group-2" and "description" not in g)
    call("tenant", "list_tenant_user_groups", expect=lambda page: gid in [g["id"] for g in page["items"]])
    call("tenant", "add_tenant_user_group_members", gid, {"userIds": [uid]}, expect=lambda r: r == {})
    call("tenant", "list_tenant_user_group_members", gid, expect=lambda page: [m["userId"] for m in page["items"]] == [uid])
    context.check("a group counts its members", client.tenant.get_tenant_user_group(gid)["memberCount"] == 1)
    context.refused("tenant: an unknown user cannot join a group (404)", 404,
            lambda: client.tenant.add_tenant_user_group_members(gid, {"userIds": [NULL_USER]}))
    call("tenant", "remove_tenant_user_group_members", gid, {"userIds": [uid]}, expect=lambda r: r == {})
    context.check("a removed member leaves the group", client.tenant.list_tenant_user_group_members(gid)["items"] == [])

    # Tenant permissions.
    permissions = call("tenant", "list_tenant_permissions", expect=lambda page: {p["name"] for p in page["items"]} == {"TenantAdmin", "TenantReadOnly"})
    pid = next((p["id"] for p in permissions.get("items", []) if p["name"] == "TenantAdmin"), "pm-missing")
    call("tenant", "get_tenant_permission", pid, expect=lambda p: p["status"] == "Active" and p["isImmutable"] is True and "Tenant:Orgs:Create" in p["operations"])
    call("tenant", "assign_tenant_permission", pid, {"identityId": uid}, expect=lambda r: r is None)
    context.check("an assigned tenant permission shows on the user",
                  [p["permissionId"] for p in client.tenant.get_tenant_user(uid)["permissions"]] == [pid])
    context.refused("tenant: assigning a tenant permission twice is 409", 409,
            lambda: client.tenant.assign_tenant_permission(pid, {"identityId": uid}))
    call("tenant", "revoke_tenant_permission", pid, {"identityId": uid}, expect=lambda r: r is None)
    context.refused("tenant: revoking an assignment that does not exist is 404", 404,
            lambda: client.tenant.revoke_tenant_permission(pid, {"identityId": uid}))

    call("tenant", "delete_tenant_user_group", gid, expect=lambda r: r == {})
    call("tenant", "delete_tenant_user", uid, expect=lambda r: r == {})
    context.refused("tenant: a deleted tenant user is 404", 404, lambda: client.tenant.get_tenant_user(uid))
