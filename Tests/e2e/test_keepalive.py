"""FastCGI keep-alive between nginx and the workers.

deploy/ turns it on (`keepalive 32` in the upstream, `fastcgi_keep_conn on` in the locations); the workers'
accept loop (Sources/CognitoFCGI/Connections.swift) takes a thread only for a connection with a request to read.
libfcgi's own loop tied a thread to each kept connection, so a burst above the thread count waited on connections
no thread read (until nginx's 60 s timeouts): these tests would time out against it.
"""
from __future__ import annotations

import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from conftest import STOP_TIMEOUT, Instance


@pytest.fixture(scope="module")
def two_threads(start_instance) -> Instance:
    # One process of two threads, and nginx keeping up to 32 connections per nginx worker.
    return start_instance("--processes", "1", "--threads", "2")


def open_sockets(pid: int) -> int:
    """Sockets the process has open (its listening socket among them)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += fd.readlink().name.startswith("socket:")
        except OSError:
            pass  # closed since the listing
    return count


def burst(instance: Instance, n: int) -> list[tuple[int, str]]:
    """n requests at once, each on its own client connection: a service call with a token that is not one."""
    def one(_: int) -> tuple[int, str]:
        with requests.Session() as s:
            s.trust_env = False
            r = s.post(instance.endpoint + "/", data='{"AccessToken": "not-a-token"}', timeout=20, headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.GetUser",
            })
            return r.status_code, r.json().get("__type", "")

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_bursts_far_above_the_thread_count_are_all_answered(two_threads: Instance):
    expected = (400, "NotAuthorizedException")
    for _ in range(3):
        # 48 at once against 2 threads: nginx opens up to 48 connections and keeps them afterwards.
        assert burst(two_threads, 48) == [expected] * 48
    (worker,) = two_threads.worker_pids()
    # nginx kept connections open to the worker between the bursts (with none kept, only the listening socket).
    assert open_sockets(worker) > 2
    # And one at a time still works over them.
    for _ in range(20):
        assert burst(two_threads, 1) == [expected]


def test_ping_and_the_service_share_kept_connections(two_threads: Instance):
    with requests.Session() as s:
        s.trust_env = False
        for _ in range(50):
            assert s.get(two_threads.endpoint + "/ping", timeout=20).json() == {}
            r = s.post(two_threads.endpoint + "/", data="{}", timeout=20, headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.GetUser",
            })
            assert (r.status_code, r.json()["__type"]) == (400, "InvalidParameterException")


def test_workers_stop_promptly_while_nginx_keeps_connections_to_them():
    instance = Instance.start("keepalive-stop", ("--processes", "2", "--threads", "2"))
    try:
        assert [s for s, _ in burst(instance, 24)] == [400] * 24
        assert any(open_sockets(pid) > 2 for pid in instance.worker_pids())
        # SIGTERM to the workers alone: nginx still holds its idle connections to them.
        assert instance.worker is not None
        instance.worker.send_signal(signal.SIGTERM)
        try:
            status = instance.worker.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the workers did not stop within {STOP_TIMEOUT} s of SIGTERM with idle kept connections")
        assert status == 0
        # nginx answers, and with the workers gone it says so (502), rather than hanging.
        with requests.Session() as s:
            s.trust_env = False
            assert s.get(instance.endpoint + "/ping", timeout=20).status_code == 502
    finally:
        instance.stop()
    assert instance.problems == []
