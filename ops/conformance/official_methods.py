#!/usr/bin/env python3
"""The methods of the official Dfns Python SDK's wallets, keys, policies, webhooks and networks clients, read from the
installed dfns-sdk's generated sources: domain, method, HTTP method, path template and whether it is signed.

Writes them as tab-separated lines to stdout (or checks a file with --check FILE and exits 1 when it differs), so
docs/api-coverage/official-methods.tsv cannot drift from the SDK it names.

Usage: official_methods.py [--check FILE]
"""
import argparse
import importlib.metadata
import pathlib
import re
import sys

import dfns_sdk

DOMAINS = ["wallets", "keys", "policies", "webhooks", "networks"]


def methods():
    root = pathlib.Path(dfns_sdk.__file__).parent / "generated"
    rows = []
    for domain in DOMAINS:
        source = (root / domain / "client.py").read_text()
        sync_client = source.split("\nclass ")[1]  # the synchronous client; the async one repeats it
        for chunk in re.split(r"\n    def ", sync_client)[1:]:
            name = chunk.split("(")[0]
            if name.startswith("_"):
                continue
            call = re.search(r'method="(\w+)",\s*path="([^"]+)",.*?requires_signature=(\w+)', chunk, re.S)
            if call:
                rows.append((domain, name, call.group(1), call.group(2), "signed" if call.group(3) == "True" else "unsigned"))
            else:
                alias = re.search(r"return self\.(\w+)\(", chunk)
                rows.append((domain, name, "alias", alias.group(1) if alias else "?", "-"))
    return rows


def render():
    version = importlib.metadata.version("dfns-sdk")
    lines = [f"# dfns-sdk {version}: domain, method, HTTP method (or alias), path (or aliased method), signing"]
    lines += ["\t".join(row) for row in methods()]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check")
    arguments = parser.parse_args()
    text = render()
    if arguments.check:
        current = pathlib.Path(arguments.check).read_text()
        if current != text:
            print(f"{arguments.check} differs from the installed dfns-sdk; regenerate it with ops/conformance/official_methods.py > {arguments.check}")
            sys.exit(1)
        print(f"{arguments.check} matches the installed dfns-sdk ({len(text.splitlines()) - 1} methods)")
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
