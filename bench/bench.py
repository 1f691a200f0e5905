#!/usr/bin/env python3
"""`make bench` and `make bench-smoke`: cognito-fcgi under load, beside its ceiling and its reference.

In one run, on loopback only, every load bounded in time, and everything it started stopped by PID at the end
(also on Ctrl-C, on an error and at the overall deadline):

- **ours**: nginx (deploy/cognito-fcgi-locations.conf, rendered as `make run` renders it) in front of
  `cognito-fcgi serve --processes 1 --threads 8` (a supervisor and one worker), the production layout;
- **ceiling**: the same nginx and the same workers answering `GET /ping`, which the accept loop answers before
  the service (no store, no crypto, no log line): what nginx + libfcgi + the accept loop can do at all;
- **moto**: moto_server (bench/requirements.txt, in .venv-bench) with the same pool, client and users.

Users are written straight into our store (bench/store_seed.py: the exact record format, one shared Argon2id
hash) with the workers stopped, then read back through AdminGetUser/ListUsers; moto gets the same users in its
in-memory backend (bench/moto_seeded.py). wrk (bench/wrk/requests.lua) drives each operation at each connection
count. One table comes out: req/s, p50, p99, 4xx/5xx responses per system and operation; ours/ceiling (each of
our runs against a ceiling run made just before it, outside smoke runs) and ours/moto; CPU per request of the workers and of nginx; the median time inside the worker (from its access log);
how much of the machine's CPU other processes took during the run. Then the KDF bound for the operations that hash
a password (cores ÷ one hash's CPU time, measured just before and just after each of their runs), the time of one durable write, and the workers' and moto's memory afterwards. With more than 1,000
users, GetUser and AdminGetUser also run on a second pool of 1,000 users, for the same-run comparison.
docs/BENCHMARKS.md has a run and what it means.

Settings (environment):
  BENCH_BIN          the cognito-fcgi binary (bench/run.sh builds `make dist`'s into .build-dist/bench; bench.py run
                     alone defaults to .build/release/cognito-fcgi)
  BENCH_SECONDS      seconds per wrk run (default 5; smoke 2)
  BENCH_USERS        users to seed (default 1000; smoke 200)
  BENCH_CONNECTIONS  comma-separated connection counts (default 8,32; smoke 8)
  BENCH_OPS          comma-separated operations (default: all seven)
  BENCH_MOTO         0 to leave moto out (smoke: always out)
  BENCH_WRK_THREADS  wrk threads (default 2)
  BENCH_LOG_LEVEL    the workers' --log-level (default info, as production: one access line per request)
  BENCH_PERF         1: `perf record` the workers during each of our runs at the highest connection count and
                     print where their CPU went (needs perf; bench/perf_split.py splits it further)
  BENCH_JSON         also write every figure to this file
  BENCH_TIMEOUT      overall deadline in seconds, the build not included (default 900)
  BENCH_KEEP         1: keep the run's temp folder (data, logs, wrk specs)
  BENCH_GLIBC_TUNABLES  an experiment: GLIBC_TUNABLES for the workers (docs/BENCHMARKS.md, lever 10)
  BENCH_LAYOUT       an experiment: the workers' PROCESSESxTHREADS instead of production's 1x8 (e.g. 2x8)
  BENCH_NGINX_KEEPALIVE an experiment: N kept FastCGI connections per nginx worker instead of 32; 0 for none
  BENCH_DIR          an experiment: the folder the run's temp folder (data, sockets, logs) is made in, instead of
                     /tmp: e.g. another file system (docs/BENCHMARKS.md: ext4 with and without a journal)

usage: bench/bench.py [--smoke]
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sigv4  # noqa: E402
import store_seed  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LUA = ROOT / "bench" / "wrk" / "requests.lua"
RENDER = ROOT / "scripts" / "render-nginx-local.sh"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
VENV_PY = ROOT / ".venv-bench" / "bin" / "python"
TARGET = "AWSCognitoIdentityProviderService."
JSON_TYPE = "application/x-amz-json-1.1"
PASSWORD = "Bench-Passw0rd!"
NEW_PASSWORD = "Bench-Passw0rd!2"
WRONG_CODE = "000000"
SEEDED_CODE = "123456"  # the pending ForgotPassword code of every ConfirmForgotPassword user; never sent
ALL_OPS = ["GetUser", "DescribeUserPoolClient", "AdminGetUser", "UpdateUserAttributes", "SignUp", "InitiateAuth",
           "ConfirmForgotPassword"]
KDF_OPS = {"SignUp", "InitiateAuth"}


class BenchError(Exception):
    pass


class Deadline(BaseException):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return f"({path} does not exist)"


# ---- /proc ---------------------------------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return sorted(out)


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    return total


def machine_cpu() -> tuple[float, float, float]:
    """(busy, steal, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    total = sum(fields[:8])
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK, total / CLK_TCK


def memory_kib(pid: int) -> dict[str, int] | None:
    """VmRSS (now), VmHWM (peak), RssAnon and RssFile (shared libraries and the binary) of `pid`, in KiB."""
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[name] = int(value.split()[0])
    except OSError:
        return None
    return out


# ---- processes -----------------------------------------------------------------------------------------------------

class Processes:
    """Everything this run started, each the leader of its own session; stopped in reverse order, by PID."""

    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen, int]] = []

    def start(self, label: str, argv: list[str], log_path: Path, *, stop_signal: int = signal.SIGTERM,
              env: dict | None = None) -> subprocess.Popen:
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=env)
        self.started.append((label, proc, stop_signal))
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 15.0) -> None:
        for i, (label, p, sig) in enumerate(self.started):
            if p is proc:
                self._stop_one(label, p, sig, timeout)
                del self.started[i]
                return

    def stop_all(self) -> None:
        while self.started:
            label, p, sig = self.started.pop()
            self._stop_one(label, p, sig, 15.0)

    @staticmethod
    def _stop_one(label: str, proc: subprocess.Popen, sig: int, timeout: float) -> None:
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(f"{label} (pid {proc.pid}) ignored signal {sig} for {timeout} s: SIGKILL to its process group")
        # Anything left in the group it leads (nginx workers, worker processes) was started by us.
        for _ in range(50):
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


# ---- HTTP ----------------------------------------------------------------------------------------------------------

