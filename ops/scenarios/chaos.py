#!/usr/bin/env python3
"""Chaos scenarios: the worker's promises under the failures that happen in production.

Each scenario runs real `dfns-worker` processes against a real PostgreSQL and the simulator over HTTP, injects its
failure, then checks that every job is terminal, none was lost, and, through the simulator's own counters, that no
wallet or transfer was created twice. Every scenario runs with a canary auth token and private key; at the end the
logs, job rows, metrics and error output are searched for them. Prints one figure line per scenario and a markdown
table; exits 1 when a promise breaks.

Usage: chaos.py --binary BIN --pg-bin DIR --pg-data DIR [--quick] [--only NAME ...] [--report FILE]
(DATABASE_URL names the cluster's admin database; ops/chaos sets everything up.)
"""
import argparse
import asyncio
import base64
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time

import asyncpg

import badinput

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import end_users  # noqa: E402  (ops/end_users.py: service account, end users, their passkeys)
from harness import (Cluster, ScenarioFailure, Secrets, Simulator, TcpProxy, WorkerProcess, require, run_command,
                     scan_rows, verify, wait_until_settled, worker_env)

NETWORKS = ["EthereumSepolia", "Solana", "Bitcoin", "Polygon", "Tron"]
EVM_ADDRESS = "0x" + "cd" * 20
CLAIM_AUDIT = """
CREATE TABLE public.chaos_claims (job_id bigint NOT NULL, worker_id text NOT NULL, at timestamptz NOT NULL);
CREATE FUNCTION public.chaos_record_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.chaos_claims VALUES (NEW.id, NEW.worker_id, clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER chaos_claims AFTER UPDATE OF worker_id ON dfns_worker.jobs FOR EACH ROW
    WHEN (NEW.worker_id IS NOT NULL AND NEW.worker_id IS DISTINCT FROM OLD.worker_id)
    EXECUTE FUNCTION public.chaos_record_claim();
"""


class Run:
    """What every scenario shares: the binary, the cluster, the canary secrets, the logs written so far."""

    def __init__(self, arguments):
        self.binary = arguments.binary
        self.quick = arguments.quick
        self.cluster = Cluster(os.environ["DATABASE_URL"], arguments.pg_bin, arguments.pg_data)
        self.workdir = tempfile.mkdtemp(prefix="dfns-chaos.")
        self.secrets = Secrets(self.binary, self.workdir)
        self.logs = []
        self.metrics = []
        self.leaks = {}
        self.processes = []
        self.workers = []

    def timings(self):
        """Lease and job timeout of the workers. A job whose attempt got no answer waits their sum (the settle window)
        before creating a wallet again; the short form keeps it at 16 s."""
        return (["--lease", "6", "--job-timeout", "10"] if self.quick else ["--job-timeout", "20"]) + ["--auth-probe-interval", "2"]

    def log_path(self, name):
        path = os.path.join(self.workdir, name + ".log")
        self.logs.append(path)
        return path

    def simulator(self, scenario, *extra):
        simulator = Simulator(self.binary, self.secrets, os.path.join(self.workdir, scenario + "-simulator.log"), extra)
        self.processes.append(simulator.process)
        return simulator

    def worker(self, scenario, index, env, *args):
        worker = WorkerProcess(self.binary, env, self.log_path(f"{scenario}-worker{index}"), args)
        self.workers.append(worker)
        return worker

    def stop_leftovers(self):
        """Kills what a failed scenario left running, so the next one starts clean."""
        for process in self.processes + [worker.process for worker in self.workers if worker.process]:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.processes, self.workers = [], []

    async def database(self, scenario, simulator, requests_per_minute):
        """A fresh, migrated database for `scenario`; returns (connection, worker environment)."""
        url = await self.cluster.fresh_database("chaos_" + scenario.replace("-", "_"))
        env = worker_env(url, simulator, self.secrets, requests_per_minute)
        require(run_command(self.binary, ["migrate"], env, self.log_path(scenario + "-migrate")) == 0, "migrate failed")
        connection = await asyncpg.connect(url.split("?")[0])
        return connection, env

    async def setup_wallets(self, scenario, connection, env, count):
        """Source wallets for transfers, made by jobs (so the duplicate checks count them) and drained."""
        await connection.execute(
            "INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'create_wallet', jsonb_build_object('network', $1::text) "
            "FROM generate_series(1, $2)", "EthereumSepolia", count)
        code = run_command(self.binary, ["drain"], env, self.log_path(scenario + "-setup"))
        require(code == 0, f"setup drain exited {code}")
        rows = await connection.fetch("SELECT result->>'id' FROM dfns_worker.jobs WHERE kind = 'create_wallet' AND state = 'succeeded'")
        require(len(rows) == count, f"setup made {len(rows)} of {count} wallets")
        return [row[0] for row in rows]

    async def finish(self, scenario, connection, workers):
        """Scrapes metrics, stops the workers, scans the rows for secrets."""
        for worker in workers:
            if worker.alive():
                self.metrics.append(worker.scrape())
                seconds, code = worker.terminate()
                # Every job is settled, so nothing is in flight: SIGTERM must not wait out the grace period.
                require(code == 0 and seconds < 5, f"an idle worker took {seconds:.1f} s to stop on SIGTERM and exited {code}")
        for leak in await scan_rows(connection, self.secrets):
            self.leaks.setdefault(leak, set()).add(f"{scenario} job rows")
        await connection.close()


async def insert_mixed(connection, wallets, count, confirmed_share=0.2, wallet_share=0.4):
    """`count` jobs: create_wallet on several networks, transfers waiting for submitted or for confirmed."""
    kinds, payloads = [], []
    for index in range(count):
        slot = index % 10
        if slot < wallet_share * 10:
            kinds.append("create_wallet")
            payloads.append(json.dumps({"network": NETWORKS[index % len(NETWORKS)], "name": f"chaos {index}"}))
        else:
            wait_for = "confirmed" if slot >= 10 - confirmed_share * 10 else "submitted"
            kinds.append("transfer")
            payloads.append(json.dumps({"walletId": wallets[index % len(wallets)], "kind": "Native", "to": EVM_ADDRESS,
                                        "amount": str(1000 + index), "waitFor": wait_for}))
    await connection.execute(
        "INSERT INTO dfns_worker.jobs (kind, payload) SELECT k, p::jsonb FROM unnest($1::text[], $2::text[]) AS t(k, p)",
        kinds, payloads)


def stats_faults(stats):
    return (f"{stats['injectedServerErrors']} 5xx, {stats['injectedRateLimits']} 429, "
            f"{stats['lostResponses']} lost responses")


