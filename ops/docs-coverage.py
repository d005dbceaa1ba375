#!/usr/bin/env python3
"""Fails when a public symbol of a module has no documentation comment.

Reads the symbol graph swift-docc-plugin extracted (`<Module>.symbols.json`) and lists every public symbol declared in
the module's own sources that has no doc comment, except those that implement a protocol requirement (DocC shows the
protocol's documentation for them: `init(from:)`, `description`, `hash(into:)`…).

Usage: docs-coverage.py SYMBOLS_JSON SOURCE_DIR
"""
import json
import sys


def main():
    graph_path, source_dir = sys.argv[1], sys.argv[2].rstrip("/") + "/"
    graph = json.load(open(graph_path))
    implements = {r["source"] for r in graph["relationships"] if r.get("sourceOrigin")}
    implements |= {r["source"] for r in graph["relationships"] if r["kind"] in ("defaultImplementationOf", "overrides")}
    missing = []
    for symbol in graph["symbols"]:
        location = symbol.get("location", {}).get("uri", "")
        if symbol.get("accessLevel") != "public" or source_dir not in location:
            continue
        if symbol["identifier"]["precise"] in implements or (symbol.get("docComment") or {}).get("lines"):
            continue
        file = location.split(source_dir, 1)[1]
        line = symbol["location"]["position"]["line"] + 1
        missing.append(f"{file}:{line}: {'.'.join(symbol['pathComponents'])} ({symbol['kind']['displayName']})")
    for entry in sorted(missing):
        print(f"undocumented public symbol: {entry}")
    print(f"{len(missing)} undocumented public symbols")
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
