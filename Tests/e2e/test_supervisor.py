"""One worker process, supervised: the production layout (`--processes 1 --threads 8`, docs/DEPLOY.md).

`serve --socket` binds its own socket, so nobody else would restart a worker that dies: it runs a supervisor even
for a single worker process. These tests kill that worker and expect another in its place, serving the same store.
(A process handed its socket by systemd or spawn-fcgi serves itself with `--processes 1`: its manager restarts it;
test_process_managers covers those.)
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from conftest import Instance


def workers_of(instance: Instance) -> list[int]:
    assert instance.worker is not None
    pid = instance.worker.pid
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def cmdline(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")


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
    while (current := workers_of(single)) in ([], [old]):
        assert time.monotonic() < deadline, "no new worker 15 s after the old one was killed"
        time.sleep(0.05)
    [new] = current
    assert new != old and b"--worker" in cmdline(new)
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