async def crash(run):
    """Three workers drain mixed jobs while one of them is SIGKILLed every few seconds and restarted."""
    jobs, lease, every, kills = (300, 6, 2.0, 3) if run.quick else (5000, 30, 5.0, 10)
    simulator = run.simulator("crash", "--transfer-step-ms", "200")
    connection, env = await run.database("crash", simulator, 600_000)
    await connection.execute(CLAIM_AUDIT)
    wallets = await run.setup_wallets("crash", connection, env, 10)
    env["DFNS_REQUESTS_PER_MINUTE"] = "3000" if run.quick else "4000"
    await insert_mixed(connection, wallets, jobs)
    workers = [run.worker("crash", index, env, "--lease", str(lease), "--job-timeout", "10" if run.quick else "30").start() for index in range(3)]
    killed = []
    next_kill = time.monotonic() + every

    async def maybe_kill():
        nonlocal next_kill
        if len(killed) >= kills or time.monotonic() < next_kill:
            return
        next_kill = time.monotonic() + every
        worker = workers[len(killed) % 3]
        kill_at = await connection.fetchval("SELECT clock_timestamp()")
        pid = worker.pid
        worker.kill()
        dead = await connection.fetchval("SELECT worker_id FROM dfns_worker.jobs WHERE worker_id LIKE $1 LIMIT 1", f"%:{pid}")
        held = [row[0] for row in await connection.fetch(
            "SELECT id FROM dfns_worker.jobs WHERE worker_id = $1 AND state = 'running'", dead)] if dead else []
        killed.append((kill_at, dead, held))
        worker.start()

    started = time.monotonic()
    await wait_until_settled(connection, 300 if run.quick else 900, on_tick=maybe_kill)
    elapsed = time.monotonic() - started
    require(len(killed) == kills, f"only {len(killed)} of {kills} kills happened before the jobs ran out")
    longest, held_total = 0.0, 0
    for kill_at, dead, held in killed:
        held_total += len(held)
        if not held:
            continue
        rows = await connection.fetch(
            "SELECT h.id, extract(epoch FROM min(c.at) - $2) FROM unnest($1::bigint[]) AS h(id) "
            "LEFT JOIN public.chaos_claims c ON c.job_id = h.id AND c.at > $2 AND c.worker_id <> $3 GROUP BY h.id",
            held, kill_at, dead)
        never = [row[0] for row in rows if row[1] is None]
        require(not never, f"jobs {never[:5]} of killed worker {dead} were never taken by another worker")
        longest = max([longest] + [float(row[1]) for row in rows])
    lost, duplicated, states = await verify(connection, simulator, jobs + 10)
    # Expiry (at most a lease after the last renewal), the next rescue (a sixth of a lease), then an idle worker's next
    # poll (2 s) and a second for the claim itself: 1.5 leases covers that at the default lease, not at the short
    # form's 6 s (9 s against 10 s).
    promise = max(lease * 1.5, lease * 7 / 6 + 2 + 1)
    require(longest <= promise, f"a killed worker's job waited {longest:.1f} s (promise: ≤ {promise:.0f} s)")
    await run.finish("crash", connection, workers)
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"{kills} SIGKILLs every {every:.0f} s ({held_total} jobs held by killed workers), lease {lease} s",
        "lost": lost, "duplicated": duplicated, "longest rescue": f"{longest:.1f} s (≤ {promise:.0f} s)",
        "time to ready": "—", "seconds": elapsed,
    }


async def database_restart(run):
    """PostgreSQL stops (fast mode) mid-run and starts again; the workers report not ready, then recover."""
    jobs, before, down = (150, 2.0, 2.0) if run.quick else (1500, 5.0, 5.0)
    simulator = run.simulator("db-restart", "--transfer-step-ms", "200")
    connection, env = await run.database("db-restart", simulator, 600_000)
    wallets = await run.setup_wallets("db-restart", connection, env, 5)
    env["DFNS_REQUESTS_PER_MINUTE"] = "3000"
    await insert_mixed(connection, wallets, jobs)
    await connection.close()
    workers = [run.worker("db-restart", index, env).start() for index in range(2)]
    deadline = time.monotonic() + 30
    while not all(worker.ready()[0] for worker in workers):
        require(time.monotonic() < deadline, "workers never became ready")
        time.sleep(0.1)
    time.sleep(before)
    saw_not_ready = [False] * len(workers)
    run.cluster.stop_fast()
    try:
        stopped_at = time.monotonic()
        while time.monotonic() - stopped_at < down:
            for index, worker in enumerate(workers):
                if not worker.ready()[0]:
                    saw_not_ready[index] = True
            time.sleep(0.1)
    finally:
        run.cluster.start()
    started_at = time.monotonic()
    ready_after = [None] * len(workers)
    while None in ready_after:
        for index, worker in enumerate(workers):
            require(worker.alive(), f"worker {index} exited during the database restart; see {worker.log_path}")
            if ready_after[index] is None and worker.ready()[0]:
                ready_after[index] = time.monotonic() - started_at
        require(time.monotonic() - started_at < 60, f"workers not ready 60 s after PostgreSQL came back: {ready_after}")
        time.sleep(0.1)
    require(all(saw_not_ready), f"a worker never reported not ready while PostgreSQL was down: {saw_not_ready}")
    connection = await asyncpg.connect(env["DATABASE_URL"].split("?")[0])
    await wait_until_settled(connection, 300)
    lost, duplicated, states = await verify(connection, simulator, jobs + 5)
    await run.finish("db-restart", connection, workers)
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"PostgreSQL stopped (fast) for {down:.0f} s mid-run, 2 workers", "lost": lost,
        "duplicated": duplicated, "longest rescue": "—",
        "time to ready": f"{max(ready_after):.1f} s after PostgreSQL was back",
    }


async def api_faults(run):
    """20 % 5xx on every endpoint, 429 bursts, added latency, and lost responses on wallet and transfer creation."""
    jobs = 100 if run.quick else 1000
    # The short form sends ~600 requests: at 0.005 a run without a single 429 burst happened (about 6 % of runs),
    # and the check below rightly refuses a run that injected nothing. 0.02 makes that about 1 in 100,000.
    burst = 0.02 if run.quick else 0.005
    common = f"5xx=0.2,429-burst={burst},429-length=4,latency-ms=10"
    faults = [f"init:{common}", f"action:{common}", f"read:{common}",
              f"create-wallet:{common},lost=0.1", f"create-transfer:{common},lost=0.1"]
    simulator = run.simulator("api-faults", "--transfer-step-ms", "200", *[arg for fault in faults for arg in ("--fault", fault)])
    connection, env = await run.database("api-faults", simulator, 600_000)
    simulator.set_faults({})
    wallets = await run.setup_wallets("api-faults", connection, env, 5)
    restore = {endpoint: rule for endpoint, rule in zip(
        ["init", "action", "read", "create-wallet", "create-transfer"],
        [dict(serverErrorRate=0.2, rateLimitBurstRate=burst, rateLimitBurstLength=4, latencyMilliseconds=10)] * 3
        + [dict(serverErrorRate=0.2, rateLimitBurstRate=burst, rateLimitBurstLength=4, latencyMilliseconds=10, lostAfterCommitRate=0.1)] * 2)}
    simulator.set_faults(restore)
    await insert_mixed(connection, wallets, jobs)
    workers = [run.worker("api-faults", index, env, *run.timings()).start() for index in range(2)]
    started = time.monotonic()
    await wait_until_settled(connection, 600)
    lost, duplicated, states = await verify(connection, simulator, jobs + 5)
    stats = simulator.stats()
    require(stats["injectedServerErrors"] > 0 and stats["injectedRateLimits"] > 0 and stats["lostResponses"] > 0,
            f"faults were not all injected: {stats}")
    retried = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE attempt > 1")
    await run.finish("api-faults", connection, workers)
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"{stats_faults(stats)} of {stats['requests']} requests; {retried} jobs needed >1 attempt",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—",
        "seconds": time.monotonic() - started,
    }


