#!/usr/bin/env python3
"""Second peer for the queue-throughput row: procrastinate (PyPI) draining N no-op jobs on the same PostgreSQL, with
its own batch enqueue (`batch_defer_async`) and worker (`run_worker_async(concurrency=…, wait=False)`, which returns
once the queue is empty). Runs in its own fresh database because procrastinate installs its schema in `public`.
Finished jobs are kept, as ours are. Prints one line like dfns-bench queue."""
import argparse
import asyncio
import logging
import time

import asyncpg
import procrastinate


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dsn", required=True, help="the cluster's admin database; the peer makes its own next to it")
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    admin = await asyncpg.connect(args.dsn)
    await admin.execute("DROP DATABASE IF EXISTS procrastinate_bench WITH (FORCE)")
    await admin.execute("CREATE DATABASE procrastinate_bench")
    await admin.close()
    dsn = args.dsn.rsplit("/", 1)[0] + "/procrastinate_bench"

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    done = 0

    @app.task(name="noop")
    async def noop() -> None:
        nonlocal done
        done += 1

    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        start = time.perf_counter()
        for offset in range(0, args.jobs, 5_000):
            await noop.batch_defer_async(*[{}] * min(5_000, args.jobs - offset))
        enqueue_seconds = time.perf_counter() - start
        start = time.perf_counter()
        await app.run_worker_async(concurrency=args.concurrency, wait=False, install_signal_handlers=False)
        seconds = time.perf_counter() - start
    print(f"procrastinate jobs={args.jobs} concurrency={args.concurrency} succeeded={done} "
          f"seconds={seconds:.3f} jobs_per_s={done / seconds:.0f} enqueue_seconds={enqueue_seconds:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
