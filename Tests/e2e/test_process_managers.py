"""The workers started the ways docs/DEPLOY.md describes, each serving boto3 through nginx: by spawn-fcgi
(`-F 2`, the socket as fd 0), by systemd socket activation (the socket as fd 3 with LISTEN_FDS/LISTEN_PID), and
the systemd unit files as systemd itself reads them."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REGION, ROOT, STOP_TIMEOUT, Instance, doc_block, replace_exactly

DEPLOY = ROOT / "deploy"


def running(pid: int) -> bool:
    """True while `pid` runs. An exited process whose parent is gone stays a zombie until init reaps it, and
    kill(pid, 0) still succeeds on a zombie: read its state instead."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def exercise(instance: Instance) -> None:
    """A pool and an app client through boto3, and the pool listed again by a fresh connection."""
    idp = instance.client()
    name = "pm-" + secrets.token_hex(4)
    pool = idp.create_user_pool(PoolName=name)["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
    assert idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"][
        "ClientName"] == "web"
    # Enough requests that both worker processes serve some (nginx opens a FastCGI connection per request).
    for _ in range(20):
        assert name in [p["Name"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]]


# ---- spawn-fcgi ---------------------------------------------------------------------------------------------------

class SpawnFcgiInstance(Instance):
    """Workers started by docs/DEPLOY.md's spawn-fcgi command, moved into the instance's temp folder."""

    worker_removes_socket = False  # spawn-fcgi made it

    def __init__(self, name: str, extra_args: tuple[str, ...]):
        super().__init__(name, extra_args)
        self.pid_file = self.dir / "workers.pid"
        self.config_file = self.dir / "config.json"
        self.pids: list[int] = []

    def _launch_worker(self, log) -> subprocess.Popen:
        # What the doc's command reads from its config file, for this instance.
        # (processes 2 as in the doc's config: the command's --processes 1 must win, or each spawned process
        # would become a supervisor of two more.)
        self.config_file.write_text(json.dumps({
            "processes": 2, "threads": 4, "issuer": self.endpoint, "region": REGION}))
        command = doc_block("spawn-fcgi -s")
        command = replace_exactly(command, "-s /run/cognito-fcgi/cognito-fcgi.sock", f"-s {self.socket_path}")
        # Changing users needs root and the users; the test runs as whoever runs it.
        command = replace_exactly(command, "-U cognito-fcgi -G www-data -u cognito-fcgi -g cognito-fcgi ", "")
        command = replace_exactly(command, "-P /run/cognito-fcgi/workers.pid", f"-P {self.pid_file}")
        command = replace_exactly(command, "/usr/local/bin/cognito-fcgi", str(self.binary))
        command = replace_exactly(command, "/etc/cognito-fcgi/config.json", str(self.config_file))
        command = replace_exactly(command, "/var/lib/cognito-fcgi", str(self.data_dir))
        command = replace_exactly(command, "2>>/var/log/cognito-fcgi.log", f"2>>{self.worker_log}")
        spawner = subprocess.Popen(["sh", "-c", command], stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        # spawn-fcgi forks the workers (each in its own session) and exits.
        assert spawner.wait(timeout=30) == 0, f"spawn-fcgi failed: {self.worker_log.read_text()}"
        self.pids = [int(p) for p in self.pid_file.read_text().split()]
        return spawner

    def _worker_exit_status(self) -> int | None:
        return None if any(running(pid) for pid in self.pids) else 1

    def stop(self, remove: bool = True) -> None:
        # nginx first, as Instance.stop does; then the workers the way the doc says (`kill $(cat pidfile)`).
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGTERM)
            self.nginx.wait(timeout=STOP_TIMEOUT)
        if self.pid_file.exists():
            subprocess.run(["sh", "-c", f"kill $(cat {self.pid_file})"], check=False, timeout=10)
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(running(pid) for pid in self.pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in self.pids:
            if running(pid):
                self.problems.append(f"spawned worker {pid} ignored SIGTERM")
                os.kill(pid, signal.SIGKILL)
        super().stop(remove)


def test_spawn_fcgi():
    if shutil.which("spawn-fcgi") is None:
        pytest.skip("spawn-fcgi is not installed (scripts/install-deps.sh installs it)")
    instance = SpawnFcgiInstance.start("spawn-fcgi")
    try:
        assert len(instance.pids) == 2 and all(running(p) for p in instance.pids)
        exercise(instance)
        # Both spawned processes are cognito-fcgi workers on the one socket (fd 0).
        for pid in instance.pids:
            assert os.readlink(f"/proc/{pid}/exe") == str(instance.binary.resolve())
            assert os.readlink(f"/proc/{pid}/fd/0").startswith("socket:")
        assert instance.worker_log.read_text().count("serving") == 2
    finally:
        instance.stop()
    assert not instance.problems, instance.problems
    assert not any(running(p) for p in instance.pids)


# ---- systemd socket activation -----------------------------------------------------------------------------------

class SocketActivatedInstance(Instance):
    """The workers given a listening socket the way systemd does it (sd_listen_fds(3)): as fd 3, with
    LISTEN_FDS=1 and LISTEN_PID set to the worker's own pid, and no --socket flag."""

    worker_removes_socket = False  # systemd made it (here: the test)

    def serve_args(self) -> list[str]:
        args = super().serve_args()
        i = args.index("--socket")
        del args[i:i + 2]
        return args

    def _launch_worker(self, log) -> subprocess.Popen:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.socket_path))
            os.chmod(self.socket_path, 0o660)  # SocketMode=0660 in deploy/cognito-fcgi.socket
            listener.listen(1024)
            fd = listener.fileno()
            # bash moves the socket to fd 3 and exports LISTEN_PID as its own pid ($$), which the worker keeps
            # by exec'ing in its place: exactly what systemd passes.
            move = "" if fd == 3 else f"exec 3<&{fd} {fd}<&-; "
            script = move + 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@"'
            return subprocess.Popen(
                ["bash", "-c", script, "bash", str(self.binary), *self.serve_args()],
                pass_fds=(fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            listener.close()  # the worker holds it now; nginx connects by path


def test_socket_activation():
    instance = SocketActivatedInstance.start("socket-activation")
    try:
        exercise(instance)
        # The supervisor accepted nothing itself: it handed fd 3 to its two workers as their fd 0.
        children = [int(p) for p in Path(f"/proc/{instance.worker.pid}/task/{instance.worker.pid}/children")
                    .read_text().split()]
        assert len(children) == 2
        for pid in children:
            assert os.readlink(f"/proc/{pid}/fd/0") == os.readlink(f"/proc/{instance.worker.pid}/fd/3")
    finally:
        instance.stop()
    assert not instance.problems, instance.problems
    assert instance.worker.returncode == 0


# ---- the unit files -----------------------------------------------------------------------------------------------

def unit(path: Path) -> dict[str, list[str]]:
    """`Key=value` lines of a unit file, by key (keys may repeat)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if match := re.match(r"^([A-Za-z]+)=(.*)$", line):
            values.setdefault(match.group(1), []).append(match.group(2))
    return values


def test_systemd_units(tmp_path: Path):
    service = unit(DEPLOY / "cognito-fcgi.service")
    sock = unit(DEPLOY / "cognito-fcgi.socket")
    # The socket nginx's upstream names, reachable by nginx's group; the workers take it from systemd.
    assert sock["ListenStream"] == ["/run/cognito-fcgi/cognito-fcgi.sock"]
    assert "server unix:/run/cognito-fcgi/cognito-fcgi.sock;" in (DEPLOY / "nginx.conf").read_text()
    assert sock["SocketGroup"] == ["www-data"] and sock["SocketMode"] == ["0660"] and sock["Accept"] == ["no"]
    exec_start = service["ExecStart"][0]
    assert exec_start.startswith("/usr/local/bin/cognito-fcgi serve ") and "--socket" not in exec_start
    # An unprivileged user owning its data folder, and the hardening the docs promise.
    assert service["User"] == ["cognito-fcgi"] and service["StateDirectory"] == ["cognito-fcgi"]
    assert "--data /var/lib/cognito-fcgi" in exec_start
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "CapabilityBoundingSet": "", "KillMode": "mixed"}.items():
        assert service[key] == [value], key

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units' syntax was not checked by systemd")
    # systemd-analyze verify needs ExecStart's binary to exist: point it at the one under test.
    for name in ("cognito-fcgi.service", "cognito-fcgi.socket"):
        text = (DEPLOY / name).read_text().replace("/usr/local/bin/cognito-fcgi", str(Instance.binary))
        (tmp_path / name).write_text(text)
    done = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / "cognito-fcgi.socket"),
                           str(tmp_path / "cognito-fcgi.service")],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    # Unknown keys and bad values are warnings, not errors, for systemd-analyze: refuse them too.
    complaints = [line for line in done.stderr.splitlines() if "cognito-fcgi" in line]
    assert not complaints, done.stderr
