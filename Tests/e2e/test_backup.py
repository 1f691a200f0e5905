"""`cognito-fcgi backup --data DIR --to DEST`: a consistent copy of a live store that a new instance serves as is."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import BINARY, ROOT, AccessKey, Instance, doc_block, replace_exactly

REGISTRY = ROOT / "Sources" / "Handlers" / "Operations" / "Registry.swift"


def has(operation: str) -> bool:
    return f"OperationEntry({operation}.self)" in REGISTRY.read_text()


def backup(data: Path, dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), "backup", "--data", str(data), "--to", str(dest)], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def modes(root: Path) -> dict[str, int]:
    """Permission bits of everything under `root`, by relative path."""
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode) for p in sorted(root.rglob("*"))}


class RestoredInstance(Instance):
    """Serves a backup: the backup folder is moved into place as the data folder (the restore the docs
    describe), and the access key is the original one, restored with it."""

    backup: Path
    key: AccessKey

    def _create_key(self) -> AccessKey:
        os.rename(self.backup, self.data_dir)
        return self.key


def snapshot(idp, with_users: bool) -> dict:
    """What a client sees of every pool: settings, app clients (with secrets), users."""
    state = {}
    for pool in idp.list_user_pools(MaxResults=60)["UserPools"]:
        described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
        clients = {}
        for c in idp.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=60)["UserPoolClients"]:
            clients[c["ClientId"]] = idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=c["ClientId"])
        users = sorted(u["Username"] for u in idp.list_users(UserPoolId=pool["Id"])["Users"]) if with_users else []
        state[pool["Id"]] = {"pool": described, "clients": clients, "users": users}
    return state


def test_backup_of_a_live_store_serves_the_same_pools_and_clients(tmp_path: Path):
    source = Instance.start("backup-source")
    try:
        idp = source.client()
        with_users = has("AdminCreateUser") and has("ListUsers")
        for n in range(3):
            pool = idp.create_user_pool(PoolName=f"backup-{n}")["UserPool"]
            idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")
            idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="server", GenerateSecret=True)
            if with_users:
                for u in range(3):
                    idp.admin_create_user(UserPoolId=pool["Id"], Username=f"user{u}", MessageAction="SUPPRESS")
        busy_pool = pool["Id"]

        # Writers keep working on one pool while the backup runs: they wait only while that pool is copied,
        # and whatever the backup holds of that pool is consistent (every client reachable by its ClientId).
        stop = threading.Event()
        errors: list[Exception] = []

        def write() -> None:
            writer = source.client()
            while not stop.is_set():
                try:
                    writer.create_user_pool_client(UserPoolId=busy_pool, ClientName="during-" + secrets.token_hex(3))
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
                    return

        thread = threading.Thread(target=write)
        thread.start()
        try:
            dest = tmp_path / "backup"
            done = backup(source.data_dir, dest)
        finally:
            stop.set()
            thread.join(timeout=60)
        assert not errors, errors
        assert done.returncode == 0, done.stderr
        assert f"to {dest}" in done.stdout and "backed up 3 pool(s)" in done.stdout
        assert not list(tmp_path.glob("backup.partial-*"))

        # Modes as in the store: 0600 files, 0700 folders (the backup does not depend on the umask).
        copied = modes(dest)
        original = modes(source.data_dir)
        for path, mode in copied.items():
            assert mode == original.get(path, mode), path
            assert mode in (0o600, 0o700), (path, oct(mode))
        assert stat.S_IMODE(dest.stat().st_mode) == 0o700
        for name in ("credentials.json", "secret.key"):
            assert (dest / name).read_bytes() == (source.data_dir / name).read_bytes()
        # The global client index and the pools' client records agree exactly.
        index = {p.name: p.read_text() for p in (dest / "clients").iterdir()}
        records = {p.stem: p.parent.parent.name for p in (dest / "pools").glob("*/clients/*.json")}
        assert index == records

        expected = snapshot(idp, with_users)
        key = source.credentials
    finally:
        source.stop()

    # A new instance on the backup (with the original access key) serves the same pools, clients and users.
    RestoredInstance.backup = dest
    RestoredInstance.key = key
    restored = RestoredInstance.start("backup-restored")
    try:
        idp = restored.client()
        state = snapshot(idp, with_users)
        assert set(state) == set(expected)
        for pool_id, pool in state.items():
            for key_name in ("Id", "Name", "Arn", "CreationDate", "Policies"):
                assert pool["pool"][key_name] == expected[pool_id]["pool"][key_name]
            assert pool["users"] == expected[pool_id]["users"]
            # Clients made while the backup ran may or may not be in it; all others are, secrets included.
            for client_id, client in expected[pool_id]["clients"].items():
                if client["UserPoolClient"]["ClientName"].startswith("during-") and client_id not in pool["clients"]:
                    continue
                assert pool["clients"][client_id]["UserPoolClient"] == client["UserPoolClient"]
        # Public calls find clients through the restored ClientId index.
        if has("SignUp"):
            pool_id = next(iter(state))
            web = next(c for c in state[pool_id]["clients"].values() if c["UserPoolClient"]["ClientName"] == "web")
            public = restored.client(signed=False)
            public.sign_up(ClientId=web["UserPoolClient"]["ClientId"], Username="after-restore",
                           Password="Passw0rd!x")
    finally:
        restored.stop()
    assert not restored.problems, restored.problems


def test_backup_refuses_an_existing_destination_and_a_non_store(tmp_path: Path):
    (tmp_path / "data" / "pools").mkdir(parents=True)
    (tmp_path / "dest").mkdir()
    done = backup(tmp_path / "data", tmp_path / "dest")
    assert done.returncode != 0 and "already exists" in done.stderr
    done = backup(tmp_path / "nothing", tmp_path / "dest2")
    assert done.returncode != 0 and "not a cognito-fcgi data folder" in done.stderr
    assert not (tmp_path / "dest2").exists()


def test_a_planted_symbolic_link_fails_the_backup_rather_than_losing_a_record(tmp_path: Path):
    # The store reads through a link someone planted; a backup that skipped it would lose that user on restore.
    instance = Instance.start("backup-link", ())
    try:
        idp = instance.client()
        pool_id = idp.create_user_pool(PoolName="linked")["UserPool"]["Id"]
        idp.admin_create_user(UserPoolId=pool_id, Username="bob", MessageAction="SUPPRESS")
        users = instance.data_dir / "pools" / pool_id / "users"
        (record,) = users.glob("*.json")
        moved = tmp_path / "elsewhere.json"
        record.rename(moved)
        record.symlink_to(moved)
        assert idp.admin_get_user(UserPoolId=pool_id, Username="bob")["Username"] == "bob"
        done = backup(instance.data_dir, tmp_path / "dest")
        assert done.returncode != 0
        assert f"{record} is a symbolic link" in done.stderr
        assert not (tmp_path / "dest").exists()
    finally:
        instance.stop()


def test_the_deploy_doc_backup_commands(tmp_path: Path):
    """docs/DEPLOY.md's backup block (backup into a dated folder, then tar), against running workers."""
    instance = Instance.start("doc-backup")  # its own: the session's instance is shared by list tests
    try:
        instance.client().create_user_pool(PoolName="doc-backup")
        script = doc_block("cognito-fcgi backup --data /var/lib/cognito-fcgi")
        script = replace_exactly(script, "/var/lib/cognito-fcgi", str(instance.data_dir))
        script = replace_exactly(script, "/var/backups/cognito-fcgi", str(tmp_path), count=3)
        script = replace_exactly(script, "cognito-fcgi backup", f"{BINARY} backup")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
    finally:
        instance.stop()
    assert not instance.problems, instance.problems
    assert done.returncode == 0, done.stderr
    archives = list(tmp_path.glob("*.tar.gz"))
    assert len(archives) == 1
    with tarfile.open(archives[0]) as tar:
        names = tar.getnames()
    day = archives[0].name.removesuffix(".tar.gz")
    assert f"{day}/credentials.json" in names and f"{day}/secret.key" in names
    assert any(n.startswith(f"{day}/pools/") and n.endswith("/pool.json") for n in names)
