"""Crash safety (issue 7, item 5): kill -9 workers at random while clients write, then prove no answered write
was lost.

4 worker processes x 4 threads behind nginx; STRESS_THREADS client threads each walk users through a life of
writes: SignUp, AdminConfirmSignUp, AdminUpdateUserAttributes, and where the build serves them InitiateAuth,
UpdateUserAttributes (with the access token) and DeleteUser (else AdminDeleteUser). Meanwhile the main thread
SIGKILLs a random worker (a child of the supervisor, which starts a new one) STRESS_KILLS times at random
intervals. Every write's outcome is recorded:

  answered 200            must be in the store afterwards (the promise under test)
  answered 4xx            must not have happened (checked where it would show)
  no answer / 5xx         the worker died with it: either outcome is fine, but the files must be whole

Afterwards: every 200-answered write is visible through AdminGetUser and in the user's file, every store file
parses, ListUsers shows only whole records (no temp file is visible to readers), and after a restart on the same
data folder (a fresh Store, which removes the temp files of dead writers) no `.tmp.*` file is left and the
service answers normally. Run by `make stress`, and by `make test` since it takes well under a minute.

Environment: STRESS_KILLS (default 24), STRESS_THREADS (8), STRESS_SEED (kill timing; default fixed),
STRESS_REPORT=<file> to write the figures as JSON.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
import conftest as harness  # noqa: E402 - the e2e harness (nginx + workers), as a plain module

KILLS = int(os.environ.get("STRESS_KILLS", "24"))
THREADS = int(os.environ.get("STRESS_THREADS", "8"))
SEED = int(os.environ.get("STRESS_SEED", "20261128"))
PASSWORD = "Passw0rd!"
ATTRIBUTES = [f"c{n:02d}" for n in range(10)]
# Weak password hashing only to keep the load quick (test setups only; see --allow-weak-password-hashing).
SERVE_ARGS = ("--processes", "4", "--threads", "4",
              "--allow-weak-password-hashing", "--argon2-memory", "1024", "--argon2-iterations", "1")
LOAD_TIMEOUT = 150.0


def workers(instance: harness.Instance) -> list[int]:
    assert instance.worker is not None
    pid = instance.worker.pid
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def make_client(instance: harness.Instance, session: boto3.session.Session, signed: bool = True):
    options: dict[str, Any] = {"retries": {"mode": "standard", "total_max_attempts": 1},
                               "connect_timeout": 5, "read_timeout": 15}
    if not signed:
        options["signature_version"] = botocore.UNSIGNED
    return session.client(harness.SERVICE, endpoint_url=instance.endpoint, config=Config(**options))


def outcome(call) -> tuple[str, Any]:
    """("ok", result), ("refused", code) for an AWS 4xx, or ("unknown", why): no answer or a 5xx (the worker that
    had the request died), so the write may or may not have happened."""
    try:
        return "ok", call()
    except ClientError as e:
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status >= 500:
            return "unknown", f"HTTP {status}"
        return "refused", e.response["Error"]["Code"]
    except BotoCoreError as e:  # connection reset, read timeout
        return "unknown", type(e).__name__


@dataclass
class Expected:
    """What the store must show for one user, from the answers its writes got. None: either is fine."""
    username: str
    exists: bool | None = None
    confirmed: bool | None = None
    deleted_by: str = ""
    # attribute -> the values it may have (None: absent); one value after a 200, more after an unknown answer
    attributes: dict[str, set[str | None]] = field(default_factory=dict)
    acknowledged: int = 0  # writes answered 200

    def update(self, name: str, value: str, result: str) -> None:
        if result == "ok":
            self.attributes[name] = {value}
        elif result == "unknown":
            self.attributes.setdefault(name, {None}).add(value)


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: dict[str, int] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)

    def count(self, operation: str, result: str, detail: Any) -> None:
        with self.lock:
            key = f"{operation} {result}"
            self.answers[key] = self.answers.get(key, 0) + 1
            if result == "refused":
                self.refusals.append(f"{operation}: {detail}")


def served(instance: harness.Instance, operation: str, call) -> bool:
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"] != "UnknownOperationException"
    return True


def life_of_users(thread: int, clients: tuple[Any, Any], ids: dict[str, str], ops: set[str], stop: threading.Event,
                  users: list[Expected], tally: Tally) -> None:
    """One client thread: users s<thread>-<n>, each through its writes until `stop`. A user whose write got no
    answer is left there (its state is then either), and the thread starts the next user."""
    admin, public = clients
    rng = random.Random(SEED * 1000 + thread)
    n = 0
    while not stop.is_set():
        user = Expected(f"s{thread}-{n}")
        users.append(user)
        n += 1

        def step(operation: str, call) -> tuple[str, Any]:
            result, detail = outcome(call)
            tally.count(operation, result, detail)
            if result == "ok":
                user.acknowledged += 1
            return result, detail

        result, _ = step("SignUp", lambda: public.sign_up(
            ClientId=ids["ClientId"], Username=user.username, Password=PASSWORD,
            UserAttributes=[{"Name": "name", "Value": user.username}]))
        if result != "ok":
            user.exists = None if result == "unknown" else False
            continue
        user.exists, user.confirmed = True, False
        user.attributes["name"] = {user.username}

        result, _ = step("AdminConfirmSignUp", lambda: admin.admin_confirm_sign_up(
            UserPoolId=ids["UserPoolId"], Username=user.username))
        if result != "ok":
            user.confirmed = None if result == "unknown" else False
            continue
        user.confirmed = True

        lost = False
        for k in range(2):
            name, value = "custom:" + rng.choice(ATTRIBUTES), f"admin-{user.username}-{k}"
            result, _ = step("AdminUpdateUserAttributes", lambda: admin.admin_update_user_attributes(
                UserPoolId=ids["UserPoolId"], Username=user.username, UserAttributes=[{"Name": name, "Value": value}]))
            user.update(name, value, result)
            lost = lost or result == "unknown"
        if lost or stop.is_set():
            continue

        token = None
        if "InitiateAuth" in ops:
            result, answer = step("InitiateAuth", lambda: public.initiate_auth(
                ClientId=ids["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": user.username, "PASSWORD": PASSWORD}))
            if result != "ok":
                continue
            user.acknowledged -= 1  # a sign-in is not one of the writes under test
            token = answer["AuthenticationResult"]["AccessToken"]
        if token and "UpdateUserAttributes" in ops:
            for k in range(2):
                name, value = "custom:" + rng.choice(ATTRIBUTES), f"self-{user.username}-{k}"
                result, _ = step("UpdateUserAttributes", lambda: public.update_user_attributes(
                    AccessToken=token, UserAttributes=[{"Name": name, "Value": value}]))
                user.update(name, value, result)
                lost = lost or result == "unknown"
        if lost or rng.random() > 0.35:
            continue

        if token and "DeleteUser" in ops:
            result, _ = step("DeleteUser", lambda: public.delete_user(AccessToken=token))
            user.deleted_by = "DeleteUser"
        else:
            result, _ = step("AdminDeleteUser", lambda: admin.admin_delete_user(
                UserPoolId=ids["UserPoolId"], Username=user.username))
            user.deleted_by = "AdminDeleteUser"
        if result == "ok":
            user.exists = False
        elif result == "unknown":
            user.exists = None


def check_store(instance: harness.Instance, pool_id: str, users: list[Expected]) -> dict[str, int]:
    """Every answered write is there, through the API and in the files; every store file parses. Returns figures;
    raises AssertionError listing every loss."""
    idp = instance.client()
    users_dir = instance.data_dir / "pools" / pool_id / "users"
    losses: list[str] = []
    checked_writes = 0
    for user in users:
        path = users_dir / f"{user.username}.json"  # s<t>-<n>: letters, digits and '-' are their own file key
        try:
            answer = idp.admin_get_user(UserPoolId=pool_id, Username=user.username)
        except ClientError as e:
            if e.response["Error"]["Code"] != "UserNotFoundException":
                raise
            answer = None
        if user.exists is False:
            if answer is not None or path.exists():
                losses.append(f"{user.username}: deleted ({user.deleted_by} answered 200) but still there")
            checked_writes += user.acknowledged
            continue
        if answer is None:
            if user.exists:
                losses.append(f"{user.username}: SignUp answered 200 but the user is gone")
            continue
        record = json.loads(path.read_bytes())
        assert record["Username"] == user.username
        got = {a["Name"]: a["Value"] for a in answer["UserAttributes"]}
        if user.confirmed is not None and (answer["UserStatus"] == "CONFIRMED") != user.confirmed:
            losses.append(f"{user.username}: status {answer['UserStatus']}, expected confirmed={user.confirmed}")
        for name, allowed in user.attributes.items():
            if got.get(name) not in allowed or record["Attributes"].get(name) not in allowed:
                losses.append(f"{user.username}: {name}={got.get(name)!r} (file {record['Attributes'].get(name)!r}),"
                              f" expected one of {allowed}")
        checked_writes += user.acknowledged
    assert not losses, "answered writes lost:\n" + "\n".join(losses[:30])

    parsed = 0
    for path in (instance.data_dir / "pools").rglob("*"):
        if path.is_file() and path.name != "lock" and path.parent.name != "locks" and not path.name.startswith(".tmp."):
            json.loads(path.read_bytes().decode("utf-8"))
            parsed += 1
    # Readers see whole records only: ListUsers lists exactly the user files (no temp file among them).
    listed: set[str] = set()
    for page in idp.get_paginator("list_users").paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 60}):
        listed |= {u["Username"] for u in page["Users"]}
    on_disk = {json.loads(p.read_bytes())["Username"] for p in users_dir.glob("*.json") if not p.name.startswith(".")}
    assert listed == on_disk
    return {"writes_checked": checked_writes, "files_parsed": parsed, "users_listed": len(listed)}


def temp_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.rglob(".tmp.*"))


def start_on(data_dir: Path, name: str) -> harness.Instance:
    """A new instance (workers, nginx) on an existing data folder: what a restart after a crash does."""

    class Again(harness.Instance):
        def __init__(self, name: str, extra_args: tuple[str, ...]):
            super().__init__(name, extra_args)
            self.data_dir = data_dir

    return Again.start(name, SERVE_ARGS)


def test_kill_9_workers_under_write_load_loses_no_answered_write():
    started = time.monotonic()
    first = harness.Instance.start("stress", SERVE_ARGS)
    again: harness.Instance | None = None
    try:
        idp = first.client()
        pool_id = idp.create_user_pool(PoolName="stress")["UserPool"]["Id"]
        idp.add_custom_attributes(UserPoolId=pool_id, CustomAttributes=[
            {"Name": n, "AttributeDataType": "String", "Mutable": True} for n in ATTRIBUTES])
        client_id = idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="stress",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
        ids = {"UserPoolId": pool_id, "ClientId": client_id}
        probe = first.client(signed=False)
        ops = {op for op, call in (
            ("InitiateAuth", lambda: probe.initiate_auth(ClientId="x", AuthFlow="USER_PASSWORD_AUTH",
                                                         AuthParameters={"USERNAME": "u", "PASSWORD": "p"})),
            ("UpdateUserAttributes", lambda: probe.update_user_attributes(
                AccessToken="x", UserAttributes=[{"Name": "name", "Value": "x"}])),
            ("DeleteUser", lambda: probe.delete_user(AccessToken="x")),
        ) if served(first, op, call)}

        key = first.credentials
        session = boto3.session.Session(aws_access_key_id=key.access_key_id,
                                        aws_secret_access_key=key.secret_access_key, region_name=harness.REGION)
        stop = threading.Event()
        tally = Tally()
        users: list[list[Expected]] = [[] for _ in range(THREADS)]
        threads = [threading.Thread(
            target=life_of_users, name=f"load-{t}",
            args=(t, (make_client(first, session), make_client(first, session, signed=False)), ids, ops, stop,
                  users[t], tally)) for t in range(THREADS)]
        for t in threads:
            t.start()

        rng = random.Random(SEED)
        killed: list[int] = []
        deadline = time.monotonic() + LOAD_TIMEOUT
        time.sleep(1.0)
        while len(killed) < KILLS and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.15, 0.7))
            alive = workers(first)
            if len(alive) < 3:  # let the supervisor bring some back before the next kill
                continue
            victim = rng.choice(alive)
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a load thread hung"
        assert len(killed) >= KILLS, f"only {len(killed)} kills in {LOAD_TIMEOUT} s"

        # The supervisor replaced every killed worker.
        until = time.monotonic() + 15
        while (len(workers(first)) != 4 or set(workers(first)) & set(killed)) and time.monotonic() < until:
            time.sleep(0.1)
        assert len(workers(first)) == 4 and not set(workers(first)) & set(killed)
        restarts = first.worker_log.read_text(errors="replace").count("exited unexpectedly")
        assert restarts == len(killed)

        everyone = [u for per_thread in users for u in per_thread]
        debris = temp_files(first.data_dir)
        # What a writer killed between write and rename leaves (if none of ours happened to be caught there):
        # half a record under a temp name of a dead pid. Readers must not see it; a restart must remove it.
        planted = first.data_dir / "pools" / pool_id / "users" / f".tmp.{killed[-1]}.00c0ffee00c0ffee"
        planted.write_bytes(b'{"Username": "half-writ')
        figures = check_store(first, pool_id, everyone)
        # The service answers normally after the kills.
        probe.sign_up(ClientId=client_id, Username="after-the-kills", Password=PASSWORD)
        assert idp.admin_get_user(UserPoolId=pool_id, Username="after-the-kills")["UserStatus"] == "UNCONFIRMED"

        # Restart on the same data folder: a fresh Store removes what dead writers left, and all is still there.
        first.stop(remove=False)
        assert not first.problems, first.problems
        again = start_on(first.data_dir, "stress-again")
        assert temp_files(again.data_dir) == [], temp_files(again.data_dir)
        after = check_store(again, pool_id, everyone)
        assert after["writes_checked"] == figures["writes_checked"]
        again.client().admin_get_user(UserPoolId=pool_id, Username="after-the-kills")
        again.client(signed=False).sign_up(ClientId=client_id, Username="after-the-restart", Password=PASSWORD)

        report = {
            "kills": len(killed), "restarts_logged": restarts, "client_threads": THREADS, "users": len(everyone),
            "operations_served": sorted(ops), "answers": dict(sorted(tally.answers.items())),
            "writes_answered_200_checked": figures["writes_checked"], "losses": 0,
            "store_files_parsed": figures["files_parsed"], "temp_files_left_by_kills": len(debris),
            "temp_files_after_restart": 0, "seconds": round(time.monotonic() - started, 1),
        }
        print("\ncrash safety: " + json.dumps(report))
        if os.environ.get("STRESS_REPORT"):
            Path(os.environ["STRESS_REPORT"]).write_text(json.dumps(report, indent=2))
        # A refusal means a write that should have worked did not: show them (a user whose earlier write got no
        # answer is never written to again, so nothing here is expected).
        assert not tally.refusals, tally.refusals[:20]
    finally:
        for instance in (again, first):
            if instance is not None:
                instance.stop(remove=os.environ.get("COGNITO_E2E_KEEP") != "1")
        if os.environ.get("COGNITO_E2E_KEEP") != "1":
            import shutil
            shutil.rmtree(first.dir, ignore_errors=True)