class Endpoint:
    """JSON-protocol calls to one system (through nginx for ours, direct for moto)."""

    def __init__(self, port: int, access_key: str, secret: str):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.access_key = access_key
        self.secret = secret
        self._keys: dict = {}

    def signed_headers(self, op: str, body: bytes) -> dict[str, str]:
        return sigv4.sign_json_post(self.host, TARGET + op, body, self.access_key, self.secret, key_cache=self._keys)

    @staticmethod
    def public_headers(op: str) -> dict[str, str]:
        return {"Content-Type": JSON_TYPE, "X-Amz-Target": TARGET + op}

    def call(self, op: str, params: dict, *, signed: bool, timeout: float = 30) -> tuple[int, dict]:
        body = json.dumps(params).encode()
        headers = self.signed_headers(op, body) if signed else {**self.public_headers(op), "Host": self.host}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            return resp.status, json.loads(data) if data else {}
        except ValueError:
            return resp.status, {"__raw": data[:200].decode(errors="replace")}

    def must(self, op: str, params: dict, *, signed: bool) -> dict:
        status, out = self.call(op, params, signed=signed)
        if status != 200:
            raise BenchError(f"{op} on port {self.port}: HTTP {status} {out}")
        return out

    def get(self, path: str, timeout: float = 5) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Host": self.host})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()


def lua_string(s: str) -> str:
    """A Lua string literal of `s`'s UTF-8 bytes (decimal escapes for quotes, backslashes and non-printables)."""
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in (0x22, 0x5C) else f"\\{b:03d}"
                         for b in s.encode()) + '"'


def lua_spec(run: str, items: list[dict]) -> str:
    """The Lua table bench/wrk/requests.lua reads."""
    out = [f"return {{ run = {lua_string(run)}, items = {{"]
    for item in items:
        parts = [f"method = {lua_string(item.get('method', 'POST'))}", f"path = {lua_string(item.get('path', '/'))}"]
        headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in item.get("headers", {}).items())
        parts.append(f"headers = {{ {headers} }}")
        if "parts" in item:
            parts.append(f"parts = {{ {lua_string(item['parts'][0])}, {lua_string(item['parts'][1])} }}")
        elif "body" in item:
            parts.append(f"body = {lua_string(item['body'])}")
        out.append("  { " + ", ".join(parts) + " },")
    out.append("} }")
    return "\n".join(out) + "\n"


# ---- the systems ---------------------------------------------------------------------------------------------------

@dataclass
class System:
    name: str
    endpoint: Endpoint
    pool_id: str = ""
    client_id: str = ""
    tokens: list[str] = field(default_factory=list)
    users: int = 0
    pids: list[int] = field(default_factory=list)       # whose CPU counts as "worker" (ours) / "moto"
    nginx_pids: list[int] = field(default_factory=list)
    log_path: Path | None = None


