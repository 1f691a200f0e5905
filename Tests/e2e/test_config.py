"""Configuration in one place: `--config FILE` (JSON, keys named like the flags), COGNITO_FCGI_<FLAG> variables,
flags; precedence flag > environment > file > default; `check-config` prints the effective values and refuses
what `serve` would refuse, and `serve` itself runs from a config file."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BINARY, REGION, Instance, doc_block, replace_exactly

LINE = re.compile(r"^(\S+)\s+= (.*?)(?: \((flag|default|env \S+|file .+)\))?$")


def check_config(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """Runs `cognito-fcgi check-config` with only PATH and `env` in its environment."""
    return subprocess.run([str(BINARY), "check-config", *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})},
                          stdin=subprocess.DEVNULL, cwd=cwd)


def effective(output: str) -> dict[str, tuple[str, str | None]]:
    """check-config's `key = value (source)` lines as {key: (value, source)}."""
    values = {}
    for line in output.splitlines():
        if (match := LINE.match(line)) and not line.startswith("config file"):
            values[match.group(1)] = (match.group(2), match.group(3))
    return values


def test_flags_and_defaults(tmp_path: Path):
    done = check_config("--data", str(tmp_path / "data"), "--threads", "3", "--no-allow-weak-password-hashing")
    assert done.returncode == 0, done.stderr
    values = effective(done.stdout)
    assert values["data"] == (str(tmp_path / "data"), "flag")
    assert values["threads"] == ("3", "flag")
    assert values["allow-weak-password-hashing"] == ("false", "flag")
    assert values["processes"] == ("1", "default")
    assert values["auth"] == ("sigv4", "default")
    assert values["issuer"] == ("http://127.0.0.1:8080", "default")
    assert values["socket"] == ("(unset)", None)
    assert done.stdout.splitlines()[0] == "config file: (none)"
    assert done.stdout.rstrip().endswith("configuration OK")
    # Every serve flag is listed: the table in README/DEPLOY.md names the same keys.
    assert len(values) == 15


