"""Generated bad job payloads, each with the one field at fault, for the bad-input scenario.

Every case is (kind, payload JSON text, expectation): "insert" when the database must refuse the INSERT, otherwise
the field that the `invalid_payload` message must name (`payload.<field>`).
"""
import json
import random
import re

EVM_ADDRESS = "0x" + "ab" * 20
HUGE = "x" * 100_000
SQL_TEXT = ["Ethereum'; DROP TABLE dfns_worker.jobs; --", "1 OR 1=1", "$$; SELECT pg_sleep(10); $$",
            "Robert'); DELETE FROM dfns_worker.jobs;--", "\\x27 UNION SELECT * FROM pg_authid --"]
CONTROL = ["\u0000", "a\u0007b", "line\nbreak", "tab\there", "\u001b[31mred", "del\u007f"]
UNICODE = ["Éthereum", "Ethereum\u200b", "イーサリアム", "🚀", "Ethe\u0301reum", "\u202eEthereum"]


def nested(depth):
    """A value nested `depth` levels deep (objects and arrays alternating), as a placeholder `dumps` expands:
    Python's own encoder stops at about 1,000 levels."""
    return f"@@nested:{depth}@@"


def dumps(payload):
    text = json.dumps(payload)
    for depth in set(re.findall(r'"@@nested:([0-9]+)@@"', text)):
        levels = int(depth)
        opening = "".join('{"a": ' if index % 2 else "[" for index in range(levels))
        closing = "".join("}" if index % 2 else "]" for index in reversed(range(levels)))
        text = text.replace(f'"@@nested:{depth}@@"', opening + '"x"' + closing)
    return text


WRONG_TYPES = [123, -1, 1.5, 1e308, True, False, [], ["Ethereum"], {}, {"a": 1}, nested(100)]
EMPTYISH = ["", HUGE]


def wallet(**fields):
    base = {"network": "EthereumSepolia", "name": "chaos"}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not _MISSING}


def transfer(wallet_id, **fields):
    base = {"walletId": wallet_id, "kind": "Native", "to": EVM_ADDRESS, "amount": "1000", "waitFor": "submitted"}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not _MISSING}


_MISSING = object()


