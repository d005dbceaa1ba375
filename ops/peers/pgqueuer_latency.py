#!/usr/bin/env python3
"""Peer for the pickup-latency row: pgqueuer (PyPI) as an idle worker while a job is enqueued every 10 ms; measures
the job's `created` (database time of the INSERT) to handler start, as `dfns-bench latency` does."""
import argparse
import asyncio
import time
from datetime import datetime, timedelta, timezone

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager, Queries

from pgqueuer_schema import fresh_queries


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--interval-ms", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args()

    worker_connection, queries = await fresh_queries(args.dsn)
    manager = QueueManager(queries)
    samples: list[float] = []

    @manager.entrypoint("probe")
    async def probe(job) -> None:
        samples.append((datetime.now(timezone.utc) - job.created).total_seconds())

    runner = asyncio.create_task(manager.run(batch_size=8, max_concurrent_tasks=16, dequeue_timeout=timedelta(seconds=5)))
    await asyncio.sleep(1.5)
    inserter = Queries(AsyncpgDriver(await asyncpg.connect(args.dsn)))
    inserts = args.seconds * 1000 // args.interval_ms
    next_time = time.monotonic()
    for _ in range(inserts):
        next_time += args.interval_ms / 1000
        await inserter.enqueue("probe", None)
        await asyncio.sleep(max(0.0, next_time - time.monotonic()))
    await asyncio.sleep(1)
    manager.shutdown.set()
    await runner
    samples.sort()
    pick = lambda p: samples[min(len(samples) - 1, int(len(samples) * p))] * 1000
    print(f"pgqueuer-latency inserts={inserts} picked={len(samples)} p50_ms={pick(0.5):.2f} p99_ms={pick(0.99):.2f} max_ms={samples[-1] * 1000:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