def test_precedence_flag_over_environment_over_file_over_default(tmp_path: Path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "data": str(tmp_path / "from-file"), "threads": 3, "processes": "2", "region": "eu-west-1",
        "max-body": 2048, "log-level": "debug", "issuer": "https://auth.example.com", "sendmail": None,
        "allow-weak-password-hashing": False}))
    env = {"COGNITO_FCGI_THREADS": "5", "COGNITO_FCGI_REGION": "ap-south-1", "COGNITO_FCGI_LOG_LEVEL": "warning",
           "COGNITO_FCGI_PROCESSES": "",  # empty: unset, so the file's value stands
           "COGNITO_FCGI_MAIL_FROM": "auth@example.com"}
    done = check_config("--config", str(config), "--threads", "7", "--log-level", "error", env=env)
    assert done.returncode == 0, done.stderr
    values = effective(done.stdout)
    source = f"file {config}"
    assert values["threads"] == ("7", "flag")                        # flag > env > file
    assert values["log-level"] == ("error", "flag")                  # flag > env > file
    assert values["region"] == ("ap-south-1", "env COGNITO_FCGI_REGION")  # env > file
    assert values["mail-from"] == ("auth@example.com", "env COGNITO_FCGI_MAIL_FROM")  # env > default
    assert values["processes"] == ("2", source)
    assert values["max-body"] == ("2048", source)                    # file > default
    assert values["data"] == (str(tmp_path / "from-file"), source)
    assert values["sendmail"] == ("(unset)", None)                   # null: unset
    assert values["argon2-memory"] == ("19456", "default")
    assert done.stdout.splitlines()[0] == f"config file: {config}"

    # The file named by the environment instead of --config.
    done = check_config(env={"COGNITO_FCGI_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr
    assert effective(done.stdout)["threads"] == ("3", source)


@pytest.mark.parametrize("content, message", [
    ('{"data": "/tmp/x",', "not valid JSON"),
    ('["data", "/tmp/x"]', "must be a JSON object"),
    ('{"data": "/tmp/x", "thread": 4}', 'unknown key "thread"'),
    ('{"data": "/tmp/x", "threads": "four"}', '"threads" must be an integer'),
    ('{"data": "/tmp/x", "threads": 4.5}', '"threads" must be an integer'),
    ('{"data": 7}', '"data" must be a string'),
    ('{"data": "/tmp/x", "allow-weak-password-hashing": "maybe"}', "allow-weak-password-hashing"),
    ('{"data": "/tmp/x", "threads": 0}', "threads = \"0\" (from file "),
    ('{"data": "/tmp/x", "auth": "none"}', "must be sigv4 or any-signature"),
    ('{"data": "/tmp/x", "issuer": "auth.example.com"}', "issuer"),
    ('{"data": "/tmp/x", "socket-mode": "rw"}', "socket-mode"),
    ('{"data": "/tmp/x", "argon2-memory": 1024}', "argon2"),
    ('{"threads": 4}', "data: required"),
])
def test_invalid_configuration_is_refused_with_the_reason(tmp_path: Path, content: str, message: str):
    config = tmp_path / "config.json"
    config.write_text(content)
    for command in ("check-config", "serve"):
        done = subprocess.run([str(BINARY), command, "--config", str(config)], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode != 0, (command, done.stdout)
        assert message in done.stderr, (command, done.stderr)
        assert "configuration OK" not in done.stdout
    assert not (tmp_path / "x").exists()


def test_invalid_environment_and_paths_are_refused(tmp_path: Path):
    done = check_config("--data", str(tmp_path), env={"COGNITO_FCGI_MAX_BODY": "lots"})
    assert done.returncode != 0 and 'max-body = "lots" (from env COGNITO_FCGI_MAX_BODY)' in done.stderr
    done = check_config("--config", str(tmp_path / "missing.json"))
    assert done.returncode != 0 and "missing.json: cannot read it (no such file)" in done.stderr
    (tmp_path / "file").write_text("")
    done = check_config("--data", str(tmp_path / "file"))
    assert done.returncode != 0 and "exists and is not a folder" in done.stderr
    done = check_config("--data", str(tmp_path / "d"), "--socket", str(tmp_path / "no-such-folder" / "w.sock"))
    assert done.returncode != 0 and "does not exist" in done.stderr


def test_sendmail_is_found_as_serve_runs_it_and_serve_refuses_one_it_cannot(tmp_path: Path):
    # One rule in both: a name without a slash is looked up in PATH, as posix_spawnp does (a store audit's find:
    # check-config refused `sendmail` on PATH, and serve started with a missing command, then failed every mail).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "fake-sendmail"
    fake.write_text("#!/bin/sh\ncat > /dev/null\n")
    fake.chmod(0o755)
    path = f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    done = check_config("--data", str(tmp_path / "d"), "--sendmail", "fake-sendmail -t -i", env={"PATH": path})
    assert done.returncode == 0, done.stderr
    for command in ("no-such-sendmail -t", str(tmp_path / "missing" / "sendmail")):
        done = check_config("--data", str(tmp_path / "d"), "--sendmail", command, env={"PATH": path})
        assert done.returncode != 0 and "is not an executable file" in done.stderr
        served = subprocess.run(
            [str(BINARY), "serve", "--data", str(tmp_path / "d"), "--socket", str(tmp_path / "w.sock"),
             "--sendmail", command], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            env={"PATH": path})
        assert served.returncode != 0 and "is not an executable file" in served.stderr, served.stderr
        assert not (tmp_path / "w.sock").exists()


def test_the_deploy_doc_config_is_valid(tmp_path: Path):
    """docs/DEPLOY.md's /etc/cognito-fcgi/config.json and its check-config line, as written there."""
    config = tmp_path / "config.json"
    config.write_text(doc_block('"issuer": "https://auth.example.com",\n  "region"', ("json",)))
    command = doc_block("cognito-fcgi check-config --config /etc/cognito-fcgi/config.json").strip()
    command = replace_exactly(command, "/etc/cognito-fcgi/config.json", str(config))
    command = replace_exactly(command, "/var/lib/cognito-fcgi", str(tmp_path / "data"))
    command = replace_exactly(command, "cognito-fcgi check-config", f"{BINARY} check-config")
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    values = effective(done.stdout)
    assert values["issuer"] == ("https://auth.example.com", f"file {config}")
    assert values["processes"] == ("1", f"file {config}")


class ConfigFileInstance(Instance):
    """Workers started as `serve --config FILE` with nothing else on the command line, one setting overridden
    by the environment."""

    def serve_args(self) -> list[str]:
        config = self.dir / "config.json"
        config.write_text(json.dumps({
            "data": str(self.data_dir), "socket": str(self.socket_path), "processes": 2, "threads": 2,
            "issuer": self.endpoint, "region": "us-east-1"}))
        return ["serve", "--config", str(config)]

    worker_env = {"PATH": "/usr/bin:/bin", "COGNITO_FCGI_REGION": "eu-central-1"}


def test_serve_runs_from_the_config_file():
    instance = ConfigFileInstance.start("config-file")
    try:
        idp = instance.client()
        pool = idp.create_user_pool(PoolName="from-config")["UserPool"]
        # The region came from the environment (over the file), in the parent and both child workers.
        assert pool["Id"].startswith("eu-central-1_"), pool["Id"]
        for _ in range(6):
            assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Arn"].startswith(
                "arn:aws:cognito-idp:eu-central-1:")
    finally:
        instance.stop()
    assert not instance.problems, instance.problems
