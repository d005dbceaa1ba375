"""Processes and checks shared by the chaos scenarios: a PostgreSQL cluster that can be restarted, the simulator,
worker processes, the end-of-scenario verification and the secret scan.

Everything runs for real: `dfns-worker run`/`drain` processes against PostgreSQL and the simulator over HTTP.
"""
import asyncio
import base64
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

TERMINAL = ("succeeded", "failed", "cancelled")


class ScenarioFailure(Exception):
    """A broken promise: the scenario prints it and `ops/chaos` exits non-zero."""


def require(condition, message):
    if not condition:
        raise ScenarioFailure(message)


class Cluster:
    """The throwaway PostgreSQL cluster ops/lib.sh started (PG_DATA, PG_BIN), restartable with pg_ctl."""

    def __init__(self, dsn, pg_bin, pg_data):
        self.dsn = dsn
        self.pg_ctl = os.path.join(pg_bin, "pg_ctl")
        self.pg_data = pg_data

    def _pg_ctl(self, *args):
        command = [self.pg_ctl, "-D", self.pg_data, *args]
        if os.geteuid() == 0:
            command = ["su", "postgres", "-c", " ".join(command)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_fast(self):
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start(self):
        self._pg_ctl("-l", os.path.join(self.pg_data, "server.log"), "-w", "start")

    def database_url(self, name):
        base, _, query = self.dsn.partition("?")
        return base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")

    async def fresh_database(self, name):
        """Drops and creates database `name`; returns its URL."""
        admin = await asyncpg.connect(self.dsn.split("?")[0])
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        return self.database_url(name)


class Secrets:
    """The canary credentials every scenario runs with, and the forms in which they must never appear."""

    def __init__(self, binary, workdir):
        self.token = "canary-token-" + os.urandom(12).hex()
        self.second_token = "canary-token-" + os.urandom(12).hex()
        self.cred_id = "cr-chaos-canary"
        key_dir = os.path.join(workdir, "key")
        subprocess.run([binary, "keygen", "--algorithm", "p256", "--out", key_dir], check=True, stdout=subprocess.DEVNULL)
        self.private_key_file = os.path.join(key_dir, "private.pem")
        self.public_key_file = os.path.join(key_dir, "public.pem")
        self.needles = {"auth token": self.token, "second auth token": self.second_token}
        self.pem_fragments = {}
        self.add_key("private key", self.private_key_file)

    def add(self, name, value):
        """Another secret a scenario made (a service account's token, a seal key), searched for from now on."""
        self.needles[name] = value

    def add_key(self, name, private_key_file):
        """A P-256 private key, in the forms it could leak: PEM body, any 40 characters of it, the scalar encoded."""
        pem = open(private_key_file, "rb").read()
        key = serialization.load_pem_private_key(pem, password=None)
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        der_body = b"".join(line for line in pem.splitlines() if not line.startswith(b"-----"))
        self.needles.update({
            f"{name} PEM body": der_body.decode(),
            f"{name} scalar (hex)": scalar.hex(),
            f"{name} scalar (base64url)": base64.urlsafe_b64encode(scalar).rstrip(b"=").decode(),
            f"{name} scalar (base64)": base64.b64encode(scalar).decode(),
        })
        # Any 40-character run of the PEM body is enough to leak it, except runs every such key shares (the PKCS#8
        # header of a P-256 key is 48 constant characters), which would match any other key.
        other = ec.generate_private_key(key.curve).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        other_body = b"".join(line for line in other.splitlines() if not line.startswith(b"-----"))
        self.pem_fragments[name] = [der_body[i:i + 40].decode() for i in range(0, len(der_body) - 40, 40)
                                    if der_body[i:i + 40] not in other_body]

    def find(self, text):
        """Names of the secrets that occur in `text`."""
        found = [name for name, needle in self.needles.items() if needle in text]
        for name, fragments in self.pem_fragments.items():
            if any(fragment in text for fragment in fragments) and f"{name} PEM body" not in found:
                found.append(f"{name} PEM fragment")
        return found


def http(method, url, body=None, timeout=5):
    """One HTTP call; returns (status, text). Connection errors return (None, reason)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, OSError) as error:
        return None, str(error)


def wait_for_address(log_path, pattern, seconds=30):
    """The first http://host:port in `log_path` on a line matching `pattern`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(log_path):
            for line in open(log_path, errors="replace"):
                if pattern in line:
                    match = re.search(r"http://[0-9.]+:[0-9]+", line)
                    if match:
                        return match.group(0)
        time.sleep(0.05)
    raise ScenarioFailure(f"no address in {log_path} after {seconds} s:\n" + open(log_path, errors="replace").read()[-2000:])


class Simulator:
    """`dfns-worker simulator` on a free port with the canary credential, both canary tokens accepted."""

    def __init__(self, binary, secrets, log_path, extra=()):
        self.log_path = log_path
        command = [binary, "simulator", "--port", "0", "--auth-token", secrets.token, "--auth-token", secrets.second_token,
                   "--credential", f"{secrets.cred_id}={secrets.public_key_file}", "--log-level", "warning", *extra]
        self.process = subprocess.Popen(command, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT)
        self.url = wait_for_address(log_path, "listening")
        require(self.url.startswith("http://127.0.0.1:"), f"the simulator binds {self.url}, not loopback")

    def stats(self):
        status, text = http("GET", self.url + "/_sim/stats")
        require(status == 200, f"simulator stats: {status} {text}")
        return json.loads(text)

    def set_faults(self, plan):
        rules = {endpoint: {"serverErrorRate": 0, "latencyMilliseconds": 0, "rateLimitBurstRate": 0,
                            "rateLimitBurstLength": 3, "lostAfterCommitRate": 0, **rule} for endpoint, rule in plan.items()}
        status, text = http("PUT", self.url + "/_sim/faults", rules)
        require(status == 200, f"simulator faults: {status} {text}")

    def forbid(self, wallet_ids):
        """Transfers from these wallets are answered 403 (a permission scoped to other wallets)."""
        status, text = http("PUT", self.url + "/_sim/forbidden-wallets", list(wallet_ids))
        require(status == 200, f"simulator forbid: {status} {text}")

    def revoke(self, tokens):
        status, text = http("PUT", self.url + "/_sim/revoked-tokens", list(tokens))
        require(status == 200, f"simulator revoke: {status} {text}")

    def transfers(self):
        return json.loads(http("GET", self.url + "/_sim/transfers", timeout=30)[1])["items"]

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


class TcpProxy:
    """A TCP proxy to PostgreSQL on its own thread and event loop, so blocking scenario code never stalls it; `cut()`
    drops every connection and refuses new ones (a network partition of the workers that use it), `restore()` ends it."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.is_cut = False
        self.connections = set()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        server = asyncio.run_coroutine_threadsafe(asyncio.start_server(self._handle, "127.0.0.1", 0), self.loop).result(10)
        self.port = server.sockets[0].getsockname()[1]

    async def _handle(self, reader, writer):
        if self.is_cut:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, upstream_writer)
        self.connections.add(pair)

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self.connections.discard(pair)

    def _cut(self):
        self.is_cut = True
        for client, upstream in list(self.connections):
            client.transport.abort()
            upstream.transport.abort()
        self.connections.clear()

    def cut(self):
        self.loop.call_soon_threadsafe(self._cut)

    def restore(self):
        self.loop.call_soon_threadsafe(setattr, self, "is_cut", False)

    def url(self, database_url):
        """`database_url` with its host and port replaced by the proxy's."""
        return re.sub(r"@[^/]+/", f"@127.0.0.1:{self.port}/", database_url, count=1)


class WorkerProcess:
    """One `dfns-worker run` process with its endpoint on a free port and JSON logs appended to `log_path`."""

    def __init__(self, binary, env, log_path, args=()):
        self.binary, self.env, self.log_path, self.args = binary, env, log_path, list(args)
        self.process = None
        self.address = None
        self.metrics_snapshots = []

    def start(self):
        mark = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        command = [self.binary, "run", "--http-port", "0", "--log-format", "json", *self.args]
        self.process = subprocess.Popen(command, env=self.env, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.log_path, errors="replace") as log:
                log.seek(mark)
                lines = [line for line in log.read().splitlines() if "metrics and health endpoint listening" in line]
            match = re.search(r"http://[0-9.]+:[0-9]+", lines[0]) if lines else None
            if match:
                self.address = match.group(0)
                require(self.address.startswith("http://127.0.0.1:"), f"the worker endpoint binds {self.address}, not loopback")
                return self
            require(self.process.poll() is None, f"worker exited at start with {self.process.returncode}; see {self.log_path}")
            time.sleep(0.05)
        raise ScenarioFailure(f"worker did not start; see {self.log_path}")

    @property
    def pid(self):
        return self.process.pid

    def ready(self):
        """(ready?, body) of /health/ready."""
        status, text = http("GET", self.address + "/health/ready", timeout=2)
        return status == 200, text

    def scrape(self):
        status, text = http("GET", self.address + "/metrics", timeout=5)
        if status == 200:
            self.metrics_snapshots.append(text)
        return text if status == 200 else ""

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def terminate(self, timeout=60):
        """SIGTERM; returns the seconds until the process exited and its exit code."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        return time.monotonic() - started, code

    def alive(self):
        return self.process is not None and self.process.poll() is None


def worker_env(database_url, simulator, secrets, requests_per_minute, token=None):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url, "DFNS_API_URL": simulator.url, "DFNS_AUTH_TOKEN": token or secrets.token,
        "DFNS_CRED_ID": secrets.cred_id, "DFNS_PRIVATE_KEY_FILE": secrets.private_key_file,
        "DFNS_REQUESTS_PER_MINUTE": str(requests_per_minute),
    })
    return env


def run_command(binary, args, env, log_path, timeout=600):
    """Runs a dfns-worker command to completion, appending its output to `log_path`; returns the exit code."""
    with open(log_path, "ab") as log:
        return subprocess.run([binary, *args], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=timeout).returncode


async def wait_until_settled(connection, seconds, poll=0.5, allow_waiting=False, on_tick=None):
    """Waits until every job is terminal (or waiting, when allowed); fails after `seconds`."""
    deadline = time.monotonic() + seconds
    settled = TERMINAL + (("waiting",) if allow_waiting else ())
    while True:
        open_jobs = await connection.fetchval("SELECT count(*) FROM dfns_worker.jobs WHERE state <> ALL($1::text[])", list(settled))
        if open_jobs == 0:
            return
        if on_tick:
            await on_tick()
        if time.monotonic() > deadline:
            rows = await connection.fetch("SELECT state, count(*) FROM dfns_worker.jobs GROUP BY state")
            raise ScenarioFailure(f"{open_jobs} jobs still open after {seconds} s: {dict((r[0], r[1]) for r in rows)}")
        await asyncio.sleep(poll)


async def verify(connection, simulator, expected_jobs, expect_all_succeeded=True, outside_wallets=0):
    """The checks every scenario ends with. Returns (lost, duplicated, counts by state). `outside_wallets`: wallets
    made at Dfns without a job and without an externalId (an end user's registration makes theirs)."""
    rows = await connection.fetch("SELECT state, count(*) FROM dfns_worker.jobs GROUP BY state")
    states = {row[0]: row[1] for row in rows}
    total = sum(states.values())
    lost = expected_jobs - total
    require(lost == 0, f"{lost} jobs lost: {total} rows for {expected_jobs} inserted")
    open_jobs = {state: count for state, count in states.items() if state not in TERMINAL}
    require(not open_jobs, f"jobs not terminal: {open_jobs}")
    if expect_all_succeeded:
        failures = await connection.fetch(
            "SELECT id, kind, last_error::text FROM dfns_worker.jobs WHERE state <> 'succeeded' ORDER BY id LIMIT 5")
        require(not failures, f"{total - states.get('succeeded', 0)} jobs did not succeed, e.g. {[tuple(f) for f in failures]}")
    stats = simulator.stats()
    wallet_ids = await connection.fetch(
        "SELECT result->>'id' FROM dfns_worker.jobs WHERE kind = 'create_wallet' AND state = 'succeeded'")
    transfer_ids = await connection.fetch(
        "SELECT result->>'id' FROM dfns_worker.jobs WHERE kind = 'transfer' AND state = 'succeeded'")
    duplicated = {
        "wallets with a repeated externalId": stats["walletsWithExternalId"] - stats["distinctWalletExternalIds"],
        "wallets without an externalId": stats["walletsCreated"] - stats["walletsWithExternalId"] - outside_wallets,
        "wallets created beyond succeeded jobs": stats["walletsCreated"] - outside_wallets - len({row[0] for row in wallet_ids}),
        "transfers with a repeated externalId": stats["transfersWithExternalId"] - stats["distinctTransferExternalIds"],
        "transfers created beyond succeeded jobs": stats["transfersCreated"] - len({row[0] for row in transfer_ids}),
        "jobs sharing a wallet id": len(wallet_ids) - len({row[0] for row in wallet_ids}),
        "jobs sharing a transfer id": len(transfer_ids) - len({row[0] for row in transfer_ids}),
    }
    broken = {name: count for name, count in duplicated.items() if count != 0}
    require(not broken, f"duplicates at the simulator: {broken}")
    return lost, sum(max(0, count) for name, count in duplicated.items() if "repeated" in name), states


async def scan_rows(connection, secrets):
    """Secrets found in any job row (payload, result, errors, checkpoint) or in the kinds table."""
    found = set()
    async with connection.transaction():
        async for row in connection.cursor("SELECT j::text FROM dfns_worker.jobs j UNION ALL SELECT k::text FROM dfns_worker.job_kinds k"):
            found.update(secrets.find(row[0]))
    return found