async def auth_failure(run):
    """The token is revoked mid-run: the worker pauses without burning attempts; restarted with a good one, it ends."""
    jobs = 100 if run.quick else 1000
    simulator = run.simulator("auth", "--transfer-step-ms", "200")
    connection, env = await run.database("auth", simulator, 600_000)
    wallets = await run.setup_wallets("auth", connection, env, 5)
    env["DFNS_REQUESTS_PER_MINUTE"] = "3000" if run.quick else "6000"
    await insert_mixed(connection, wallets, jobs, confirmed_share=0)
    worker = run.worker("auth", 0, env).start()
    while await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'succeeded'") < jobs // 5:
        await asyncio.sleep(0.2)
    simulator.revoke([run.secrets.token])
    revoked_at = time.monotonic()
    while True:
        ready, body = worker.ready()
        if not ready and "dfnsCredentials" in body:
            break
        require(time.monotonic() - revoked_at < 30, f"worker still ready 30 s after its token was revoked: {body}")
        await asyncio.sleep(0.1)
    paused_after = time.monotonic() - revoked_at
    await asyncio.sleep(3)
    unauthorized_while_paused = simulator.stats()["unauthorized"]
    # A one-shot drain with the revoked token must stop at once with exit 1 and a clear message.
    drain_code = run_command(run.binary, ["drain"], env, run.log_path("auth-drain-revoked"))
    require(drain_code == 1, f"drain with a revoked token exited {drain_code}, expected 1")
    run.metrics.append(worker.scrape())
    worker.terminate()
    failed = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'failed'")
    spent = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state <> 'succeeded' AND attempt > 0")
    require(failed == 0 and spent == 0, f"the auth failure cost jobs: {failed} failed, {spent} unfinished jobs spent attempts")
    env["DFNS_AUTH_TOKEN"] = run.secrets.second_token
    fixed = run.worker("auth", 1, env).start()
    await wait_until_settled(connection, 300)
    lost, duplicated, states = await verify(connection, simulator, jobs + 5)
    unauthorized = simulator.stats()["unauthorized"]
    await run.finish("auth", connection, [fixed])
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"token revoked after {jobs // 5} jobs; {unauthorized} requests answered 401 in all",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—",
        "time to ready": f"not ready {paused_after:.1f} s after revocation; 0 attempts spent, 0 failed",
        "unauthorized while paused": unauthorized_while_paused,
    }


async def bad_input(run):
    """≥ 1,000 generated bad payloads mixed with valid jobs: refused at insert or failed naming the field."""
    count = 1000
    simulator = run.simulator("bad-input", "--transfer-step-ms", "200")
    connection, env = await run.database("bad-input", simulator, 600_000)
    wallets = await run.setup_wallets("bad-input", connection, env, 1)
    before = simulator.stats()["requestsByEndpoint"]
    worker = run.worker("bad-input", 0, env).start()
    cases = badinput.cases(wallets[0], count)
    valid = badinput.valid_jobs(wallets[0], 100)
    refused, refused_wrongly, accepted = 0, [], {}
    for kind, text, expectation in cases:
        try:
            job_id = await connection.fetchval("INSERT INTO dfns_worker.jobs (kind, payload) VALUES ($1, $2::jsonb) RETURNING id", kind, text)
        except asyncpg.PostgresError as error:
            # Refused by the database: malformed JSON or text jsonb cannot hold (\u0000), a non-object, an unknown kind.
            refused += 1
            if error.sqlstate not in ("22P02", "22P05", "23514", "P0001", "22023", "54001"):
                refused_wrongly.append((kind, text[:80], error.sqlstate, str(error)[:120]))
            continue
        require(expectation != "insert", f"the database accepted {kind!r} {text[:80]!r}")
        accepted[job_id] = expectation
    require(not refused_wrongly, f"inserts failed for another reason than a refusal: {refused_wrongly[:3]}")
    valid_ids = {}
    for kind, text in valid:
        valid_ids[await connection.fetchval("INSERT INTO dfns_worker.jobs (kind, payload) VALUES ($1, $2::jsonb) RETURNING id", kind, text)] = text
    await wait_until_settled(connection, 300)
    require(worker.alive(), f"the worker exited during the bad-input scenario; see {worker.log_path}")
    rows = await connection.fetch(
        "SELECT id, state, last_error->>'code', last_error->>'message' FROM dfns_worker.jobs WHERE id = ANY($1::bigint[])", list(accepted))
    wrong = []
    for job_id, state, code, message in rows:
        field = accepted[job_id]
        if state != "failed" or code != "invalid_payload" or f"payload.{field}" not in (message or ""):
            wrong.append((job_id, field, state, code, (message or "")[:120]))
    require(not wrong, f"{len(wrong)} bad jobs did not fail with invalid_payload naming the field, e.g. {wrong[:3]}")
    long_messages = await connection.fetchval(
        "SELECT count(*) FROM dfns_worker.jobs WHERE length(last_error::text) > 2000")
    require(long_messages == 0, f"{long_messages} error messages are longer than 2,000 characters (they echo the input)")
    valid_rows = await connection.fetch(
        "SELECT id, state, payload::text, result FROM dfns_worker.jobs WHERE id = ANY($1::bigint[])", list(valid_ids))
    require(all(row[1] == "succeeded" for row in valid_rows), "valid jobs next to bad ones did not all succeed")
    require(all(json.loads(row[2]) == json.loads(valid_ids[row[0]]) for row in valid_rows), "a valid payload did not round-trip")
    after = simulator.stats()["requestsByEndpoint"]
    writes = {endpoint: after.get(endpoint, 0) - before.get(endpoint, 0) for endpoint in ("create-wallet", "create-transfer", "init", "action")}
    expected_wallets = sum(1 for kind, _ in valid if kind == "create_wallet")
    expected_transfers = len(valid) - expected_wallets
    require(writes == {"create-wallet": expected_wallets, "create-transfer": expected_transfers,
                       "init": len(valid), "action": len(valid)},
            f"requests reached Dfns beyond the valid jobs: {writes} for {expected_wallets} wallets and {expected_transfers} transfers")
    lost, duplicated, states = await verify(connection, simulator, len(accepted) + len(valid) + 1, expect_all_succeeded=False)
    await run.finish("bad-input", connection, [worker])
    simulator.stop()
    return {
        "jobs": len(cases) + len(valid),
        "faults": f"{len(cases)} bad payloads: {refused} refused at insert, {len(accepted)} failed invalid_payload naming the field; "
                  f"{len(valid)} valid hostile-looking jobs succeeded; 0 bad requests reached Dfns",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—",
    }


