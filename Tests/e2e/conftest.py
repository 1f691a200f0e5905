"""End-to-end harness: real nginx in front of real cognito-fcgi workers, on loopback.

Each instance lives in its own temp folder (data, socket, logs, nginx prefix) on a free port. The
tests start and stop everything themselves, by PID, and leave nothing running.

Fixtures:
  cognito            the session's instance (`--auth sigv4`, the default)
  start_instance     start_instance(*extra_serve_args) -> Instance, one per distinct argument list
  cognito_any_signature   an instance started with `--auth any-signature`

Environment:
  COGNITO_FCGI_BIN   the binary to test (default .build/debug/cognito-fcgi)
  COGNITO_E2E_KEEP=1 keep the instances' temp folders (their paths are printed at the end)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("COGNITO_FCGI_BIN") or ROOT / ".build" / "debug" / "cognito-fcgi")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RENDER = ROOT / "scripts" / "render-nginx-local.sh"
REGION = "us-east-1"
SERVICE = "cognito-idp"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
LOG_TAIL_LINES = 80


def _isolate_environment() -> None:
    """Keep the developer's AWS settings and proxies out of the tests."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    no_proxy = [p for p in os.environ.get("NO_PROXY", "").split(",") if p]
    os.environ["NO_PROXY"] = ",".join(no_proxy + ["127.0.0.1", "localhost"])


_isolate_environment()


class StartupError(Exception):
    pass


class PortInUse(StartupError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])


# ---- docs/DEPLOY.md's commands, run by the deployment tests -------------------------------------------

def doc_block(marker: str, languages: tuple[str, ...] = ("sh", "bash")) -> str:
    """The fenced code block of docs/DEPLOY.md (in one of `languages`; "" for a plain fence) that contains
    `marker`, so that a test runs what the doc says rather than a copy of it."""
    blocks: list[tuple[str, list[str]]] = []  # (language, lines) of each fenced block, in order
    inside = False
    for line in (ROOT / "docs" / "DEPLOY.md").read_text().splitlines():
        if line.startswith("```"):
            if inside:
                inside = False
            else:
                inside = True
                blocks.append((line[3:].strip(), []))
        elif inside:
            blocks[-1][1].append(line)
    found = ["\n".join(lines) + "\n" for lang, lines in blocks if lang in languages and marker in "\n".join(lines)]
    assert len(found) == 1, f"docs/DEPLOY.md: expected one {languages} block containing {marker!r}, found {len(found)}"
    return found[0]


def replace_exactly(text: str, old: str, new: str, count: int = 1) -> str:
    """str.replace that fails when `old` does not occur exactly `count` times: if the shipped file changes,
    the test says so instead of silently testing something else."""
    assert text.count(old) == count, f"expected {count} x {old!r}, found {text.count(old)}"
    return text.replace(old, new)


@dataclass
class AccessKey:
    access_key_id: str
    secret_access_key: str

    def botocore(self) -> Credentials:
        return Credentials(self.access_key_id, self.secret_access_key)