class Bench:
    def __init__(self, smoke: bool):
        self.smoke = smoke
        self.binary = Path(os.environ.get("BENCH_BIN") or ROOT / ".build" / "release" / "cognito-fcgi")
        self.seconds = env_int("BENCH_SECONDS", 2 if smoke else 5)
        self.users = env_int("BENCH_USERS", 200 if smoke else 1000)
        conns = os.environ.get("BENCH_CONNECTIONS", "").strip() or ("8" if smoke else "8,32")
        self.connections = [int(c) for c in conns.split(",") if c.strip()]
        ops = os.environ.get("BENCH_OPS", "").strip()
        self.ops = [o.strip() for o in ops.split(",") if o.strip()] if ops else list(ALL_OPS)
        unknown = set(self.ops) - set(ALL_OPS)
        if unknown:
            raise BenchError(f"BENCH_OPS: unknown operations {sorted(unknown)}; known: {ALL_OPS}")
        self.with_moto = not smoke and os.environ.get("BENCH_MOTO", "1") != "0"
        self.wrk_threads = env_int("BENCH_WRK_THREADS", 2)
        self.log_level = os.environ.get("BENCH_LOG_LEVEL", "info")
        self.perf = os.environ.get("BENCH_PERF") == "1" and shutil.which("perf") is not None
        self.keep = os.environ.get("BENCH_KEEP") == "1"
        self.dir = Path(tempfile.mkdtemp(prefix="cognito-bench-", dir=os.environ.get("BENCH_DIR") or "/tmp"))
        self.procs = Processes()
        self.results: list[dict] = []
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.run_counter = 0
        # Users 0..T-1 sign in once for GetUser/UpdateUserAttributes tokens; InitiateAuth cycles over the users
        # after them; ConfirmForgotPassword over the last half, at most 2,000 (their records carry a pending code).
        self.token_users = max(4, min(64, self.users // 8))
        self.cfp_first = self.users - min(self.users // 2, 2000)
        self.ours: System | None = None
        self.ours_small: System | None = None
        self.moto: System | None = None
        self.worker_proc: subprocess.Popen | None = None
        self.durable: float | None = None
        layout = os.environ.get("BENCH_LAYOUT", "1x8").lower().split("x")
        self.processes, self.threads = int(layout[0]), int(layout[1])

    # ---- ours --------------------------------------------------------------------------------------------------

    def start_workers(self) -> None:
        sock = self.dir / "worker.sock"
        argv = [str(self.binary), "serve", "--data", str(self.dir / "data"), "--socket", str(sock),
                "--processes", str(self.processes), "--threads", str(self.threads), "--issuer", f"http://127.0.0.1:{self.ours_port}",
                "--region", "us-east-1", "--log-level", self.log_level]
        env = None
        if os.environ.get("BENCH_GLIBC_TUNABLES"):
            # An experiment, not the production setup: e.g. glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=4194304
            # (docs/BENCHMARKS.md, lever 10). The supervisor passes its environment on to the workers.
            env = {**os.environ, "GLIBC_TUNABLES": os.environ["BENCH_GLIBC_TUNABLES"]}
        self.worker_proc = self.procs.start("workers", argv, self.dir / "worker.log", env=env)
        deadline = time.monotonic() + 30
        while not sock.is_socket():
            if self.worker_proc.poll() is not None:
                raise BenchError(f"the workers exited ({self.worker_proc.returncode}):\n{tail(self.dir / 'worker.log')}")
            if time.monotonic() > deadline:
                raise BenchError("no worker socket after 30 s")
            time.sleep(0.05)
        if self.ours:
            self.ours.pids = self.worker_pids(wait=True)

    def worker_pids(self, wait: bool = False) -> list[int]:
        """The processes that serve: the supervisor's children (`serve --socket` supervises even one worker), or
        the process started itself when it has none (a binary from before that, run with one process)."""
        assert self.worker_proc is not None
        for _ in range(100 if wait else 1):
            kids = children_of(self.worker_proc.pid)
            if len(kids) >= self.processes:
                return kids
            time.sleep(0.05)
        return children_of(self.worker_proc.pid) or [self.worker_proc.pid]

    def stop_workers(self) -> None:
        assert self.worker_proc is not None
        self.procs.stop(self.worker_proc)
        if self.worker_proc.returncode not in (0, None):
            raise BenchError(f"workers exited with {self.worker_proc.returncode} on SIGTERM")
        self.worker_proc = None

    def start_ours(self) -> None:
        if not self.binary.is_file():
            raise BenchError(f"{self.binary} does not exist (swift build -c release --product cognito-fcgi)")
        data = self.dir / "data"
        done = subprocess.run([str(self.binary), "keys", "create", "--data", str(data)], capture_output=True,
                              text=True, timeout=60, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise BenchError(f"keys create: {done.stdout}{done.stderr}")
        fields = dict(re.findall(r"^(AccessKeyId|SecretAccessKey):\s*(\S+)\s*$", done.stdout, re.M))
        self.ours_port = free_port()
        self.ours = System("ours", Endpoint(self.ours_port, fields["AccessKeyId"], fields["SecretAccessKey"]),
                           log_path=self.dir / "worker.log")
        self.start_workers()
        prefix = self.dir / "nginx"
        subprocess.run(["bash", str(RENDER), str(prefix), str(self.ours_port), str(self.dir / "worker.sock")],
                       check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        keepalive = os.environ.get("BENCH_NGINX_KEEPALIVE")
        if keepalive is not None and keepalive.isdigit():
            # An experiment, not the production setup: another number of kept FastCGI connections per nginx
            # worker, or 0 for none at all (a connection per request, fastcgi_keep_conn off).
            conf = (prefix / "nginx.conf").read_text()
            if int(keepalive) == 0:
                locations = (ROOT / "deploy" / "cognito-fcgi-locations.conf").read_text()
                locations = locations.replace("fastcgi_keep_conn on;", "fastcgi_keep_conn off;")
                (prefix / "locations-no-keepalive.conf").write_text(locations)
                conf = conf.replace(str(ROOT / "deploy" / "cognito-fcgi-locations.conf"),
                                    str(prefix / "locations-no-keepalive.conf"))
                conf = re.sub(r"keepalive \d+;", "", conf)
                self.notes.append("EXPERIMENT: no FastCGI keep-alive (a connection per request); not the production setup")
            else:
                conf = re.sub(r"keepalive \d+;", f"keepalive {int(keepalive)};", conf)
                self.notes.append(f"EXPERIMENT: nginx keeps {int(keepalive)} FastCGI connections per nginx worker "
                                  "(production: 32)")
            (prefix / "nginx.conf").write_text(conf)
        nginx = self.procs.start(
            "nginx", [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "logs/error.log")],
            prefix / "logs" / "stderr.log", stop_signal=signal.SIGQUIT)
        deadline = time.monotonic() + 30
        while True:
            if nginx.poll() is not None:
                raise BenchError(f"nginx exited ({nginx.returncode}):\n{tail(prefix / 'logs/error.log')}")
            try:
                if self.ours.endpoint.get("/ping") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise BenchError("nginx did not answer GET /ping with 200 within 30 s "
                                 "(a worker binary without the /ping route?)")
            time.sleep(0.05)
        self.ours.nginx_pids = [nginx.pid] + children_of(nginx.pid)

    def create_pool(self, name: str) -> tuple[str, str]:
        ep = self.ours.endpoint
        pool = ep.must("CreateUserPool", {"PoolName": name}, signed=True)["UserPool"]
        client = ep.must("CreateUserPoolClient", {
            "UserPoolId": pool["Id"], "ClientName": "bench",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}, signed=True)
        return pool["Id"], client["UserPoolClient"]["ClientId"]

    def write_users(self, pool_id: str, count: int, codes_from: int) -> None:
        phc = store_seed.argon2id_phc(PASSWORD)  # one hash for everyone: what each user's record would hold
        now = int(time.time())
        with store_seed.PoolWriter(self.dir / "data", pool_id) as writer:
            for i in range(count):
                name = f"user{i:06d}"
                writer.write_user(
                    name, {"email": f"{name}@bench.example", "email_verified": "true", "name": f"Bench User {i}"},
                    phc, now=now, forgot_password_code=SEEDED_CODE if i >= codes_from else None, fresh=True)

    def seed_ours(self) -> None:
        ours = self.ours
        assert ours is not None
        ep = ours.endpoint
        ours.pool_id, ours.client_id = self.create_pool("bench")
        # With many users, a second pool of 1,000 in the same store: GetUser and AdminGetUser run on both, in the
        # same run, to show whether a request's cost grows with the number of users.
        if self.users > 1000:
            small = System("ours-1k", ep, users=1000, log_path=ours.log_path)
            small.pool_id, small.client_id = self.create_pool("bench-1k")
            self.ours_small = small

        log(f"ours: seeding {self.users} users into the store (workers stopped)")
        self.stop_workers()
        t0 = time.monotonic()
        self.write_users(ours.pool_id, self.users, self.cfp_first)
        if self.ours_small:
            self.write_users(self.ours_small.pool_id, 1000, 1000)
        log(f"ours: {self.users} users written in {time.monotonic() - t0:.1f} s"
            + (" (and 1,000 in a second pool)" if self.ours_small else ""))
        self.start_workers()
        ours.users = self.users
        if self.ours_small:
            self.ours_small.pids = ours.pids
            self.ours_small.nginx_pids = ours.nginx_pids

        # The service reads them: AdminGetUser of a sample, ListUsers' first page, the record count.
        sample = random.Random(1).sample(range(self.users), min(20, self.users))
        for i in sample:
            got = ep.must("AdminGetUser", {"UserPoolId": ours.pool_id, "Username": f"user{i:06d}"}, signed=True)
            attrs = {a["Name"]: a["Value"] for a in got.get("UserAttributes", [])}
            if attrs.get("email") != f"user{i:06d}@bench.example" or got.get("UserStatus") != "CONFIRMED":
                raise BenchError(f"AdminGetUser user{i:06d} does not match what was seeded: {got}")
        page = ep.must("ListUsers", {"UserPoolId": ours.pool_id, "Limit": 60}, signed=True)
        if len(page.get("Users", [])) != min(60, self.users):
            raise BenchError(f"ListUsers returned {len(page.get('Users', []))} users")
        files = sum(1 for _ in (self.dir / "data" / "pools" / store_seed.file_key(ours.pool_id) / "users").iterdir())
        log(f"ours: verified ({len(sample)} AdminGetUser, ListUsers page of {len(page['Users'])}, {files} records)")

    # ---- moto --------------------------------------------------------------------------------------------------

    def start_moto(self) -> None:
        if not VENV_PY.exists():
            raise BenchError(f"{VENV_PY} missing: run bench/install.sh")
        port = free_port()
        ids_path = self.dir / "moto-ids.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        proc = self.procs.start(
            "moto", [str(VENV_PY), str(ROOT / "bench" / "moto_seeded.py"), "--port", str(port),
                     "--users", str(self.users), "--password", PASSWORD, "--out", str(ids_path)],
            self.dir / "moto.log", env=env)
        log(f"moto: seeding {self.users} users in its backend, then moto_server on port {port}")
        ep = Endpoint(port, "bench", "bench")
        deadline = time.monotonic() + max(120, self.users / 200)
        while True:
            if proc.poll() is not None:
                raise BenchError(f"moto exited ({proc.returncode}):\n{tail(self.dir / 'moto.log')}")
            if ids_path.exists():
                try:
                    ep.get("/moto-api/", timeout=2)
                    break
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise BenchError("moto did not come up in time")
            time.sleep(0.1)
        ids = json.loads(ids_path.read_text())
        log(f"moto: seeded in {ids['SeedSeconds']:.1f} s")
        self.moto = System("moto", ep, pool_id=ids["UserPoolId"], client_id=ids["ClientId"], users=self.users,
                           pids=[proc.pid])
        got = ep.must("DescribeUserPoolClient", {"UserPoolId": self.moto.pool_id, "ClientId": self.moto.client_id},
                      signed=True)
        if got["UserPoolClient"]["ClientId"] != self.moto.client_id:
            raise BenchError("moto: DescribeUserPoolClient does not match")
        for i in random.Random(1).sample(range(self.users), min(20, self.users)):
            got = ep.must("AdminGetUser", {"UserPoolId": self.moto.pool_id, "Username": f"user{i:06d}"}, signed=True)
            if got.get("UserStatus") != "CONFIRMED":
                raise BenchError(f"moto: user{i:06d} is {got.get('UserStatus')}")
        page = ep.must("ListUsers", {"UserPoolId": self.moto.pool_id, "Limit": 60}, signed=True)
        log(f"moto: verified (AdminGetUser sample, ListUsers page of {len(page.get('Users', []))})")

    # ---- tokens ------------------------------------------------------------------------------------------------

    def sign_in(self, system: System, count: int) -> list[str]:
        def one(i: int) -> str:
            out = system.endpoint.must("InitiateAuth", {
                "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": system.client_id,
                "AuthParameters": {"USERNAME": f"user{i:06d}", "PASSWORD": PASSWORD}}, signed=False)
            return out["AuthenticationResult"]["AccessToken"]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            return list(pool.map(one, range(count)))

    def implemented(self, system: System, op: str) -> bool:
        status, out = system.endpoint.call(op, {}, signed=op in ("DescribeUserPoolClient", "AdminGetUser"))
        return not (status == 400 and out.get("__type") == "UnknownOperationException")

    # ---- requests per operation --------------------------------------------------------------------------------

    def items(self, system: System, op: str) -> list[dict]:
        ep = system.endpoint
        host = {"Host": ep.host}
        public = {**ep.public_headers(op), **host}
        rng = random.Random(f"{system.name}/{op}/{self.run_counter}")

        def signed(params: dict) -> dict:
            body = json.dumps(params, separators=(",", ":"))
            return {"headers": ep.signed_headers(op, body.encode()), "body": body}

        if op == "GetUser":
            return [{"headers": public, "body": json.dumps({"AccessToken": t})} for t in system.tokens]
        if op == "UpdateUserAttributes":
            return [{"headers": public,
                     "parts": ('{"AccessToken":"%s","UserAttributes":[{"Name":"name","Value":"' % t, '"}]}')}
                    for t in system.tokens]
        if op == "DescribeUserPoolClient":
            return [signed({"UserPoolId": system.pool_id, "ClientId": system.client_id})]
        if op == "AdminGetUser":
            names = rng.sample(range(system.users), min(1000, system.users))
            return [signed({"UserPoolId": system.pool_id, "Username": f"user{i:06d}"}) for i in names]
        if op == "SignUp":
            return [{"headers": public, "parts": (
                '{"ClientId":"%s","Username":"su-' % system.client_id,
                '","Password":"%s","UserAttributes":[{"Name":"email","Value":"signup@bench.example"}]}' % PASSWORD)}]
        if op == "InitiateAuth":
            # At most 2,000 distinct users (the spec stays a small Lua file); each sign-in adds a refresh-token
            # record to its user, so spreading them keeps every user's record small.
            names = rng.sample(range(self.token_users, self.cfp_first), min(2000, self.cfp_first - self.token_users))
            return [{"headers": public, "body": json.dumps({
                "AuthFlow": "USER_PASSWORD_AUTH", "ClientId": system.client_id,
                "AuthParameters": {"USERNAME": f"user{i:06d}", "PASSWORD": PASSWORD}})} for i in names]
        if op == "ConfirmForgotPassword":
            names = list(range(self.cfp_first, system.users))
            rng.shuffle(names)
            return [{"headers": public, "body": json.dumps({
                "ClientId": system.client_id, "Username": f"user{i:06d}", "ConfirmationCode": WRONG_CODE,
                "Password": NEW_PASSWORD})} for i in names]
        raise AssertionError(op)

    def expected_status(self, system: System, op: str) -> int:
        # A wrong code is CodeMismatchException in AWS and here; moto does not check codes and answers 200.
        return 400 if op == "ConfirmForgotPassword" and system.name == "ours" else 200

    def reset_codes(self) -> None:
        """Gives the ConfirmForgotPassword users fresh pending codes (0 attempts) before each of our runs, under
        the pool's exclusive lock, so that every wrong code is counted and written (CodeMismatchException), not
        refused unwritten after the fifth (LimitExceededException)."""
        ours = self.ours
        assert ours is not None
        now = int(time.time())
        with store_seed.PoolWriter(self.dir / "data", ours.pool_id) as writer:
            for i in range(self.cfp_first, ours.users):
                writer.reset_forgot_password_code(f"user{i:06d}", SEEDED_CODE, now)

    # ---- one wrk run -------------------------------------------------------------------------------------------

    def wrk(self, system: System, op: str, conns: int, items: list[dict], path: str = "/",
            label: str | None = None) -> dict | None:
        """One wrk run of `op`; its result is filed under `label` (default: `op`)."""
        self.run_counter += 1
        run = f"r{self.run_counter}x{random.randrange(1 << 30):x}"
        spec = self.dir / f"spec-{self.run_counter}-{system.name}-{op}-{conns}.lua"
        spec.write_text(lua_spec(run, items))
        url = f"http://127.0.0.1:{system.endpoint.port}{path}"
        argv = ["wrk", "-t", str(min(self.wrk_threads, conns)), "-c", str(conns), "-d", f"{self.seconds}s",
                "--timeout", "10s", "--latency", "-s", str(LUA), url, "--", str(min(self.wrk_threads, conns))]
        log_offset = system.log_path.stat().st_size if system.log_path and system.log_path.exists() else 0
        cpu_pids = list(system.pids)
        nginx_pids = list(system.nginx_pids)
        everything = sorted(set(cpu_pids + nginx_pids + (self.ours.pids + self.ours.nginx_pids if self.ours else [])
                                + (self.moto.pids if self.moto else [])))
        cpu0, ngx0, all0 = cpu_seconds(cpu_pids), cpu_seconds(nginx_pids), cpu_seconds(everything)
        mach0 = machine_cpu()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        perf = None
        if self.perf and system.name == "ours" and conns == max(self.connections) and op != "ping":
            perf_data = self.dir / f"perf-{op}.data"
            perf = subprocess.Popen(
                ["perf", "record", "-F", "499", "-g", "-o", str(perf_data), "-p", ",".join(map(str, cpu_pids)),
                 "--", "sleep", str(max(1, self.seconds - 1))],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=self.seconds + 60,
                              env={**os.environ, "BENCH_SPEC": str(spec)}, stdin=subprocess.DEVNULL)
        wall = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu1, ngx1, all1 = cpu_seconds(cpu_pids), cpu_seconds(nginx_pids), cpu_seconds(everything)
        mach1 = machine_cpu()
        if perf is not None:
            perf.wait(timeout=60)
            self.perf_report(op, self.dir / f"perf-{op}.data")
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
        if done.returncode != 0 or line is None or "BENCH_SPEC" in done.stderr or "requests.lua" in done.stderr:
            self.failures.append(f"wrk failed ({done.returncode}) for {system.name} {op} c={conns}: "
                                 f"{done.stderr.strip()[-500:]}")
            log(f"{system.name:5} {op:23} c={conns:<3} wrk failed: {done.stderr.strip()[-300:]}")
            return None
        r = json.loads(line[len("BENCH_RESULT "):])
        n = max(1, r["requests"])
        r.update(system=system.name, op=label or op, conns=conns, rps=r["requests"] / (r["duration_us"] / 1e6),
                 wall=wall, errors=r["connect"] + r["read"] + r["write"] + r["timeout"], non2xx=r["status"],
                 expected_status=200 if op == "ping" else self.expected_status(system, op))
        r["server_cpu_us"] = (cpu1 - cpu0) / n * 1e6
        r["nginx_cpu_us"] = (ngx1 - ngx0) / n * 1e6 if nginx_pids else None
        r["wrk_cpu_us"] = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) / n * 1e6
        r["worker_us_p50"], r["error_types"] = self.worker_time(system, op, log_offset)
        # The machine's CPU during the run: what the benchmark's own processes used (workers, nginx, wrk, moto;
        # the workers also count when moto is measured, and so on), what everything else used (other people's
        # builds on a shared machine), and what the hypervisor took (steal), as fractions of all cores.
        ours_cpu = (all1 - all0) + (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        span = max(1e-6, mach1[2] - mach0[2])
        r["cpu_bench_pct"] = ours_cpu / span * 100
        r["cpu_other_pct"] = max(0.0, (mach1[0] - mach0[0]) - ours_cpu) / span * 100
        r["cpu_steal_pct"] = (mach1[1] - mach0[1]) / span * 100
        self.results.append(r)
        flag = ""
        if r["errors"]:
            flag += f"  socket errors/timeouts {r['errors']}"
        if r["non2xx"]:
            flag += f"  status>=400: {r['non2xx']}" + (" (expected)" if r["expected_status"] != 200 else "")
        log(f"{system.name:5} {label or op:23} c={conns:<3} {r['rps']:9.1f} req/s  p50 {r['p50_us'] / 1000:7.2f} ms  "
            f"p99 {r['p99_us'] / 1000:7.2f} ms{flag}")
        return r

    def worker_time(self, system: System, op: str, offset: int) -> tuple[float | None, dict[str, int]]:
        """From the workers' access lines for `op` written during the run: the median `us=` (accept to finish,
        lock waits included) and how many answered each error type."""
        if not system.name.startswith("ours") or system.log_path is None or op == "ping":
            return None, {}
        with open(system.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        times = []
        by_type: dict[str, list[int]] = collections.defaultdict(list)
        for m in re.finditer(r"\bop=(\S+) status=\d+ type=(\S+) us=(\d+)", text):
            if m.group(1) == op:
                times.append(int(m.group(3)))
                if m.group(2) != "-":
                    by_type[m.group(2)].append(int(m.group(3)))
        types = {k: {"count": len(v), "median_us": statistics.median(v)} for k, v in by_type.items()}
        return (statistics.median(times) if times else None), types

    def durable_write_ms(self, samples: int = 50) -> float:
        """Median time of one durable write as the store makes it (temp file, write, fsync, rename, fsync of the
        folder), in the store's own file system: the floor under every write an exclusive pool lock serializes."""
        folder = self.dir / "data" / "fsync-probe"
        folder.mkdir(exist_ok=True)
        payload = b"x" * 600
        times = []
        for i in range(samples):
            t0 = time.perf_counter()
            temp = folder / f".tmp.{os.getpid()}.{i}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, payload)
            os.fsync(fd)
            os.close(fd)
            os.rename(temp, folder / "record.json")
            dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            os.fsync(dfd)
            os.close(dfd)
            times.append(time.perf_counter() - t0)
        shutil.rmtree(folder, ignore_errors=True)
        return statistics.median(times) * 1000

    def perf_report(self, op: str, data: Path) -> None:
        """Where the workers' CPU went: by shared object (self time), then by function including callees."""
        demangle = shutil.which("swift-demangle") or "/opt/swift/usr/bin/swift-demangle"

        def report(*args: str) -> list[str]:
            done = subprocess.run(["perf", "report", "-i", str(data), "--stdio", *args], capture_output=True,
                                  text=True, timeout=180)
            text = done.stdout
            if Path(demangle).exists():
                text = subprocess.run([demangle, "--simplified"], input=text, capture_output=True, text=True,
                                      timeout=60).stdout or text
            return [" ".join(ln.split()) for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]

        print(f"\n--- perf: the workers during {op}: self time by object ---")
        print("\n".join(report("--no-children", "--sort", "dso", "-g", "none", "--percent-limit", "1")[:12]))
        print(f"--- perf: the workers during {op}: time including callees, by function (≥ 4 %) ---")
        print("\n".join(report("--children", "--sort", "symbol", "-g", "none", "--percent-limit", "4")[:45]))
        print()

    # ---- the whole run -----------------------------------------------------------------------------------------

    def kdf(self) -> dict:
        """The KDF bound: cores ÷ one Argon2id hash's CPU time (libargon2, the workers' parameters), and the rate
        `cores` threads reach together right now, which is lower when other processes want the CPU too."""
        times = store_seed.argon2id_times(7)
        cpu = statistics.median(c for _, c in times)
        wall = statistics.median(w for w, _ in times)
        cores = len(os.sched_getaffinity(0))
        return {"hash_cpu_ms": cpu * 1000, "hash_wall_ms": wall * 1000, "cores": cores, "bound_rps": cores / cpu,
                "measured_rps": store_seed.argon2id_parallel_rate(cores)}

    def wait_workers_idle(self, *, step: float, limit: float) -> list[int]:
        """Waits until the workers used no CPU for `step` seconds (they have answered everything nginx queued), or
        `limit` seconds at most; returns their pids."""
        workers = self.worker_pids()
        deadline = time.monotonic() + limit
        last = cpu_seconds(workers)
        while time.monotonic() < deadline:
            time.sleep(step)
            now = cpu_seconds(workers)
            if now - last < 0.01:
                break
            last = now
        return workers

    @staticmethod
    def hash_cpu_ms() -> float:
        """One Argon2id hash's CPU time now (median of 7, ~0.1 s), for a KDF bound paired with the run it brackets."""
        return statistics.median(c for _, c in store_seed.argon2id_times(7)) * 1000

    def run(self) -> int:
        started = time.monotonic()
        log(f"{'smoke' if self.smoke else 'bench'}: {self.binary}; {self.users} users; {self.seconds} s per run; "
            f"connections {self.connections}; ops {', '.join(self.ops)}; temp {self.dir}")
        load = os.getloadavg()
        machine = {"nproc": os.cpu_count(), "loadavg_before": load, "started": datetime.datetime.now().isoformat()}
        self.start_ours()
        self.seed_ours()
        ours = self.ours
        assert ours is not None
        if self.with_moto:
            self.start_moto()

        systems = [s for s in (ours, self.moto) if s is not None]
        missing = {}
        for s in systems:
            missing[s.name] = [op for op in self.ops if not self.implemented(s, op)]
            if missing[s.name]:
                msg = f"{s.name}: not implemented (UnknownOperationException): {', '.join(missing[s.name])}"
                self.notes.append(msg)
                log(msg)
                if self.smoke:
                    self.failures.append(msg)
        need_tokens = {"GetUser", "UpdateUserAttributes"} & set(self.ops)
        for s in systems:
            if need_tokens and "InitiateAuth" not in missing[s.name]:
                t0 = time.monotonic()
                s.tokens = self.sign_in(s, self.token_users)
                log(f"{s.name}: {len(s.tokens)} access tokens (InitiateAuth) in {time.monotonic() - t0:.1f} s")
            elif need_tokens:
                for op in need_tokens:
                    if op not in missing[s.name]:
                        missing[s.name].append(op)
                self.notes.append(f"{s.name}: GetUser/UpdateUserAttributes skipped: no InitiateAuth for tokens")

        if self.ours_small and "GetUser" in self.ops and "InitiateAuth" not in missing["ours"]:
            self.ours_small.tokens = self.sign_in(self.ours_small, self.token_users)

        kdf = self.kdf() if KDF_OPS & set(self.ops) else None
        if kdf:
            log(f"KDF: one Argon2id hash (m=19456 KiB, t=2, p=1) = {kdf['hash_cpu_ms']:.1f} ms CPU "
                f"({kdf['hash_wall_ms']:.1f} ms wall); bound = {kdf['cores']} cores / {kdf['hash_cpu_ms']:.1f} ms = "
                f"{kdf['bound_rps']:.1f} hashes/s; {kdf['cores']} threads hashing now: {kdf['measured_rps']:.1f}/s")

        durable = self.durable_write_ms() if {"UpdateUserAttributes", "ConfirmForgotPassword", "SignUp",
                                               "InitiateAuth"} & set(self.ops) else None
        if durable:
            log(f"durable write (temp, fsync, rename, folder fsync) in the store's file system: {durable:.2f} ms")
        self.durable = durable

        # Ceiling first, then each operation on each system (ours, then moto) at each connection count. Outside a
        # smoke run, each of our runs is paired with a ceiling run made just before it at the same connection count
        # ("ceiling:<op>"): its ours/ceiling ratio then compares two runs seconds apart, not one minutes apart, so
        # the machine's drift over the whole run (the ceiling alone moved by 20-30 % on this machine) stays out of it.
        ping = [{"method": "GET", "path": "/ping", "headers": {"Host": ours.endpoint.host}}]
        for c in self.connections:
            self.check(self.wrk(ours, "ping", c, ping, "/ping"))
        for op in self.ops:
            for s in systems:
                if op in missing[s.name]:
                    continue
                for c in self.connections:
                    if s is ours and not self.smoke:
                        paired = self.wrk(ours, "ping", c, ping, "/ping", label="ceiling:" + op)
                        self.check(paired)
                    if op == "ConfirmForgotPassword" and s.name == "ours":
                        self.reset_codes()
                    # The KDF bound paired the same way, and bracketed: one hash's time moved by up to a third
                    # within minutes here, so it is measured just before the run and just after it, and the run's
                    # bound uses their mean.
                    paired_kdf = s is ours and kdf and op in KDF_OPS
                    before_ms = self.hash_cpu_ms() if paired_kdf else None
                    result = self.wrk(s, op, c, self.items(s, op))
                    if result is not None and before_ms is not None:
                        # Not while the workers still answer what nginx queued before wrk stopped: that would time
                        # a hash beside theirs and lower the bound.
                        self.wait_workers_idle(step=0.1, limit=5)
                        after_ms = self.hash_cpu_ms()
                        result["kdf_hash_cpu_ms_before"] = before_ms
                        result["kdf_hash_cpu_ms_after"] = after_ms
                        result["kdf_hash_cpu_ms"] = (before_ms + after_ms) / 2
                    self.check(result)
                    time.sleep(0.3)
                    if s is ours and self.ours_small and op in ("GetUser", "AdminGetUser"):
                        self.check(self.wrk(self.ours_small, op, c, self.items(self.ours_small, op)))
                        time.sleep(0.3)

        rss: dict[str, dict | None] = {}
        if self.worker_proc:
            # "After the run": once the workers have finished the requests wrk left queued (nginx keeps feeding them
            # after wrk stops at 32 connections), i.e. when they used no CPU for 0.5 s, or after 10 s at most.
            workers = self.wait_workers_idle(step=0.5, limit=10)
            for pid in workers:
                rss[f"worker {pid}"] = memory_kib(pid)
            if workers != [self.worker_proc.pid]:
                rss[f"supervisor {self.worker_proc.pid}"] = memory_kib(self.worker_proc.pid)
        if self.moto:
            rss[f"moto {self.moto.pids[0]}"] = memory_kib(self.moto.pids[0])
        machine["loadavg_after"] = os.getloadavg()
        machine["seconds"] = time.monotonic() - started
        self.report(kdf, rss, machine)
        if os.environ.get("BENCH_JSON"):
            Path(os.environ["BENCH_JSON"]).write_text(json.dumps(
                {"machine": machine, "kdf": kdf, "durable_write_ms": self.durable, "rss_kib": rss, "results": self.results, "notes": self.notes,
                 "settings": {"users": self.users, "seconds": self.seconds, "connections": self.connections}},
                indent=2))
        if self.failures:
            print("\nFAILED:\n  " + "\n  ".join(self.failures))
            return 1
        return 0

    def check(self, r: dict | None) -> None:
        if r is None:
            return  # already a failure
        what = f"{r['system']} {r['op']} c={r['conns']}"
        problems = []
        if r["requests"] == 0:
            problems.append(f"{what}: no request completed")
        if r["errors"]:
            problems.append(f"{what}: {r['errors']} socket errors or timeouts")
        if r["non2xx"] and r["expected_status"] == 200:
            problems.append(f"{what}: {r['non2xx']} responses with status >= 400")
        if r["expected_status"] != 200 and r["non2xx"] < r["requests"]:
            problems.append(f"{what}: {r['requests'] - r['non2xx']} responses below 400 where "
                            f"{r['expected_status']} was expected")
        if r["system"] == "moto":
            self.notes.extend(problems)  # the reference's own failures are reported, not ours to fail on
        else:
            self.failures.extend(problems)

    # ---- the table ---------------------------------------------------------------------------------------------

    def report(self, kdf: dict | None, rss: dict, machine: dict) -> None:
        by = {(r["system"], r["op"], r["conns"]): r for r in self.results}

        def ms(us: float | None) -> str:
            return "-" if us is None else f"{us / 1000:.2f}"

        def num(v: float | None, fmt: str = "{:.0f}") -> str:
            return "-" if v is None else fmt.format(v)

        rows = []
        header = ["op", "conns", "ours req/s", "p50 ms", "p99 ms", "≥400", "ours/ceiling", "moto req/s", "p50 ms",
                  "p99 ms", "≥400", "ours/moto", "worker CPU µs/req", "nginx CPU µs/req", "in-worker p50 µs",
                  "others' CPU %"]
        for op in ["ping"] + self.ops:
            for c in self.connections:
                o = by.get(("ours", op, c))
                m = by.get(("moto", op, c))
                ceil = by.get(("ours", "ceiling:" + op, c)) or by.get(("ours", "ping", c))
                if o is None and m is None:
                    continue
                name = "ceiling (GET /ping)" if op == "ping" else op
                non2xx_o = "-" if o is None else str(o["non2xx"]) + ("*" if o["expected_status"] != 200 else "")
                rows.append([
                    name, str(c),
                    num(o and o["rps"]), ms(o and o["p50_us"]), ms(o and o["p99_us"]), non2xx_o,
                    "-" if (o is None or ceil is None or op == "ping") else f"{o['rps'] / ceil['rps'] * 100:.0f} %",
                    num(m and m["rps"]), ms(m and m["p50_us"]), ms(m and m["p99_us"]),
                    "-" if m is None else str(m["non2xx"]),
                    "-" if (o is None or m is None) else f"{o['rps'] / m['rps']:.1f}×",
                    num(o and o["server_cpu_us"]), num(o and o["nginx_cpu_us"]),
                    num(o and o["worker_us_p50"]),
                    "/".join(num(x and x["cpu_other_pct"]) for x in (o, m) if x is not None),
                ])
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
        print()
        print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
        print("-+-".join("-" * w for w in widths))
        for r in rows:
            print(" | ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
        print()
        print("≥400: responses with status 400 or above (wrk's \"Non-2xx or 3xx\" count); * = expected "
              "(ConfirmForgotPassword with a wrong code: CodeMismatchException; moto does not check codes).")
        print("worker CPU: user+system time of the worker processes per request (/proc/<pid>/stat); "
              "nginx CPU likewise for nginx's master and workers; in-worker: median `us=` of the access log "
              "(accept to finish, lock waits included).")
        print("others' CPU: share of the machine's CPU (all cores) used during the run by processes the benchmark "
              "did not start (ours run / moto's run); such load lowers every figure of that run.")
        paired = [r for r in self.results if r["op"].startswith("ceiling:")]
        if paired:
            spans = []
            for c in self.connections:
                rps = [r["rps"] for r in paired if r["conns"] == c] + [r["rps"] for r in self.results
                                                                        if r["op"] == "ping" and r["conns"] == c]
                if rps:
                    spans.append(f"{min(rps):.0f}-{max(rps):.0f} req/s at {c}")
            print("ours/ceiling: each of our runs against a ceiling run made just before it at the same connection "
                  f"count (the row above is the first of them); the {len(paired) + len(self.connections)} ceiling "
                  f"runs gave {', '.join(spans)}.")
        steal = [r["cpu_steal_pct"] for r in self.results]
        if steal and max(steal) >= 1:
            print(f"hypervisor steal during the runs: up to {max(steal):.0f} % of the CPU.")
        if kdf:
            print(f"\nKDF bound: one Argon2id hash (m=19456 KiB, t=2, p=1; libargon2 through ctypes) costs "
                  f"{kdf['hash_cpu_ms']:.1f} ms of CPU ({kdf['hash_wall_ms']:.1f} ms wall); {kdf['cores']} cores / "
                  f"{kdf['hash_cpu_ms']:.1f} ms = {kdf['bound_rps']:.1f} hashes/s. {kdf['cores']} threads hashing "
                  f"together reached {kdf['measured_rps']:.1f}/s just before the runs (the machine's other load).")
            print("  Each run's ratio uses the mean of one hash's time measured just before it and just after it "
                  "(median of 7 each), as the ceilings are paired: one hash took 14-19 ms within minutes on this "
                  "machine.")
            for op in sorted(KDF_OPS & set(self.ops)):
                for c in self.connections:
                    o = by.get(("ours", op, c))
                    if o:
                        hash_ms = o.get("kdf_hash_cpu_ms") or kdf["hash_cpu_ms"]
                        bound = kdf["cores"] / (hash_ms / 1000)
                        left = bound * (1 - o["cpu_other_pct"] / 100)
                        bracket = (f"{o['kdf_hash_cpu_ms_before']:.1f} ms before, {o['kdf_hash_cpu_ms_after']:.1f} "
                                   f"after" if "kdf_hash_cpu_ms_before" in o else "before the runs")
                        print(f"  {op} c={c}: {o['rps']:.1f} req/s = {o['rps'] / bound * 100:.0f} % of the KDF bound "
                              f"(one hash {hash_ms:.1f} ms ({bracket}): {bound:.1f}/s; {o['rps'] / left * 100:.0f} % "
                              f"of it on the CPU others left; {o['rps'] / kdf['bound_rps'] * 100:.0f} % of the bound "
                              f"and {o['rps'] / kdf['measured_rps'] * 100:.0f} % of the {kdf['cores']}-thread rate "
                              f"measured before the runs); worker CPU {o['server_cpu_us'] / 1000:.1f} ms per request")
        small = [r for r in self.results if r["system"] == "ours-1k"]
        if small:
            print(f"\nThe same operations on a pool of 1,000 users in the same store and run ({self.users} above):")
            for r in small:
                big = by.get(("ours", r["op"], r["conns"]))
                if big:
                    print(f"  {r['op']} c={r['conns']}: {big['rps']:.0f} req/s with {self.users} users, "
                          f"{r['rps']:.0f} with 1,000: {big['rps'] / r['rps'] * 100:.0f} %; worker CPU "
                          f"{big['server_cpu_us']:.0f} vs {r['server_cpu_us']:.0f} µs/req")
        for r in self.results:
            if r["system"] == "ours" and r.get("error_types"):
                kinds = ", ".join(f"{k} {v['count']} (median {v['median_us'] / 1000:.1f} ms in the worker)"
                                  for k, v in sorted(r["error_types"].items()))
                print(f"  ours {r['op']} c={r['conns']}: answers by error type (access log): {kinds}")
        if self.durable:
            print(f"\nDurable write (temp file, fsync, rename, folder fsync; the store's file system): "
                  f"{self.durable:.2f} ms: ~{1000 / self.durable:.0f} such writes/s one after another. Changes that "
                  f"hold a pool's exclusive lock go one at a time; changes to one user's record alone (UpdateUserAttributes "
                  f"without an alias move) hold only that user's lock, so writes to different users overlap.")
        print("\nMemory after the run, once the workers are idle (MiB): VmRSS now (anonymous + file-backed), VmHWM = peak RSS:")
        for label, mem in rss.items():
            if not mem:
                print(f"  {label}: -")
                continue
            mib = {k: v / 1024 for k, v in mem.items()}
            print(f"  {label}: VmRSS {mib.get('VmRSS', 0):.1f} (anon {mib.get('RssAnon', 0):.1f} + file "
                  f"{mib.get('RssFile', 0):.1f}), peak {mib.get('VmHWM', 0):.1f}")
        print(f"\nmachine: {machine['nproc']} cores; load average before {tuple(round(x, 2) for x in machine['loadavg_before'])}, "
              f"after {tuple(round(x, 2) for x in machine['loadavg_after'])}; {self.users} users; "
              f"{self.seconds} s per run; whole run {machine['seconds']:.0f} s")
        for note in self.notes:
            print(f"note: {note}")

    def close(self) -> None:
        self.procs.stop_all()
        if self.keep:
            print(f"kept {self.dir}")
        else:
            if self.users > 10_000:
                log(f"removing {self.dir} ({self.users} users' files)")
            shutil.rmtree(self.dir, ignore_errors=True)


def main() -> int:
    smoke = "--smoke" in sys.argv[1:]
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (bench/install.sh installs it)", file=sys.stderr)
        return 2
    timeout = env_int("BENCH_TIMEOUT", 900)

    def on_alarm(signum, frame):
        raise Deadline(f"the benchmark passed its deadline of {timeout} s (BENCH_TIMEOUT)")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    signal.alarm(timeout)
    bench = None
    try:
        bench = Bench(smoke)
        return bench.run()
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except Deadline as e:
        print(f"bench: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        if bench is not None:
            bench.close()


if __name__ == "__main__":
    sys.exit(main())
