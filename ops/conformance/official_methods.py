#!/usr/bin/env python3
"""Every method of the official Dfns Python SDK, read from the installed dfns-sdk's generated clients: domain, method,
HTTP method, path template, whether it is signed, whether it is paginated, and its Swift request in DfnsSDK's catalogs
(`Catalog.method`, found in Sources/DfnsSDK/Requests; `-` while there is none).

Writes them as tab-separated lines to stdout (or checks a file with --check FILE and exits 1 when it differs), so
docs/api-coverage/official-methods.tsv can drift neither from the SDK it names nor from the Swift catalogs.

Usage: official_methods.py [--check FILE]
"""
import argparse
import importlib.metadata
import pathlib
import re
import sys

import dfns_sdk

GENERATED = pathlib.Path(dfns_sdk.__file__).parent / "generated"
REQUESTS = pathlib.Path(__file__).resolve().parents[2] / "Sources" / "DfnsSDK" / "Requests"


def domains():
    return sorted(path.name for path in GENERATED.iterdir() if (path / "client.py").exists())


def catalog(domain):
    """`fee_sponsors` → `DfnsFeeSponsors`."""
    return "Dfns" + "".join(word.capitalize() for word in domain.split("_"))


def camel(name):
    words = name.split("_")
    return words[0] + "".join(word.capitalize() for word in words[1:])


def paginated_queries(domain):
    """The query types of `domain` that take a pagination token."""
    source = (GENERATED / domain / "types.py").read_text()
    return {match.group(1) for match in re.finditer(r"\nclass (\w+Query)\(TypedDict[^)]*\):(.*?)(?=\nclass |\Z)", source, re.S)
            if re.search(r"\n\s+pagination_token:", match.group(2))}


def swift_name(source, domain, name):
    """`Catalog.method` when the catalog's `source` declares the method, else `-`."""
    return f"{catalog(domain)}.{camel(name)}" if re.search(rf"static func {camel(name)}\(", source) else "-"


def methods():
    rows = []
    for domain in domains():
        source = (GENERATED / domain / "client.py").read_text()
        sync_client = source.split("\nclass ")[1]  # the synchronous client; the async one repeats it
        paginated = paginated_queries(domain)
        swift_path = REQUESTS / f"{catalog(domain)}.swift"
        swift = swift_path.read_text() if swift_path.exists() else ""
        for chunk in re.split(r"\n    def ", sync_client)[1:]:
            name = chunk.split("(")[0]
            if name.startswith("_"):
                continue
            call = re.search(r'method="(\w+)",\s*path="([^"]+)",.*?requires_signature=(\w+)', chunk, re.S)
            query = re.search(r"query: T\.(\w+)", chunk.split(")")[0] + ")")
            if call:
                rows.append((domain, name, call.group(1), call.group(2), "signed" if call.group(3) == "True" else "unsigned",
                             "paginated" if query and query.group(1) in paginated else "-", swift_name(swift, domain, name)))
            else:
                alias = re.search(r"return self\.(\w+)\(", chunk)
                rows.append((domain, name, "alias", alias.group(1) if alias else "?", "-", "-", swift_name(swift, domain, name)))
    return rows


def complete_domains(rows=None):
    """The clients every method of which has a Swift request: DfnsSDK, the simulator and the conformance check serve
    such a client whole (a client lands with its catalog, its routes and its tests together)."""
    rows = rows if rows is not None else methods()
    return sorted({row[0] for row in rows} - {row[0] for row in rows if row[6] == "-"})


def render():
    version = importlib.metadata.version("dfns-sdk")
    lines = [f"# dfns-sdk {version}: domain, method, HTTP method (or alias), path (or aliased method), signing, pagination, Swift request"]
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
            print(f"{arguments.check} differs from the installed dfns-sdk or the Swift catalogs; regenerate it with "
                  f"ops/conformance/official_methods.py > {arguments.check}")
            sys.exit(1)
        print(f"{arguments.check} matches the installed dfns-sdk ({len(text.splitlines()) - 1} methods)")
        return
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
