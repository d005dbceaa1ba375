"""The signers client: Dfns's signer cluster, and the key stores' offline fleet operations (an input is created, the
offline fleet's output archive is uploaded, one operation at a time per store, cancel ends the pending one)."""
import hashlib
import json


def tampered_upload(client, path, body, file):
    """An upload as the official SDK sends it (its own signing and transport), but whose signed `fileChecksum` is the
    SHA-256 of other bytes than the file part's: the SDK cannot send one, a tampered or corrupted upload can."""
    http = client.signers._http  # noqa: SLF001 - the SDK's transport, to send what its public methods never would
    data = dict(body, fileChecksum=hashlib.sha256(file + b"tampered").hexdigest())
    headers = http._build_headers(http._get_user_action_token("POST", path, data))  # noqa: SLF001
    headers.pop("Content-Type", None)
    return http._client.request("POST", http._build_url(path, None, None), headers=headers,  # noqa: SLF001
                                data={"data": json.dumps(data, separators=(",", ":"))}, files={"file": ("upload.bin", file)})


def run(context):
    call, client = context.call, context.client

    def store(store_id):
        return next(s for s in client.signers.list_key_stores()["items"] if s["id"] == store_id)

    def output(item, **extra):
        """The offline fleet's outputJson for the store's pending operation."""
        out = {"type": "fleet-output", "version": 1, "status": "success", "org_id": item["orgId"], "keystore_id": item["id"],
               "group_id": item["fleetOperation"]["groupId"], "fleet_label": "cov", "online_domain": "api.dfns.io",
               "outputs": {}, "governance": {}}
        if item.get("fleetId"):
            out["fleet_id"] = item["fleetId"]
        out.update(extra)
        return out

    refused = context.refused

    call("signers", "list_signers", expect=lambda r: [s["signerId"] for s in r["clusters"][0]["signers"]]
         == [f"signer-{i}" for i in range(1, 6)] and all(s["encryptionKey"] for s in r["clusters"][0]["signers"]))
    stores = call("signers", "list_key_stores", expect=lambda r: [(s["name"], s["status"], s["kind"], s["fleetOperation"]) for s in r["items"]]
                  == [("Primary HSM fleet", "Active", "Hsm", None), ("Standby HSM fleet", "Uninitialized", "Hsm", None)])
    items = stores.get("items") or [{"id": "ks-missing"}, {"id": "ks-missing"}]
    primary, standby = items[0]["id"], items[1]["id"]

    refused("a genesis input needs its counts", 400,
            lambda: client.signers.create_genesis_input(standby, {"kind": "Genesis", "hsmGenesisSerial": "hsm-1"}))

    # Genesis of the standby store: the input opens an Initialized group; a second input waits for it (409).
    call("signers", "create_genesis_input", standby, {"kind": "Genesis", "numProvisioners": 3, "numOperational": 2, "numSecp256k1": 4,
                                                      "numEd25519": 2, "hsmGenesisSerial": "hsm-9001", "macGenesisSerial": "mac-9001",
                                                      "hsmGenesisFirmwareVersion": "2.4"},
         expect=lambda r: r is None and store(standby)["fleetOperation"]["status"] == "Initialized")
    refused("a key store runs one fleet operation at a time", 409,
            lambda: client.signers.create_genesis_input(standby, {"kind": "Genesis", "numProvisioners": 1, "numOperational": 1,
                                                                  "numSecp256k1": 1, "numEd25519": 1, "hsmGenesisSerial": "hsm-9002"}))
    refused("an output of another kind than the pending operation is refused", 400,
            lambda: client.signers.submit_clone_output(standby, {"outputJson": output(store(standby))}, b"clone"))
    refused("an output for another group is refused", 400,
            lambda: client.signers.submit_genesis_output(standby, {"outputJson": output(store(standby), group_id="fog-other")}, b"x"))
    call("signers", "submit_genesis_output", standby, {"outputJson": output(store(standby), fleet_id="fl-cov")}, b"genesis archive",
         expect=lambda r: "message" in r and (lambda s: (s["status"], s["fleetId"], s["hsmSerials"], s["keys"], s["fleetOperation"]["status"])
                                              == ("Active", "fl-cov", ["hsm-9001"], {"secp256k1": 4, "ed25519": 2}, "Approved"))(store(standby)))

    # The primary store's operations, each input then its output.
    call("signers", "create_add_mac_user_input", primary, {"kind": "AddMacUser", "macTargetSerial": "mac-2002", "hsmTargetSerial": "hsm-1001"},
         expect=lambda r: r is None and store(primary)["fleetOperation"]["operations"][0]["kind"] == "AddMacUser")
    call("signers", "submit_add_mac_user_output", primary, {"outputJson": output(store(primary))}, b"mac archive",
         expect=lambda r: "message" in r and store(primary)["macSerials"] == ["mac-2001", "mac-2002"])
    call("signers", "create_add_provisioner_input", primary, {"kind": "AddProvisioner", "yubikeySerial": "yk-3004", "hsmTargetSerial": "hsm-1002"},
         expect=lambda r: r is None)
    call("signers", "submit_add_provisioner_output", primary, {"outputJson": output(store(primary))}, b"provisioner archive",
         expect=lambda r: "message" in r and (lambda s: (s["yubikeySerials"][-1], s["numProvisioners"]) == ("yk-3004", 4))(store(primary)))
    call("signers", "create_clone_input", primary, {"kind": "Clone", "hsmSourceSerial": "hsm-1001", "hsmTargetSerial": "hsm-1003"},
         expect=lambda r: r is None)
    call("signers", "submit_clone_output", primary, {"outputJson": output(store(primary))}, b"clone archive",
         expect=lambda r: "message" in r and store(primary)["hsmSerials"] == ["hsm-1001", "hsm-1002", "hsm-1003"])
    call("signers", "create_key_harvest_input", primary, {"kind": "KeyHarvest", "hsmTargetSerial": "hsm-1003", "macTargetSerial": "mac-2001",
                                                           "macTargetUsername": "operator", "numSecp256k1": 5},
         expect=lambda r: r is None)
    call("signers", "submit_key_harvest_output", primary, {"outputJson": output(store(primary))}, b"harvest archive",
         expect=lambda r: "message" in r and store(primary)["keys"] == {"secp256k1": 15, "ed25519": 10})
    call("signers", "create_onchain_sign_input", primary, {}, expect=lambda r: r is None)
    tampered = tampered_upload(client, f"/key-stores/{primary}/onchain-sign/output", {"outputJson": output(store(primary))}, b"archive")
    context.check("an upload whose fileChecksum is not the file's SHA-256 is refused", tampered.status_code == 400
                  and "fileChecksum" in tampered.text, f"{tampered.status_code} {tampered.text[:200]}")
    call("signers", "submit_onchain_sign_output", primary, {"outputJson": output(store(primary))}, b"onchain archive",
         expect=lambda r: r == {"status": "success"})
    call("signers", "create_proof_of_control_input", primary, {"walletIds": [context.wallet_id]}, expect=lambda r: r is None)
    call("signers", "submit_proof_of_control_output", primary,
         {"outputJson": output(store(primary), outputs={context.wallet_id: {"signature": "0x00"}})}, b"proof archive",
         expect=lambda r: r == {"status": "success"})

    # Cancel ends the pending operation; a canceled one cannot be canceled again, nor its output submitted.
    client.signers.create_proof_of_control_input(primary, {"walletIds": [context.wallet_id]})
    group = store(primary)["fleetOperation"]["groupId"]
    call("signers", "cancel_fleet_operation", primary, {"groupId": group, "reason": "operator unavailable"},
         expect=lambda g: (g["groupId"], g["storeId"], g["status"], g["reason"]) == (group, primary, "Canceled", "operator unavailable")
         and g["canceledBy"] and g["dateCanceled"] and store(primary)["fleetOperation"]["status"] == "Canceled")
    refused("a canceled fleet operation cannot be canceled again", 400,
            lambda: client.signers.cancel_fleet_operation(primary, {"groupId": group}))
    refused("no output without a pending operation", 400,
            lambda: client.signers.submit_proof_of_control_output(primary, {"outputJson": output(store(primary))}, b"late"))
    refused("an unknown key store is a 404", 404, lambda: client.signers.create_onchain_sign_input("ks-00000-00000-0000000000000000", {}))
    refused("a proof of control names wallets of the organisation", 404,
            lambda: client.signers.create_proof_of_control_input(primary, {"walletIds": ["wa-00000-00000-0000000000000000"]}))