async def shutdown(run):
    """SIGTERM during a busy run: in-flight jobs finish or go back within the grace period, spending no attempt."""
    jobs, grace = (150, 2) if run.quick else (1000, 5)
    simulator = run.simulator("shutdown", "--transfer-step-ms", "200")
    connection, env = await run.database("shutdown", simulator, 600_000)
    wallets = await run.setup_wallets("shutdown", connection, env, 5)
    # Wallet creations take longer than the grace period: they must be handed back, not cut off.
    simulator.set_faults({"create-wallet": {"latencyMilliseconds": (grace + 2) * 1000}})
    await insert_mixed(connection, wallets, jobs, confirmed_share=0, wallet_share=0.3)
    worker = run.worker("shutdown", 0, env, "--shutdown-grace", str(grace), *run.timings()).start()
    while await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE kind = 'transfer' AND state = 'succeeded'") < 20:
        await asyncio.sleep(0.1)
    running = dict(await connection.fetch("SELECT id, attempt FROM dfns_worker.jobs WHERE state = 'running'"))
    run.metrics.append(worker.scrape())
    seconds, code = worker.terminate()
    require(code == 0, f"worker exited {code} after SIGTERM")
    require(seconds <= grace + 5, f"worker took {seconds:.1f} s to stop (grace {grace} s)")
    still = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'running' OR lease_token IS NOT NULL")
    require(still == 0, f"{still} jobs still hold a lease after shutdown")
    rows = await connection.fetch("SELECT id, state, attempt, jsonb_array_length(errors) FROM dfns_worker.jobs WHERE id = ANY($1::bigint[])", list(running))
    finished = sum(1 for row in rows if row[1] == "succeeded")
    returned = [row for row in rows if row[1] != "succeeded"]
    spent = [tuple(row) for row in returned if row[1] not in ("queued", "retrying") or row[2] != running[row[0]] - 1 or row[3] != 0]
    require(not spent, f"handed-back jobs spent an attempt or recorded an error: {spent[:5]}")
    require(returned, "no job was in flight long enough to be handed back")
    simulator.set_faults({})
    resumed = run.worker("shutdown", 1, env, *run.timings()).start()
    await wait_until_settled(connection, 300)
    lost, duplicated, states = await verify(connection, simulator, jobs + 5)
    await run.finish("shutdown", connection, [resumed])
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"SIGTERM with {len(running)} jobs claimed: {finished} finished, {len(returned)} handed back "
                                f"with no attempt spent; stopped in {seconds:.1f} s (grace {grace} s)",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—",
    }


async def dfns_quirks(run):
    """Dfns's inconvenient parts at once: 202 approvals, unreadable 2xx bodies, proxy 502s after commit, 404 reads, a
    NUL in rejection reasons, an absurd Retry-After, a permission missing on one wallet. Meanwhile an operator tries to
    cancel every waiting job and retries every failed one."""
    jobs = 150 if run.quick else 1000
    simulator = run.simulator("dfns-quirks", "--transfer-step-ms", "200", "--approval-fraction", "0.2", "--approval-delay-ms", "1500")
    connection, env = await run.database("dfns-quirks", simulator, 600_000)
    wallets = await run.setup_wallets("dfns-quirks", connection, env, 6)
    forbidden = wallets[0]
    simulator.forbid([forbidden])
    faults = {
        "create-wallet": {"garbledResponseRate": 0.05, "serverErrorAfterCommitRate": 0.05, "lostAfterCommitRate": 0.03},
        "create-transfer": {"garbledResponseRate": 0.05, "serverErrorAfterCommitRate": 0.05, "nulReasonRate": 0.15},
        "read": {"notFoundRate": 0.05, "garbledResponseRate": 0.02},
    }
    # One 429 with an absurd Retry-After: it must neither crash a worker nor pause it for longer than a minute.
    simulator.set_faults(dict(faults, init={"rateLimitBurstRate": 1, "rateLimitBurstLength": 1, "rateLimitRetryAfter": "1e300"}))
    await insert_mixed(connection, wallets, jobs, confirmed_share=0.6)
    workers = [run.worker("dfns-quirks", index, env, *run.timings()).start() for index in range(2)]
    while simulator.stats()["injectedRateLimits"] < 1:
        await asyncio.sleep(0.05)
    simulator.set_faults(faults)
    cancels = {"tried": 0, "refused": 0, "cancelled": []}
    retried = set()

    async def operator():
        for (job_id,) in await connection.fetch("SELECT id FROM dfns_worker.jobs WHERE state = 'waiting' ORDER BY random() LIMIT 5"):
            cancels["tried"] += 1
            if await connection.fetchval("SELECT dfns_worker.cancel($1)", job_id):
                cancels["cancelled"].append(job_id)
            else:
                cancels["refused"] += 1
        for (job_id,) in await connection.fetch(
                "SELECT id FROM dfns_worker.jobs WHERE state = 'failed' AND last_error->>'code' = 'dfns_rejected' AND requeues = 0"):
            if await connection.fetchval("SELECT dfns_worker.retry($1)", job_id):
                retried.add(job_id)

    started = time.monotonic()
    await wait_until_settled(connection, 300 if run.quick else 900, on_tick=operator)
    for index, worker in enumerate(workers):
        require(worker.alive(), f"worker {index} exited (an absurd Retry-After must not crash it); see {worker.log_path}")
    require(cancels["tried"] > 0 and not cancels["cancelled"], f"cancel accepted jobs whose transfer was at Dfns: {cancels['cancelled'][:5]}")
    rows = await connection.fetch("SELECT state, count(*) FROM dfns_worker.jobs GROUP BY state")
    states = {row[0]: row[1] for row in rows}
    require(sum(states.values()) == jobs + 6, f"jobs lost: {states}")
    failures = await connection.fetch(
        "SELECT id, kind, payload->>'walletId', last_error->>'code', last_error->>'message' FROM dfns_worker.jobs WHERE state = 'failed'")
    wrong = [tuple(row) for row in failures
             if not ((row[2] == forbidden and row[3] == "forbidden" and "Wallets:Transfers:Create" in row[4])
                     # An earlier attempt's outcome was unknown: looked up after the settle window, nothing was created.
                     or (row[2] == forbidden and row[3] == "attempts_exhausted" and "nothing was created" in row[4])
                     or (row[3] == "dfns_rejected" and "Blocked by policy" in row[4]))]
    require(not wrong, f"jobs failed for another reason than Dfns's verdict or the missing permission: {wrong[:3]}")
    on_forbidden = await connection.fetchval(
        "SELECT count(*) FROM dfns_worker.jobs WHERE kind = 'transfer' AND payload->>'walletId' = $1 AND state <> 'failed'", forbidden)
    require(on_forbidden == 0, f"{on_forbidden} transfers from the forbidden wallet did not fail with forbidden")
    stats = simulator.stats()
    transfers = simulator.transfers()
    job_ids = {row[0]: row[1] for row in await connection.fetch("SELECT external_id, id FROM dfns_worker.jobs WHERE kind = 'transfer'")}
    bases = {re.sub(r"-r[0-9]+$", "", external_id) for external_id in job_ids}
    strays = [t.get("externalId") for t in transfers if re.sub(r"-r[0-9]+$", "", t.get("externalId") or "") not in bases]
    require(not strays, f"transfers at Dfns that belong to no job: {strays[:5]}")
    results = await connection.fetch("SELECT id, result->>'id', result->>'externalId', external_id FROM dfns_worker.jobs "
                                     "WHERE kind = 'transfer' AND result IS NOT NULL")
    by_id = {t["id"]: t for t in transfers}
    mismatched = [tuple(row) for row in results if by_id.get(row[1], {}).get("externalId") != row[3]]
    require(not mismatched, f"jobs whose result is not the transfer of their externalId: {mismatched[:3]}")
    duplicated = {
        "transfers with a repeated externalId": stats["transfersWithExternalId"] - stats["distinctTransferExternalIds"],
        "wallets with a repeated externalId": stats["walletsWithExternalId"] - stats["distinctWalletExternalIds"],
        "wallets created beyond succeeded jobs": stats["walletsCreated"] - await connection.fetchval(
            "SELECT count(DISTINCT result->>'id') FROM dfns_worker.jobs WHERE kind = 'create_wallet' AND state = 'succeeded'"),
    }
    require(not any(duplicated.values()), f"duplicates at the simulator: {duplicated}")
    approved = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'succeeded' AND result ? 'approvalId'")
    rejected_nul = await connection.fetchval(
        "SELECT count(*) FROM dfns_worker.jobs WHERE last_error->>'code' = 'dfns_rejected' AND result->>'reason' LIKE '%' || chr(65533) || '%'")
    require(approved > 0, "no transfer went through a 202 approval")
    await run.finish("dfns-quirks", connection, workers)
    simulator.stop()
    return {
        "jobs": jobs,
        "faults": f"{approved} transfers approved after a 202, {rejected_nul} rejections with a NUL in the reason, "
                  f"{stats['garbledResponses']} unreadable 2xx, {stats['serverErrorsAfterCommit']} 502s after commit, "
                  f"{stats['injectedNotFound']} 404 reads, a 429 with Retry-After 1e300, "
                  f"{len(failures)} failed by Dfns's verdict or the forbidden wallet; operator: {cancels['refused']} of "
                  f"{cancels['tried']} cancels refused (0 accepted), {len(retried)} rejected jobs retried",
        "lost": 0, "duplicated": 0, "longest rescue": "—", "time to ready": "—", "seconds": time.monotonic() - started,
    }


