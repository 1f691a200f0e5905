"""One worker process, supervised: the production layout (`--processes 1 --threads 8`, docs/DEPLOY.md).

`serve --socket` binds its own socket, so nobody else would restart a worker that dies: it runs a supervisor even
for a single worker process. These tests kill that worker and expect another in its place, serving the same store.
(A process handed its socket by systemd or spawn-fcgi serves itself with `--processes 1`: its manager restarts it;
test_process_managers covers those.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BINARY, Instance


def workers_of(instance: Instance) -> list[int]:
    assert instance.worker is not None
    pid = instance.worker.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def cmdline(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


def runs_the_worker(pid: int) -> bool:
    """True once `pid` has exec'd the worker: a child just forked still shows the supervisor's command line."""
    try:
        return b"--worker" in cmdline(pid)
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def single(start_instance) -> Instance:
    return start_instance("--processes", "1")


def test_one_worker_process_runs_under_a_supervisor(single: Instance):
    [worker] = workers_of(single)
    assert b"--worker" in cmdline(worker)
    assert single.worker is not None and b"--worker" not in cmdline(single.worker.pid)
    # The supervisor serves nothing itself: every request reaches the one worker.
    assert single.client().list_user_pools(MaxResults=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_worker_that_dies_is_replaced_and_the_store_is_intact(single: Instance):
    idp = single.client()
    pool_id = idp.create_user_pool(PoolName="survives")["UserPool"]["Id"]
    [old] = workers_of(single)

    os.kill(old, signal.SIGKILL)

    deadline = time.monotonic() + 15
    while (current := workers_of(single)) in ([], [old]) or not all(map(runs_the_worker, current)):
        assert time.monotonic() < deadline, "no new worker 15 s after the old one was killed"
        time.sleep(0.05)
    [new] = current
    assert new != old and runs_the_worker(new)
    assert "worker exited unexpectedly; restarting" in single.worker_log.read_text()

    # nginx may still hold a kept connection to the dead worker: that request fails (502, never replayed on
    # another connection: fastcgi_next_upstream off); the next ones reach the new worker.
    deadline = time.monotonic() + 15
    while True:
        response = single.json_call("DescribeUserPool", {"UserPoolId": pool_id})
        if response.status_code != 502 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert response.status_code == 200, response.text
    assert response.json()["UserPool"]["Name"] == "survives"
    assert workers_of(single) == [new]


def test_a_data_folder_the_workers_cannot_use_ends_the_command_before_any_socket(tmp_path: Path):
    (tmp_path / "file").write_text("")
    socket_path = tmp_path / "w.sock"
    done = subprocess.run(
        [str(BINARY), "serve", "--data", str(tmp_path / "file" / "data"), "--socket", str(socket_path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode != 0
    assert "Not a directory" in done.stderr
    assert "restarting" not in done.stderr
    assert not socket_path.exists()


def test_a_socket_path_naming_another_file_is_refused_and_the_file_kept(tmp_path: Path):
    # A mistyped --socket must not delete what is there (found by a security audit).
    precious = tmp_path / "precious.json"
    precious.write_text('{"keep": true}')
    done = subprocess.run(
        [str(BINARY), "serve", "--data", str(tmp_path / "data"), "--socket", str(precious)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode != 0
    assert "exists and is not a socket" in done.stderr
    assert precious.read_text() == '{"keep": true}'


def test_a_short_secret_key_ends_the_command(tmp_path: Path):
    # An empty or truncated secret.key would key tokens anyone could forge: refused, and left as it is.
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "secret.key").write_bytes(b"")
    done = subprocess.run(
        [str(BINARY), "serve", "--data", str(data), "--socket", str(tmp_path / "w.sock")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode != 0
    assert "secret.key holds 0 bytes, not 32 random ones" in done.stderr
    assert (data / "secret.key").read_bytes() == b""
    assert not (tmp_path / "w.sock").exists()


def test_workers_end_with_a_killed_supervisor_and_a_new_serve_starts(tmp_path: Path):
    # Left running, the workers would keep the socket and a new serve would refuse to start (a security audit's find).
    data, socket_path = tmp_path / "data", tmp_path / "w.sock"
    command = [str(BINARY), "serve", "--data", str(data), "--socket", str(socket_path), "--threads", "1"]
    first = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    second = None
    try:
        children = Path(f"/proc/{first.pid}/task/{first.pid}/children")
        deadline = time.monotonic() + 30
        while not (socket_path.exists() and children.read_text().split()):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        [worker] = [int(p) for p in children.read_text().split()]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        while Path(f"/proc/{worker}").exists() and Path(f"/proc/{worker}/stat").read_text().split()[2] != "Z":
            assert time.monotonic() < deadline, "the worker outlived its supervisor"
            time.sleep(0.05)
        second = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, start_new_session=True)
        children = Path(f"/proc/{second.pid}/task/{second.pid}/children")
        while not children.read_text().split():
            assert second.poll() is None, second.stderr.read().decode() if second.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


def test_a_worker_that_dies_at_start_is_restarted_ever_more_slowly_and_sigterm_still_stops_at_once(tmp_path: Path):
    data, socket_path, log_path = tmp_path / "data", tmp_path / "w.sock", tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        supervisor = subprocess.Popen(
            [str(BINARY), "serve", "--data", str(data), "--socket", str(socket_path), "--threads", "1"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while not socket_path.exists():
            assert supervisor.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.05)
        children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children")
        while not children.read_text().split():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        [worker] = [int(p) for p in children.read_text().split()]
        time.sleep(1.2)  # the worker has run long enough not to count as dying at start
        # From now on a worker cannot start: the store's secret is a folder.
        (data / "secret.key").unlink()
        (data / "secret.key").mkdir()
        os.kill(worker, signal.SIGKILL)
        time.sleep(3)

        delays = [float(d) for d in re.findall(r"restarting.*|in=([0-9.]+)s", log_path.read_text()) if d]
        # The killed worker had run: restarted after 0.1 s; each one dying at start then waits twice as long.
        assert delays[:4] == [0.1, 0.1, 0.2, 0.4], log_path.read_text()
        assert len(delays) <= 7, "restarted too often: " + log_path.read_text()

        started = time.monotonic()
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=5) == 0
        assert time.monotonic() - started < 2, "SIGTERM waited for the restart delay"
        assert not socket_path.exists()
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