def cases(wallet_id, count, seed=7):
    """At least `count` bad cases; deterministic for a seed."""
    generated = []

    def accepted(kind, payload, field):
        generated.append((kind, dumps(payload), field))

    def refused(kind, text):
        generated.append((kind, text, "insert"))

    # The database refuses what is not a JSON object, malformed JSON and unknown kinds.
    for text in ["[]", "[{\"network\":\"EthereumSepolia\"}]", "\"EthereumSepolia\"", "1", "-1.5e3", "null", "true",
                 "{network: EthereumSepolia}", "", "{\"network\":", "{'network':'Bitcoin'}"]:
        refused("create_wallet", text)
        refused("transfer", text)
    for kind in ["create_wallets", "Transfer", "", " transfer", "transfer; DROP TABLE dfns_worker.jobs", "🚀", "x" * 300]:
        refused(kind, dumps(wallet()))

    # create_wallet, one bad field at a time.
    accepted("create_wallet", wallet(network=_MISSING), "network")
    accepted("create_wallet", wallet(network=None), "network")
    for value in WRONG_TYPES + EMPTYISH + SQL_TEXT + CONTROL + UNICODE + ["1Ethereum", "Ethe reum", "x" * 65]:
        accepted("create_wallet", wallet(network=value), "network")
    for value in WRONG_TYPES + EMPTYISH + CONTROL + ["n" * 201, nested(400), nested(510), nested(600), nested(5000)]:
        accepted("create_wallet", wallet(name=value), "name")
    for value in WRONG_TYPES + EMPTYISH + CONTROL + ["e" * 257]:
        accepted("create_wallet", wallet(externalId=value), "externalId")
    for value in ["tag", 1, {}, [1], [""], ["t" * 129], ["ok", None], ["a\u0000"], [["nested"]], ["t"] * 51]:
        accepted("create_wallet", wallet(tags=value), "tags")
    for field in ["id", "Network", "network ", "signingKey", "__proto__", "'; DROP TABLE x; --", "ünïcode"]:
        accepted("create_wallet", wallet(**{field: "x"}), field)

    # transfer, one bad field at a time.
    for field in ["walletId", "kind", "to", "amount"]:
        accepted("transfer", transfer(wallet_id, **{field: _MISSING}), field)
    for value in WRONG_TYPES + EMPTYISH + SQL_TEXT + CONTROL + ["wa/../../wallets", "wa?x=1", "w" * 65]:
        accepted("transfer", transfer(wallet_id, walletId=value), "walletId")
    for value in WRONG_TYPES + EMPTYISH + ["native", "NATIVE", "Native ", "Bitcoin", "Erc20;", "🚀"]:
        accepted("transfer", transfer(wallet_id, kind=value), "kind")
    for value in WRONG_TYPES + EMPTYISH + SQL_TEXT + CONTROL + UNICODE + ["0x ab", " " + EVM_ADDRESS, "a" * 257]:
        accepted("transfer", transfer(wallet_id, to=value), "to")
    amounts = ["-1", "0", "00", "1.5", "1e18", "1E3", "0x10", " 1", "1 ", "+1", "1_000", "١٢٣", "1,000", "NaN",
               "Infinity", "9" * 79, "1" + "0" * 100, "12a", "--1", "1-", "0.0", "", HUGE]
    for value in amounts + [1000, -1, 1.5, 1e400 if False else 1e308, 10**40, True, None, [], {"value": "1"}]:
        accepted("transfer", transfer(wallet_id, amount=value), "amount")
    for value in WRONG_TYPES + EMPTYISH + ["Submitted", "final", "confirmed ", "pending"]:
        accepted("transfer", transfer(wallet_id, waitFor=value), "waitFor")
    for value in WRONG_TYPES + ["", "e" * 257] + CONTROL:
        accepted("transfer", transfer(wallet_id, externalId=value), "externalId")
    for value in ["slow", "FAST", "", 1, None if False else [], "Standard "]:
        accepted("transfer", transfer(wallet_id, priority=value), "priority")
    for value in [1, [], {}, "m" * 1025, nested(2000)] + CONTROL:
        accepted("transfer", transfer(wallet_id, memo=value), "memo")
    for field in ["from", "network", "contract", "tokenId", "fee", "'; DROP TABLE x; --", "ünïcode", "amount "]:
        accepted("transfer", transfer(wallet_id, **{field: "1"}), field)
    for kind, required in [("Erc20", "contract"), ("Spl", "mint"), ("Trc10", "tokenId"), ("Asa", "assetId"),
                           ("Sep41", "issuer"), ("Tep74", "master")]:
        accepted("transfer", transfer(wallet_id, kind=kind), required)

    # Random single-field mutations of valid payloads until `count` is reached.
    generator = random.Random(seed)
    pool = WRONG_TYPES + EMPTYISH + SQL_TEXT + CONTROL
    while len(generated) < count:
        if generator.random() < 0.5:
            field = generator.choice(["network", "name", "externalId"])
            value = generator.choice(pool)
            printable = isinstance(value, str) and 0 < len(value) <= 200 and all(" " <= c != "\u007f" for c in value)
            if field != "network" and printable and not value.startswith("@@nested"):
                continue  # any printable text is a valid name or externalId
            accepted("create_wallet", wallet(**{field: value}), field)
        else:
            field = generator.choice(["walletId", "to", "amount", "waitFor"])
            value = generator.choice(pool + amounts if field == "amount" else pool)
            accepted("transfer", transfer(wallet_id, **{field: value}), field)
    return generated


def valid_jobs(wallet_id, count):
    """Valid jobs whose text looks hostile: they must succeed and their values must round-trip unchanged."""
    jobs = []
    names = SQL_TEXT + UNICODE + ["plain", "quote ' and \" and \\ backslash", "percent %s %d {}"]
    for index in range(count):
        if index % 2 == 0:
            jobs.append(("create_wallet", json.dumps(wallet(name=names[index % len(names)], tags=["chaos", names[index % len(names)][:100]]))))
        else:
            jobs.append(("transfer", json.dumps(transfer(wallet_id, memo=names[index % len(names)]))))
    return jobs