async def partition(run):
    """One worker loses PostgreSQL (a TCP proxy drops its connections) for longer than its lease while slow wallet
    creations run; another worker takes the jobs over. The cut-off worker must stop them before its leases expire."""
    jobs, lease, timeout = (40, 6, 10) if run.quick else (200, 30, 40)
    simulator = run.simulator("partition", "--transfer-step-ms", "200")
    connection, env = await run.database("partition", simulator, 600_000)
    await run.setup_wallets("partition", connection, env, 1)
    # The cut-off worker's creations outlast its lease; once it is cut off, creations are quick again.
    simulator.set_faults({"create-wallet": {"latencyMilliseconds": (lease + 2) * 1000}})
    await connection.execute(
        "INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'create_wallet', jsonb_build_object('network', 'Solana') FROM generate_series(1, $1)", jobs)
    port = int(env["DATABASE_URL"].split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    proxy = TcpProxy("127.0.0.1", port)
    cut_env = dict(env, DATABASE_URL=proxy.url(env["DATABASE_URL"]))
    timings = ["--lease", str(lease), "--job-timeout", str(timeout), "--concurrency", "8"]
    actions_before = simulator.stats()["requestsByEndpoint"].get("action", 0)
    cut_off = run.worker("partition", 0, cut_env, *timings).start()
    # Cut once the worker is running its jobs (their signed requests reached Dfns), not merely once the rows say
    # running: a cut between the claim's commit and its answer leaves the worker with nothing to stop.
    while (await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'running'") < 8
           or simulator.stats()["requestsByEndpoint"].get("action", 0) - actions_before < 8):
        await asyncio.sleep(0.05)
    held = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'running'")
    proxy.cut()
    cut_at = time.monotonic()
    simulator.set_faults({"create-wallet": {"latencyMilliseconds": 200}})
    healthy = run.worker("partition", 1, env, *timings).start()
    await asyncio.sleep(lease * 2)
    proxy.restore()
    await wait_until_settled(connection, 300)
    lost, duplicated, states = await verify(connection, simulator, jobs + 1)
    stopped = any("leases not renewed" in line for line in open(cut_off.log_path, errors="replace"))
    require(stopped, f"the cut-off worker never stopped its jobs for want of a lease; see {cut_off.log_path}")
    require(cut_off.alive(), f"the cut-off worker exited; see {cut_off.log_path}")
    await run.finish("partition", connection, [cut_off, healthy])
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"one of 2 workers cut off from PostgreSQL for {lease * 2} s (lease {lease} s) holding {held} slow wallet creations",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—", "seconds": time.monotonic() - cut_at,
    }


async def db_lock(run):
    """A migration's ACCESS EXCLUSIVE lock on jobs, held past the workers' statement deadline (but within their lease),
    then released: PostgreSQL ends what the workers give up on, so no claim leases jobs to nobody later, no attempt is
    spent on a job never sent, and no pooled connection stays stuck."""
    jobs, lease, deadline, held = (200, 12, 2, 3.5) if run.quick else (1500, 30, 5, 8.0)
    simulator = run.simulator("db-lock", "--transfer-step-ms", "200")
    connection, env = await run.database("db-lock", simulator, 600_000)
    wallets = await run.setup_wallets("db-lock", connection, env, 5)
    env["DFNS_REQUESTS_PER_MINUTE"] = "3000"
    await insert_mixed(connection, wallets, jobs)
    pool = 2 * (8 + 2)  # two workers, min(concurrency, 8) + 2 connections each
    workers = [run.worker("db-lock", index, env, "--lease", str(lease), "--statement-timeout", str(deadline)).start() for index in range(2)]
    sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'dfns-worker'"
    while await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'succeeded'") < 5 + jobs // 10:
        await asyncio.sleep(0.1)
    locker = await asyncpg.connect(env["DATABASE_URL"].split("?")[0])
    lock = locker.transaction()
    await lock.start()
    await locker.execute("LOCK TABLE dfns_worker.jobs IN ACCESS EXCLUSIVE MODE")
    locked_at, peak, waited_past_deadline = time.monotonic(), 0, 0
    while time.monotonic() - locked_at < held:
        peak = max(peak, await connection.fetchval(sessions))
        # A worker statement still waiting past the worker's own deadline is one PostgreSQL failed to end.
        waited_past_deadline = max(waited_past_deadline, await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' "
            "AND query LIKE '%dfns_worker.%' AND clock_timestamp() - query_start > make_interval(secs => $1)", float(deadline)))
        await asyncio.sleep(0.1)
    await lock.rollback()
    await locker.close()
    require(all(worker.alive() for worker in workers), "a worker exited while the jobs table was locked")
    await wait_until_settled(connection, 300)
    lost, duplicated, states = await verify(connection, simulator, jobs + 5)
    orphaned = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE errors @> '[{\"code\": \"lease_expired\"}]'")
    respent = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE attempt > 1")
    after = await connection.fetchval(sessions)
    require(waited_past_deadline == 0, f"{waited_past_deadline} worker statements still waited past the {deadline} s deadline: PostgreSQL did not end them")
    require(orphaned == 0, f"{orphaned} jobs were leased to nobody and rescued (lease_expired)")
    require(respent == 0, f"{respent} jobs spent more than one attempt")
    require(peak <= pool and after <= pool, f"worker sessions: {peak} at peak, {after} after (pool {pool})")
    await run.finish("db-lock", connection, workers)
    simulator.stop()
    return {
        "jobs": jobs, "faults": f"ACCESS EXCLUSIVE on jobs for {held:.1f} s (statement deadline {deadline} s, lease {lease} s), 2 workers; "
                                f"{peak} worker sessions at peak (pool {pool}); 0 statements past the deadline, 0 leases orphaned, 0 attempts re-spent",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—",
    }


