#!/usr/bin/env python3
"""The methods of the official Go and TypeScript SDKs, read from git snapshots of their repositories, each matched by
route (HTTP method and path, ids as `{}`) with the official Python SDK's methods (official-methods.tsv) or with the
Swift requests DfnsSDK has beyond them (SWIFT_BEYOND_PYTHON).

Writes docs/api-coverage/other-sdks.tsv: sdk, its source (version, commit, date), its client, method, HTTP method,
path, the Python method of the same route (`domain.method`) or `-`, and for a route the Python SDK lacks, the Swift
request of it or `-` (a route the Python SDK has is covered when its Python method is, as official-methods.tsv says).
The snapshots are not on a fresh machine, so this runs by hand and its output is committed; APICoverageTests reads it
for the README's table by domain.

Usage: other_sdks.py --go GIT_DIR --ts GIT_DIR > docs/api-coverage/other-sdks.tsv
  (e.g. the search tool's `fetch github:dfns/dfns-sdk-go` puts one under /work/.mirror/dfns+dfns-sdk-go/repo)
"""
import argparse
import pathlib
import re
import subprocess
import sys

FACTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "api-coverage" / "official-methods.tsv"

# Routes the TypeScript or Go SDK has and the Python SDK does not, that DfnsSDK covers (issue 27: the TypeScript SDK's
# wallet-level key methods and networks.readContract; the Go SDK's vaults.Unquarantine).
SWIFT_BEYOND_PYTHON = {
    ("POST", "/wallets/{}/delegate"): "DfnsWallets.delegateWallet",
    ("POST", "/wallets/{}/export"): "DfnsWallets.exportWallet",
    ("POST", "/wallets/{}/signatures"): "DfnsWallets.generateSignature",
    ("GET", "/wallets/{}/signatures/{}"): "DfnsWallets.getSignature",
    ("GET", "/wallets/{}/signatures"): "DfnsWallets.listSignatures",
    ("POST", "/networks/read-contract"): "DfnsNetworks.readContract",
    ("DELETE", "/vaults/{}/quarantines/{}"): "DfnsVaults.unquarantine",
    ("POST", "/auth/registration/delegated/restart"): "DfnsAuth.recreateDelegatedRegistrationChallenge",
}


def git(git_dir, *args):
    return subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True, text=True, check=True).stdout


def normalize(path):
    return re.sub(r"\{[^}]*\}|:[A-Za-z]+", "{}", path)


def python_routes():
    routes = {}
    for line in FACTS.read_text().splitlines():
        if line.startswith("#"):
            continue
        domain, method, http, path = line.split("\t")[:4]
        if http != "alias":
            routes[(http, normalize(path))] = f"{domain}.{method}"
    return routes


def go_methods(git_dir):
    """(client, method, HTTP method, path) of every method of the Go SDK's generated clients."""
    files = [name for name in git(git_dir, "ls-tree", "-r", "--name-only", "HEAD").split() if re.fullmatch(r"[a-z]+/client\.go", name)]
    for name in sorted(files):
        source = git(git_dir, "show", f"HEAD:{name}")
        for chunk in source.split("\nfunc (c *")[1:]:
            method = re.match(r"\w+\) (\w+)\(", chunk)
            path = re.search(r'\n\tpath := ("[^\n]*)', chunk)
            verb = re.search(r'c\.client\.Do\w*\(ctx, "(\w+)"', chunk)
            if method and path and verb:
                template = "".join(re.findall(r'"([^"]*)"|url\.PathEscape\([^)]*\)', path.group(1).replace('url.PathEscape(', '"{}" url.PathEscape(')))
                yield name.split("/")[0], method.group(1), verb.group(1), template


def ts_methods(git_dir):
    """(client, method, HTTP method, path) of every method of the TypeScript SDK's generated clients."""
    files = [name for name in git(git_dir, "ls-tree", "-r", "--name-only", "HEAD").split()
             if re.fullmatch(r"packages/sdk/generated/[a-zA-Z]+/client\.ts", name)]
    for name in sorted(files):
        source = git(git_dir, "show", f"HEAD:{name}")
        for chunk in re.split(r"\n  async ", source)[1:]:
            method = re.match(r"(\w+)\(", chunk)
            path = re.search(r"buildPathAndQuery\('([^']+)'", chunk)
            verb = re.search(r"method: '(\w+)'", chunk)
            if method and path and verb:
                yield name.split("/")[3], method.group(1), verb.group(1), path.group(1)


def source_of(git_dir, package):
    described = git(git_dir, "describe", "--tags", "--always", "HEAD").strip()
    date = git(git_dir, "log", "-1", "--format=%cs", "HEAD").strip()
    return f"{package} {described} ({date})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--go", required=True)
    parser.add_argument("--ts", required=True)
    arguments = parser.parse_args()
    routes = python_routes()
    lines = ["# sdk, source, client, method, HTTP method, path, Python method of the route, Swift request of a route Python lacks"]
    for sdk, git_dir, package, methods in (("go", arguments.go, "dfns-sdk-go", go_methods), ("typescript", arguments.ts, "@dfns/sdk", ts_methods)):
        source = source_of(git_dir, package)
        for client, method, verb, path in methods(git_dir):
            key = (verb, normalize(path))
            python = routes.get(key, "-")
            swift = SWIFT_BEYOND_PYTHON.get(key, "-") if python == "-" else "-"
            lines.append("\t".join([sdk, source, client, method, verb, normalize(path), python, swift]))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