class Instance:
    """nginx + workers in one temp folder. Create with `Instance.start(...)`.

    Tests of other ways to run the same pieces (HTTPS with the production nginx.conf, spawn-fcgi, systemd
    socket activation, the static binary) subclass it and override one step: `binary`/`worker_env` (which
    executable, in which environment), `_launch_worker` (how the workers start), `_render_nginx` (which
    nginx configuration), `scheme`/`ca_bundle` (how clients connect).
    """

    binary: Path = BINARY
    # None: the workers inherit the test's environment; else exactly this environment.
    worker_env: dict[str, str] | None = None
    scheme = "http"
    # A CA file clients verify TLS with (https instances); None: the default trust store.
    ca_bundle: Path | None = None
    # False when the workers inherit a socket someone else made (spawn-fcgi, socket activation): then
    # they rightly leave the file behind, and stop() removes it instead of reporting it.
    worker_removes_socket = True

    def __init__(self, name: str, extra_args: tuple[str, ...]):
        self.name = name
        self.extra_args = extra_args
        # Short path under /tmp: a unix socket path must stay under 108 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix=f"cognito-e2e-{name}-", dir="/tmp"))
        self.data_dir = self.dir / "data"
        self.socket_path = self.dir / "worker.sock"
        self.worker_log = self.dir / "worker.log"
        self.nginx_prefix = self.dir / "nginx"
        self.nginx_log = self.nginx_prefix / "logs" / "error.log"
        self.access_log = self.nginx_prefix / "logs" / "access.log"
        self.aws_credentials_file = self.dir / "aws-credentials"
        self.port = 0
        self.endpoint = ""
        self.credentials: AccessKey | None = None
        self.worker: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None
        self.problems: list[str] = []
        self.http = requests.Session()
        self.http.trust_env = False
        if self.ca_bundle is not None:
            self.http.verify = str(self.ca_bundle)

    # ---- start / stop -------------------------------------------------------------------------

    @classmethod
    def start(cls, name: str, extra_args: tuple[str, ...] = ()) -> "Instance":
        if not cls.binary.is_file():
            raise StartupError(f"{cls.binary} does not exist: build it first (swift build --product cognito-fcgi)")
        last: Exception | None = None
        for _ in range(3):
            instance = cls(name, extra_args)
            try:
                instance._start()
                return instance
            except PortInUse as e:  # another process took the free port between probe and bind
                last = e
                instance.stop(remove=True)
            except BaseException:
                instance.dump_logs()
                instance.stop(remove=os.environ.get("COGNITO_E2E_KEEP") != "1")
                raise
        raise StartupError(f"could not find a free port: {last}")

    def _start(self) -> None:
        self.credentials = self._create_key()
        self.port = free_port()
        self.endpoint = f"{self.scheme}://127.0.0.1:{self.port}"
        with open(self.worker_log, "ab") as log:
            self.worker = self._launch_worker(log)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.socket_path.is_socket():
            if (status := self._worker_exit_status()) is not None:
                raise StartupError(f"worker exited with {status} before creating its socket")
            if time.monotonic() > deadline:
                raise StartupError(f"no socket at {self.socket_path} after {START_TIMEOUT} s")
            time.sleep(0.05)

        conf = self._render_nginx()
        with open(self.nginx_prefix / "logs" / "stderr.log", "ab") as log:
            self.nginx = subprocess.Popen(
                [NGINX, "-p", str(self.nginx_prefix), "-c", str(conf), "-e", str(self.nginx_log)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while True:
            if self.nginx.poll() is not None:
                if "Address already in use" in tail(self.nginx_log, 20):
                    raise PortInUse(f"port {self.port}")
                raise StartupError(f"nginx exited with {self.nginx.returncode}")
            if (status := self._worker_exit_status()) is not None:
                raise StartupError(f"worker exited with {status}")
            try:
                # Any answer from the workers will do; 502 means nginx is up but cannot reach them.
                if self.http.get(self.endpoint + "/", timeout=2).status_code != 502:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise StartupError(f"{self.endpoint} did not answer within {START_TIMEOUT} s")
            time.sleep(0.05)

    def serve_args(self) -> list[str]:
        """`serve` and its arguments, as the harness runs every worker (after the executable's path)."""
        return [
            "serve",
            "--data", str(self.data_dir),
            "--socket", str(self.socket_path),
            "--processes", "2",
            "--threads", "4",
            "--issuer", self.endpoint,
            "--region", REGION,
            *self.extra_args,
        ]

    def _launch_worker(self, log) -> subprocess.Popen:
        """Starts the workers; they must end up accepting on `self.socket_path`."""
        return subprocess.Popen(
            [str(self.binary), *self.serve_args()],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.worker_env,
            start_new_session=True,  # its own process group: see stop()
        )

    def _worker_exit_status(self) -> int | None:
        """None while the workers run, else how they exited."""
        assert self.worker is not None
        return self.worker.poll()

    def _render_nginx(self) -> Path:
        """Writes nginx's configuration under `self.nginx_prefix` (logs/ included) and returns its path."""
        subprocess.run(
            ["bash", str(RENDER), str(self.nginx_prefix), str(self.port), str(self.socket_path)],
            check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
        )
        return self.nginx_prefix / "nginx.conf"

    def _create_key(self) -> AccessKey:
        done = subprocess.run(
            [str(self.binary), "keys", "create", "--data", str(self.data_dir),
             "--aws-credentials", str(self.aws_credentials_file)],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, env=self.worker_env,
        )
        if done.returncode != 0:
            raise StartupError(f"keys create failed ({done.returncode}): {done.stdout}{done.stderr}")
        fields = dict(re.findall(r"^(AccessKeyId|SecretAccessKey):\s*(\S+)\s*$", done.stdout, re.M))
        if set(fields) != {"AccessKeyId", "SecretAccessKey"}:
            raise StartupError(f"keys create printed no key: {done.stdout!r}")
        return AccessKey(fields["AccessKeyId"], fields["SecretAccessKey"])

    def worker_pids(self) -> list[int]:
        """The processes serving requests, sorted: the supervisor's children, or itself when it serves alone."""
        assert self.worker is not None
        pid = self.worker.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return sorted(int(c) for c in children) or [pid]

    def stop(self, remove: bool = True) -> None:
        """SIGTERM nginx, then the workers (by PID); SIGKILL whatever is left after STOP_TIMEOUT.

        Each was started as the leader of a new process group, so anything still in that group after
        the leader exits (an orphaned worker process or nginx worker) was started by us: it is
        reported as a problem and killed.
        """
        self.http.close()
        for label, proc in (("nginx", self.nginx), ("worker", self.worker)):
            if proc is None:
                continue
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.problems.append(f"{label} (pid {proc.pid}) ignored SIGTERM for {STOP_TIMEOUT} s")
                    self._kill_group(proc.pid)
                    proc.wait(timeout=STOP_TIMEOUT)
                else:
                    if label == "worker" and proc.returncode != 0:
                        self.problems.append(f"worker exited with status {proc.returncode} after SIGTERM")
            if self._group_alive(proc.pid):
                time.sleep(1)  # children may still be finishing their last request
                if self._group_alive(proc.pid):
                    self.problems.append(f"{label}: processes left in group {proc.pid} after it exited")
                    self._kill_group(proc.pid)
        if self.worker is not None and self.worker.returncode == 0 and self.socket_path.exists():
            if self.worker_removes_socket:
                self.problems.append(f"the worker exited but left its socket {self.socket_path} behind")
            else:
                self.socket_path.unlink()
        if self.problems:
            self.dump_logs()
        if remove and os.environ.get("COGNITO_E2E_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print(f"\nkept {self.dir}")

    @staticmethod
    def _group_alive(pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    @staticmethod
    def _kill_group(pgid: int) -> None:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for _ in range(50):
            if not Instance._group_alive(pgid):
                return
            time.sleep(0.1)

    def log_sections(self) -> list[tuple[str, str]]:
        return [
            (f"{self.name}: worker log (last {LOG_TAIL_LINES} lines)", tail(self.worker_log)),
            (f"{self.name}: nginx error log (last {LOG_TAIL_LINES} lines)", tail(self.nginx_log)),
        ]

    def dump_logs(self) -> None:
        for title, text in self.log_sections():
            print(f"\n----- {title} ({self.dir}) -----\n{text}")

    # ---- clients ------------------------------------------------------------------------------

    def client(self, *, credentials: AccessKey | None = None, signed: bool = True, **config: Any):
        """A boto3 cognito-idp client for this endpoint that never retries."""
        key = credentials or self.credentials
        assert key is not None
        options: dict[str, Any] = {
            "retries": {"mode": "standard", "total_max_attempts": 1},
            "connect_timeout": 5,
            "read_timeout": 60,
        }
        if not signed:
            options["signature_version"] = botocore.UNSIGNED
        options.update(config)
        session = boto3.session.Session(
            aws_access_key_id=key.access_key_id,
            aws_secret_access_key=key.secret_access_key,
            region_name=REGION,
        )
        verify = {} if self.ca_bundle is None else {"verify": str(self.ca_bundle)}
        return session.client(SERVICE, endpoint_url=self.endpoint, config=Config(**options), **verify)

    def request(self, method: str, path: str = "/", *, params: Any = None, headers: dict | None = None,
                data: bytes | str | None = None, timeout: float = 30) -> requests.Response:
        """A raw, unsigned HTTP request through nginx."""
        return self.http.request(method, self.endpoint + path, params=params, headers=headers, data=data,
                                 timeout=timeout, allow_redirects=False)

    def signed_request(self, method: str, path: str = "/", *, params: dict | None = None,
                       headers: dict | None = None, data: bytes | str = b"",
                       credentials: AccessKey | None = None, timeout: float = 30) -> requests.Response:
        """A raw HTTP request signed with SigV4 in the Authorization header."""
        key = credentials or self.credentials
        assert key is not None
        req = AWSRequest(method=method, url=self.endpoint + path, params=params or {},
                         headers=dict(headers or {}), data=data)
        SigV4Auth(key.botocore(), SERVICE, REGION).add_auth(req)
        prepared = req.prepare()
        return self.http.request(method, prepared.url, headers=dict(prepared.headers.items()),
                                 data=prepared.body, timeout=timeout, allow_redirects=False)

    def json_call(self, operation: str, body: Any = None, *, sign: bool = True,
                  credentials: AccessKey | None = None, headers: dict | None = None) -> requests.Response:
        """POST / in the AWS JSON 1.1 protocol. `body` may be a dict (sent as JSON) or raw bytes/str."""
        payload = body if isinstance(body, (bytes, str)) else json.dumps(body if body is not None else {})
        all_headers = {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": JSON_CONTENT_TYPE}
        all_headers.update(headers or {})
        if sign:
            return self.signed_request("POST", "/", headers=all_headers, data=payload, credentials=credentials)
        return self.request("POST", "/", headers=all_headers, data=payload)

    def presigned_url(self, operation: str, params: dict | None = None, *, expires: int = 300,
                      credentials: AccessKey | None = None) -> str:
        """A SigV4-presigned query-form URL: GET /?Action=<operation>&...&X-Amz-Signature=..."""
        key = credentials or self.credentials
        assert key is not None
        req = AWSRequest(method="GET", url=self.endpoint + "/", params={"Action": operation, **(params or {})})
        SigV4QueryAuth(key.botocore(), SERVICE, REGION, expires=expires).add_auth(req)
        return req.prepare().url

    def query_call(self, operation: str, params: dict | None = None, *, sign: bool = True) -> requests.Response:
        """The seed's query form: GET /?Action=<operation>&..., presigned unless sign=False."""
        if sign:
            return self.http.get(self.presigned_url(operation, params), timeout=30, allow_redirects=False)
        return self.request("GET", "/", params={"Action": operation, **(params or {})})


# ---- fixtures ------------------------------------------------------------------------------------

_instances: dict[tuple[str, ...], Instance] = {}


@pytest.fixture(scope="session")
def start_instance() -> Callable[..., Instance]:
    """start_instance(*extra_serve_args): an instance per distinct argument list, stopped at session end."""

    def start(*extra_args: str) -> Instance:
        key = tuple(extra_args)
        if key not in _instances:
            name = "main" if not key else re.sub(r"[^a-z0-9]+", "-", " ".join(key).lower()).strip("-")[:24]
            _instances[key] = Instance.start(name, key)
        return _instances[key]

    yield start

    problems: list[str] = []
    for instance in list(_instances.values()):
        instance.stop()
        problems += [f"{instance.name}: {p}" for p in instance.problems]
    _instances.clear()
    if problems:
        pytest.fail("teardown: " + "; ".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def cognito(start_instance) -> Instance:
    return start_instance()


@pytest.fixture(scope="session")
def cognito_any_signature(start_instance) -> Instance:
    return start_instance("--auth", "any-signature")


# ---- reporting -----------------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    marker = item.get_closest_marker("needs_ops")
    if marker is not None and "UnknownOperationException" in str(report.longrepr):
        report.sections.append((
            "needs_ops",
            f"This test needs {', '.join(marker.args)}; the worker answered UnknownOperationException: "
            "the operation is not implemented (yet).",
        ))
    for instance in _instances.values():
        report.sections.extend(instance.log_sections())