async def upgrade(run):
    """Binaries and schemas of different releases. A worker running when a newer release's migration changes a money
    rule (its schema_migrations row asks for a newer binary) claims nothing more and exits 1, its running jobs
    finished; `drain` with it exits 1 touching nothing. A schema older than the binary needs (`migrate --to`): `run`
    and `drain` exit 1 touching nothing, then `migrate` and the binary finish every job once."""
    jobs = 100 if run.quick else 1000
    simulator = run.simulator("upgrade", "--transfer-step-ms", "200")
    connection, env = await run.database("upgrade", simulator, 600_000)
    wallets = await run.setup_wallets("upgrade", connection, env, 5)
    env["DFNS_REQUESTS_PER_MINUTE"] = "3000"
    newest = await connection.fetchval("SELECT max(version) FROM dfns_worker.schema_migrations")
    await insert_mixed(connection, wallets, jobs)
    worker = run.worker("upgrade", 0, env).start()
    while await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'succeeded'") < 5 + jobs // 10:
        await asyncio.sleep(0.1)
    # The newer release's migration, and jobs inserted after it: no claim sees one without the other.
    async with connection.transaction():
        await connection.execute("INSERT INTO dfns_worker.schema_migrations (version, name, oldest_binary) VALUES ($1, 'chaos: a newer release', $1)", newest + 1)
        await insert_mixed(connection, wallets, jobs // 2)
    after_migration = await connection.fetchval("SELECT max(id) FROM dfns_worker.jobs") - jobs // 2
    migrated_at = time.monotonic()
    code = worker.process.wait(60)
    stopped_after = time.monotonic() - migrated_at
    require(code == 1, f"the worker exited {code} after the newer migration, expected 1")
    log = open(worker.log_path, errors="replace").read()
    require(f"schema is at version {newest + 1}, which needs a dfns-worker that knows schema version {newest + 1}" in log,
            "the worker's log does not name both versions")
    touched = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE id > $1 AND (attempt > 0 OR state <> 'queued')", after_migration)
    running = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'running'")
    require(touched == 0, f"{touched} jobs inserted after the migration were touched by the older binary")
    require(running == 0, f"{running} jobs left running by the stopped worker")
    before = simulator.stats()["requests"]
    require(run_command(run.binary, ["drain"], env, run.log_path("upgrade-drain-newer")) == 1, "drain against the newer schema did not exit 1")
    require(simulator.stats()["requests"] == before, "drain against the newer schema reached Dfns")
    # The new release takes over: here the same binary once the newer row is withdrawn (no newer binary exists yet).
    await connection.execute("DELETE FROM dfns_worker.schema_migrations WHERE version = $1", newest + 1)
    successor = run.worker("upgrade", 1, env).start()
    await wait_until_settled(connection, 300)
    lost, duplicated, states = await verify(connection, simulator, jobs + jobs // 2 + 5)
    await run.finish("upgrade", connection, [successor])
    # An older schema: migrated only to the previous version, jobs inserted with plain SQL.
    url = await run.cluster.fresh_database("chaos_upgrade_older")
    older_env = dict(env, DATABASE_URL=url)
    require(run_command(run.binary, ["migrate", "--to", str(newest - 1)], older_env, run.log_path("upgrade-migrate-older")) == 0, "migrate --to failed")
    older = await asyncpg.connect(url.split("?")[0])
    await older.execute("INSERT INTO dfns_worker.jobs (kind, payload) SELECT 'create_wallet', '{\"network\": \"Solana\"}' FROM generate_series(1, 10)")
    before = simulator.stats()["requests"]
    for command in (["drain"], ["run", "--http-port", "0"]):
        path = run.log_path("upgrade-older-" + command[0])
        require(run_command(run.binary, command, older_env, path, timeout=60) == 1, f"{command[0]} against schema {newest - 1} did not exit 1")
        require(f"schema is at version {newest - 1}, older than this dfns-worker needs ({newest})" in open(path, errors="replace").read(),
                f"{command[0]} did not name both versions")
    require(await older.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE attempt > 0 OR state <> 'queued'") == 0, "a job was touched on the older schema")
    require(simulator.stats()["requests"] == before, "a command against the older schema reached Dfns")
    require(run_command(run.binary, ["migrate"], older_env, run.log_path("upgrade-migrate")) == 0, "migrate failed")
    require(run_command(run.binary, ["drain"], older_env, run.log_path("upgrade-drain")) == 0, "drain after migrate failed")
    require(await older.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state = 'succeeded'") == 10, "not every job of the older schema succeeded")
    await older.close()
    simulator.stop()
    return {
        "jobs": jobs + jobs // 2 + 10,
        "faults": f"a newer release's migration under a running worker (stopped in {stopped_after:.1f} s, exit 1, 0 later jobs touched); "
                  f"drain on it exit 1; an older schema ({newest - 1}): run and drain exit 1, 0 jobs touched",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—",
    }


async def end_user_jobs(run):
    """Jobs on behalf of end users under SIGKILL: a service account and end users each holding a passkey and a wallet;
    mixed jobs for them, 3 workers as the service account with one seal key; the users sign parked jobs as they appear,
    some at once, some later. A worker is SIGKILLed while jobs wait for signatures and again while it completes jobs
    whose signature it took; each restarts. Every job must succeed once, signed by its user, with no login readable."""
    users, jobs, kills_each, latest = (5, 40, 2, 4.0) if run.quick else (20, 200, 4, 8.0)
    simulator = run.simulator("end-users", "--transfer-step-ms", "200")
    connection, env = await run.database("end-users", simulator, 600_000)

    # The application's service account, made by the organisation's administrator (the canary credential).
    key_dir = os.path.join(run.workdir, "end-users-service-account")
    subprocess.run([run.binary, "keygen", "--algorithm", "p256", "--out", key_dir], check=True, stdout=subprocess.DEVNULL)
    sa_key_file = os.path.join(key_dir, "private.pem")
    sa_token, sa_cred_id = await asyncio.to_thread(
        end_users.create_service_account, simulator.url, run.secrets.token, run.secrets.cred_id,
        open(run.secrets.private_key_file).read(), "chaos-app", open(os.path.join(key_dir, "public.pem")).read())
    seal = os.urandom(32)
    run.secrets.add("service account token", sa_token)
    run.secrets.add_key("service account private key", sa_key_file)
    run.secrets.add("seal key (base64)", base64.b64encode(seal).decode())
    run.secrets.add("seal key (hex)", seal.hex())

    # The end users, registered by the service account. Synced passkeys (signature counter 0): a user signs several
    # parked jobs ahead, and the workers complete them in any order.
    stamp = os.urandom(3).hex()
    holders = []
    for index in range(users):
        passkey = end_users.Passkey(counter=False)
        user_id, wallets = await asyncio.to_thread(
            end_users.register_end_user, simulator.url, sa_token, sa_cred_id, open(sa_key_file).read(),
            f"chaos-user-{index}-{stamp}@example.com", passkey, ["EthereumSepolia"])
        holders.append((user_id, passkey, wallets[0]))
    passkeys = {user_id: passkey for user_id, passkey, _ in holders}

    kinds, payloads, owners = [], [], []
    for index in range(jobs):
        user_id, _, wallet = holders[index % users]
        owners.append(user_id)
        if index % 10 < 4:
            kinds.append("create_wallet")
            payloads.append(json.dumps({"network": NETWORKS[index % len(NETWORKS)], "name": f"chaos user {index}"}))
        else:
            kinds.append("transfer")
            payloads.append(json.dumps({"walletId": wallet, "kind": "Native", "to": EVM_ADDRESS, "amount": str(1000 + index),
                                        "waitFor": "confirmed" if index % 10 >= 8 else "submitted"}))
    await connection.execute(
        "INSERT INTO dfns_worker.jobs (kind, payload, on_behalf_of) SELECT k, p::jsonb, u FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, p, u)",
        kinds, payloads, owners)
    # Slow creations at Dfns widen the window between a worker taking a signature and finishing the job.
    simulator.set_faults({"create-wallet": {"latencyMilliseconds": 800}, "create-transfer": {"latencyMilliseconds": 800}})
    env.update({"DFNS_AUTH_TOKEN": sa_token, "DFNS_CRED_ID": sa_cred_id, "DFNS_PRIVATE_KEY_FILE": sa_key_file,
                "DFNS_WORKER_SEAL_KEY": base64.b64encode(seal).decode(), "DFNS_REQUESTS_PER_MINUTE": "6000"})
    workers = [run.worker("end-users", index, env, *run.timings()).start() for index in range(3)]

    # The users: each parked challenge is signed at once or after a delay, on the user's device, and handed back
    # through dfns_worker.sign(). A job parked again (its signature was taken by a worker that died) is signed again.
    signer = await asyncpg.connect(env["DATABASE_URL"].split("?")[0])
    due, handed, taken = {}, {}, set()
    figures = {"prompt": 0, "late": 0, "signatures": {}, "refusals": [], "parks": {}}
    stop = asyncio.Event()

    async def users_task():
        while not stop.is_set():
            rows = await signer.fetch("SELECT id, on_behalf_of, user_challenge::text FROM dfns_worker.jobs "
                                      "WHERE state = 'awaiting_signature' AND signed_challenge IS NULL")
            now = time.monotonic()
            for job_id, user_id, text in rows:
                key = (job_id, json.loads(text)["challengeIdentifier"])
                if key in handed:  # parked again with the same challenge after its signature was taken: sign again
                    del handed[key]
                    due.pop(key, None)
                if key not in due:
                    figures["parks"][job_id] = figures["parks"].get(job_id, 0) + 1
                    taken.discard(job_id)
                    prompt = random.random() < 0.5
                    figures["prompt" if prompt else "late"] += 1
                    due[key] = (now if prompt else now + random.uniform(1.0, latest), user_id, text)
            for key, (at, user_id, text) in list(due.items()):
                if at > now or key in handed:
                    continue
                signed = end_users.sign_challenge(text, passkeys[user_id], user_id)
                try:
                    await signer.fetchval("SELECT dfns_worker.sign($1, $2::jsonb)", key[0], json.dumps(signed))
                except asyncpg.PostgresError as error:
                    figures["refusals"].append((key[0], error.sqlstate, str(error)[:160]))
                handed[key] = time.monotonic()
                figures["signatures"][key[0]] = figures["signatures"].get(key[0], 0) + 1
                taken.add(key[0])
            await asyncio.sleep(0.1)

    kills = {"waiting": [], "completing": []}
    state = {"next": time.monotonic() + 1.0, "index": 0, "sealed": 0, "readable": 0}

    async def maybe_kill():
        if signing.done():
            signing.result()  # the users' task ended: raise what ended it rather than wait for the deadline
            raise ScenarioFailure("the users' task stopped before every job was settled")
        if time.monotonic() < state["next"]:
            return
        if len(kills["waiting"]) < kills_each:
            awaiting = await connection.fetchval(
                "SELECT count(*) FROM dfns_worker.jobs WHERE state = 'awaiting_signature' AND signed_challenge IS NULL")
            if awaiting >= 3:
                # While users' logins wait sealed in the rows: none may be readable (a Dfns token is a JWT, eyJhbGciOiJ…).
                sealed, readable = await connection.fetchrow(
                    "SELECT count(*) FILTER (WHERE user_token IS NOT NULL), count(*) FILTER (WHERE position('eyJhbGciOiJ' IN j::text) > 0 "
                    "OR position('\\x65794a68624763694f694a'::bytea IN coalesce(user_token, ''::bytea)) > 0) FROM dfns_worker.jobs j")
                state["sealed"], state["readable"] = max(state["sealed"], sealed), state["readable"] + readable
                worker = workers[state["index"] % len(workers)]
                state["index"] += 1
                worker.kill()
                worker.start()
                kills["waiting"].append(awaiting)
                state["next"] = time.monotonic() + 1.5
                return
        if len(kills["completing"]) < kills_each and taken:
            # A job whose signature we handed back and a worker has taken (claimed: running, signed_challenge cleared).
            rows = await connection.fetch(
                "SELECT id, worker_id FROM dfns_worker.jobs WHERE state = 'running' AND signed_challenge IS NULL AND id = ANY($1::bigint[])",
                list(taken))
            pids = {worker.pid: worker for worker in workers}
            for job_id, worker_id in rows:
                worker = pids.get(int(worker_id.rsplit(":", 1)[1])) if worker_id and ":" in worker_id else None
                if worker is None:
                    continue
                held = [row[0] for row in await connection.fetch(
                    "SELECT id FROM dfns_worker.jobs WHERE worker_id = $1 AND state = 'running' AND id = ANY($2::bigint[])", worker_id, list(taken))]
                worker.kill()
                worker.start()
                kills["completing"].append(held)
                state["next"] = time.monotonic() + 1.5
                return

    started = time.monotonic()
    signing = asyncio.create_task(users_task())
    try:
        await wait_until_settled(connection, 300 if run.quick else 900, poll=0.05, on_tick=maybe_kill)
    finally:
        stop.set()
        await signing
        await signer.close()
    elapsed = time.monotonic() - started
    require(len(kills["waiting"]) == kills_each and len(kills["completing"]) == kills_each,
            f"kills: {len(kills['waiting'])} while jobs awaited signatures, {len(kills['completing'])} while completing; {kills_each} of each wanted")
    require(all(kills["completing"]), f"a kill while completing held no job whose signature it took: {kills['completing']}")
    require(not figures["refusals"], f"dfns_worker.sign() refused signatures the users handed back: {figures['refusals'][:3]}")
    require(state["sealed"] > 0 and state["readable"] == 0,
            f"{state['readable']} rows held a readable login or token while {state['sealed']} jobs held sealed logins")
    lost, duplicated, states = await verify(connection, simulator, jobs, outside_wallets=users)
    leftovers = await connection.fetchval(
        "SELECT count(*) FROM dfns_worker.jobs WHERE user_token IS NOT NULL OR user_challenge IS NOT NULL OR signed_challenge IS NOT NULL "
        "OR signature_deadline IS NOT NULL")
    require(leftovers == 0, f"{leftovers} finished jobs still hold a user's login, challenge or signature")
    unsigned = await connection.fetch("SELECT id FROM dfns_worker.jobs WHERE NOT (id = ANY($1::bigint[]))", list(figures["signatures"]))
    require(not unsigned, f"jobs succeeded without their user's signature: {[row[0] for row in unsigned][:5]}")
    custodial = await connection.fetchval(
        "SELECT count(*) FROM dfns_worker.jobs WHERE kind = 'create_wallet' AND (result->>'custodial')::boolean IS DISTINCT FROM false")
    require(custodial == 0, f"{custodial} wallets made for end users are custodial (not delegated to them)")
    # At Dfns: one transfer per transfer job, each requested by the job's user, each the result of its job.
    jobs_by_external = {row[0]: (row[1], row[2]) for row in await connection.fetch(
        "SELECT external_id, on_behalf_of, result->>'id' FROM dfns_worker.jobs WHERE kind = 'transfer'")}
    transfers = simulator.transfers()
    wrong = [(t.get("externalId"), t["id"], t.get("requester", {}).get("userId")) for t in transfers
             if jobs_by_external.get(t.get("externalId")) != (t.get("requester", {}).get("userId"), t["id"])]
    require(len(transfers) == len(jobs_by_external) and not wrong,
            f"{len(transfers)} transfers at Dfns for {len(jobs_by_external)} jobs; not one per job, signed by its user: {wrong[:3]}")
    stats = simulator.stats()
    require(stats["signatureFailures"] == 0, f"Dfns refused {stats['signatureFailures']} signatures")
    await run.finish("end-users", connection, workers)
    simulator.stop()
    again = sum(1 for count in figures["parks"].values() if count > 1)
    held = sum(len(held) for held in kills["completing"])
    waiting = f"{min(kills['waiting'])}–{max(kills['waiting'])}" if min(kills["waiting"]) != max(kills["waiting"]) else str(kills["waiting"][0])
    return {
        "jobs": jobs,
        "faults": f"{users} end users (a passkey and a wallet each), 3 workers as the service account; {figures['prompt'] + figures['late']} "
                  f"challenges signed ({figures['prompt']} at once, {figures['late']} after 1–{latest:.0f} s); {kills_each} SIGKILLs with "
                  f"{waiting} jobs awaiting signatures, {kills_each} while completing {held} signed jobs; {again} jobs asked again after a "
                  f"kill and signed again; {stats['transferReplays']} transfer replays; 0 sign() refusals, 0 signatures refused by Dfns, "
                  f"0 of ≤{state['sealed']} sealed logins readable",
        "lost": lost, "duplicated": duplicated, "longest rescue": "—", "time to ready": "—", "seconds": elapsed,
    }


SCENARIOS = {"bad-input": bad_input, "api-faults": api_faults, "auth": auth_failure, "shutdown": shutdown,
             "db-restart": database_restart, "crash": crash, "dfns-quirks": dfns_quirks, "partition": partition,
             "db-lock": db_lock, "upgrade": upgrade, "end-users": end_user_jobs}


def scan_logs_and_metrics(run):
    for path in run.logs + [os.path.join(run.workdir, name) for name in os.listdir(run.workdir) if name.endswith("-simulator.log")]:
        if os.path.exists(path):
            for leak in run.secrets.find(open(path, errors="replace").read()):
                run.leaks.setdefault(leak, set()).add(os.path.basename(path))
    for text in run.metrics:
        for leak in run.secrets.find(text):
            run.leaks.setdefault(leak, set()).add("metrics")


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--pg-bin", required=True)
    parser.add_argument("--pg-data", required=True)
    parser.add_argument("--quick", action="store_true", help="smaller runs and a 6 s lease, for ops/test")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="scenarios to run (default: all)")
    parser.add_argument("--report", help="write the results table to this markdown file")
    arguments = parser.parse_args()
    run = Run(arguments)
    results, failures = [], 0
    for name in arguments.only or list(SCENARIOS):
        print(f"==> chaos: {name}", flush=True)
        started = time.monotonic()
        try:
            figures = await SCENARIOS[name](run)
            figures.update(scenario=name, result="passed", seconds=time.monotonic() - started)
            print(f"    passed in {figures['seconds']:.0f} s: {figures['faults']}; lost {figures['lost']}, "
                  f"duplicated {figures['duplicated']}, rescue {figures['longest rescue']}, ready {figures['time to ready']}", flush=True)
        except (ScenarioFailure, AssertionError, asyncpg.PostgresError, OSError, subprocess.SubprocessError) as error:
            failures += 1
            figures = {"scenario": name, "result": f"FAILED: {error}", "seconds": time.monotonic() - started}
            print(f"    FAILED after {figures['seconds']:.0f} s: {error}", flush=True)
        finally:
            run.stop_leftovers()
        results.append(figures)
    scan_logs_and_metrics(run)
    made = " nor of the end users' service account's token and key or the seal key" if "seal key (base64)" in run.secrets.needles else ""
    secrets_line = (f"0 occurrences of the canary token, second token or private key (PEM, hex, base64){made} in "
                    f"{len(run.logs)} logs, every job row, {len(run.metrics)} metrics scrapes and the error output"
                    if not run.leaks else "LEAKED: " + "; ".join(f"{name} in {sorted(places)}" for name, places in run.leaks.items()))
    print(f"==> chaos: secrets: {secrets_line}")
    if run.leaks:
        failures += 1
    table = ["| scenario | result | jobs | faults injected | lost | duplicated | longest rescue | time to ready | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for figures in results:
        table.append("| {scenario} | {result} | {jobs} | {faults} | {lost} | {duplicated} | {rescue} | {ready} | {seconds:.0f} |".format(
            scenario=figures["scenario"], result=figures["result"], jobs=figures.get("jobs", "—"), faults=figures.get("faults", "—"),
            lost=figures.get("lost", "—"), duplicated=figures.get("duplicated", "—"), rescue=figures.get("longest rescue", "—"),
            ready=figures.get("time to ready", "—"), seconds=figures["seconds"]))
    table.append(f"| secrets | {'passed' if not run.leaks else 'FAILED'} | all | canary token and key in every scenario | — | — | — | — | — |")
    print("\n".join(table))
    if arguments.report:
        with open(arguments.report, "w") as report:
            report.write("\n".join(table) + "\n\n" + secrets_line + "\n")
            report.write(f"\nMachine: {os.cpu_count()} cores, {platform.machine()}, {platform.platform()}\n")
    print(f"==> chaos: {len(results) - failures if failures <= len(results) else 0} of {len(results)} scenarios passed"
          + ("" if not failures else f"; {failures} promise(s) broken"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
