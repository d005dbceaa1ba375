#!/usr/bin/env python3
"""Peer for the signed-writes row: the official Dfns Python SDK creating wallets against the same simulator,
at the same client concurrency (threads), one DfnsClient per thread as its docs suggest."""
import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from dfns_sdk import DfnsClient, DfnsClientConfig, KeySigner


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--auth-token", default="sim-token")
    parser.add_argument("--credential-id", required=True)
    parser.add_argument("--private-key", required=True)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    pem = open(args.private_key).read()

    def worker(count):
        client = DfnsClient(DfnsClientConfig(auth_token=args.auth_token, base_url=args.url,
                                             signer=KeySigner(credential_id=args.credential_id, private_key=pem)))
        for _ in range(count):
            client.wallets.create_wallet({"network": "EthereumSepolia"})

    shares = [args.calls // args.concurrency + (1 if i < args.calls % args.concurrency else 0) for i in range(args.concurrency)]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(worker, shares))
    elapsed = time.perf_counter() - start
    print(f"python-sdk-writes calls={args.calls} concurrency={args.concurrency} seconds={elapsed:.3f} ops_per_s={args.calls / elapsed:.1f}")


if __name__ == "__main__":
    main()
