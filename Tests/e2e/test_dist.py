"""`make dist`: one self-contained binary and a tarball, proven to run where no Swift toolchain is.

The binary comes from `COGNITO_FCGI_DIST_DIR` (what `make test-dist` sets after running scripts/dist.sh), or
else this module runs scripts/dist.sh itself (a release build: minutes). Every process started from it here
runs with an empty environment (`env -i PATH=/usr/bin:/bin`, so no LD_LIBRARY_PATH) and, where the test may
make a mount namespace (root), with an empty tmpfs over /opt/swift: the toolchain's libraries do not exist
for it.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROOT, STOP_TIMEOUT, AccessKey, Instance, doc_block, replace_exactly

pytestmark = pytest.mark.slow
TOOLCHAIN = Path("/opt/swift")
LEAKS = re.compile(r"libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libfcgi|libargon2|"
                   r"/opt/swift|not found")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The folder holding cognito-fcgi and exactly one cognito-fcgi-*-linux-*.tar.gz."""
    given = os.environ.get("COGNITO_FCGI_DIST_DIR")
    out = Path(given) if given else tmp_path_factory.mktemp("dist")
    if not given:
        started = time.monotonic()
        done = subprocess.run(["bash", str(ROOT / "scripts" / "dist.sh"), "--out", str(out)], cwd=ROOT,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=3600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        print(f"\nscripts/dist.sh took {time.monotonic() - started:.0f} s")
    tarballs = sorted(out.glob("cognito-fcgi-*-linux-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    assert (out / "cognito-fcgi").is_file() and tarballs, f"no dist output in {out}"
    folder = Path(tempfile.mkdtemp(prefix="cognito-dist-", dir="/tmp"))
    shutil.copy2(out / "cognito-fcgi", folder / "cognito-fcgi")
    shutil.copy2(tarballs[-1], folder / tarballs[-1].name)  # the newest: dist/ may hold older versions
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def can_hide_toolchain() -> bool:
    if not TOOLCHAIN.is_dir():
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs none {TOOLCHAIN}"],
                           capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    return probe.returncode == 0


HIDE = can_hide_toolchain()


def bare(argv: list[str], home: Path | None = None) -> list[str]:
    """`argv` with an empty environment and, when possible, an empty /opt/swift (a private mount namespace,
    so nothing outside the test sees it)."""
    env = ["env", "-i", "PATH=/usr/bin:/bin"] + ([f"HOME={home}"] if home else []) + argv
    if not HIDE:
        return env
    return ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o size=1m none {TOOLCHAIN} && exec "$@"', "sh", *env]


def test_binary_is_self_contained(dist: Path):
    binary = dist / "cognito-fcgi"
    done = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert not LEAKS.search(done.stdout), done.stdout
    # What remains is the C runtime every Debian has.
    names = {line.split()[0] for line in done.stdout.splitlines() if line.strip()}
    allowed = re.compile(r"^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|/lib/ld-linux-aarch64\.so\.1|"
                         r"lib(c|m|dl|pthread|rt|util|stdc\+\+|gcc_s)\.so\.\d+)$")
    assert all(allowed.match(n) for n in names), sorted(names)
    # And it runs so: the help text comes out of a process that cannot see the toolchain.
    done = subprocess.run(bare([str(binary), "--help"]), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "check-config" in done.stdout and "backup" in done.stdout, done.stderr


def test_tarball_contents(dist: Path):
    tarball = next(dist.glob("cognito-fcgi-*-linux-*.tar.gz"))
    top = tarball.name.removesuffix(".tar.gz")
    assert re.fullmatch(r"cognito-fcgi-[\w.+-]+-linux-(x86_64|aarch64)", top), top
    wanted = ["cognito-fcgi", "deploy/nginx.conf", "deploy/cognito-fcgi-locations.conf", "deploy/cognito-fcgi.service",
              "deploy/cognito-fcgi.socket", "docs/DEPLOY.md", "README.md"]
    contents: dict[str, bytes] = {}
    with tarfile.open(tarball) as tar:  # one pass: members after the binary cost a decompression each
        members = {m.name: m for m in tar.getmembers()}
        for name in wanted:
            assert f"{top}/{name}" in members, name
            contents[name] = tar.extractfile(members[f"{top}/{name}"]).read()
    assert contents.pop("cognito-fcgi") == (dist / "cognito-fcgi").read_bytes()
    assert stat.S_IMODE(members[f"{top}/cognito-fcgi"].mode) == 0o755
    for name, data in contents.items():
        assert data == (ROOT / name).read_bytes(), name
    assert all(m.name == top or m.name.startswith(top + "/") for m in members.values())
    assert all(m.uid == 0 and m.gid == 0 for m in members.values())


class SharedHostingInstance(Instance):
    """docs/DEPLOY.md's shared-hosting section, as written, with HOME a temp folder standing for /home/alice:
    the workers are the `@reboot` crontab line run by /bin/sh as cron does, nginx serves the doc's block."""

    home: Path
    dist: Path

    def __init__(self, name: str, extra_args: tuple[str, ...]):
        super().__init__(name, extra_args)
        self.base = self.home / "cognito-fcgi"
        self.binary = self.base / "bin" / "cognito-fcgi"
        self.data_dir = self.base / "data"
        self.socket_path = self.base / "run" / "cognito-fcgi.sock"
        self.worker_log = self.base / "worker.log"

    def shell(self, script: str, **kwargs) -> subprocess.CompletedProcess:
        """Runs a doc block with bash, bare, as alice would in her shell."""
        return subprocess.run(bare(["bash", "-euo", "pipefail", "-c", script], self.home), capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL, **kwargs)

    def _create_key(self):
        # Unpack the tarball (the doc's first block), in the folder the tarball was uploaded to.
        done = self.shell(doc_block("mkdir -p ~/cognito-fcgi/bin"), cwd=self.dist)
        assert done.returncode == 0, done.stderr
        config = doc_block('"socket-mode": "0666"', ("json",))
        (self.base / "config.json").write_text(replace_exactly(config, "/home/alice", str(self.home), count=2))
        done = self.shell(doc_block("~/cognito-fcgi/bin/cognito-fcgi check-config"))
        assert done.returncode == 0, done.stderr
        assert "configuration OK" in done.stdout
        fields = dict(re.findall(r"^(AccessKeyId|SecretAccessKey):\s*(\S+)\s*$", done.stdout, re.M))
        return AccessKey(fields["AccessKeyId"], fields["SecretAccessKey"])

    def _launch_worker(self, log) -> subprocess.Popen:
        line = doc_block("@reboot", ("",)).strip()
        command = replace_exactly(line, "@reboot ", "")
        # cron runs the line with /bin/sh, HOME set, and little else.
        return subprocess.Popen(bare(["sh", "-c", command], self.home), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def _render_nginx(self) -> Path:
        """The doc's block for the host's nginx, in a minimal main file (the host's part: listen)."""
        block = doc_block("upstream cognito_fcgi", ("nginx",))
        block = replace_exactly(block, "/home/alice", str(self.home), count=2)
        block = replace_exactly(block, "    # ... the host's listen, server_name auth.example.com and certificate lines ...",
                                f"    listen 127.0.0.1:{self.port};")
        prefix = self.nginx_prefix
        for folder in ("logs", "tmp"):
            (prefix / folder).mkdir(parents=True, exist_ok=True)
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};" if os.getuid() == 0 else ""
        temp = " ".join(f"{k}_temp_path {prefix}/tmp/{k};" for k in ("client_body", "fastcgi", "proxy", "uwsgi", "scgi"))
        conf = prefix / "nginx.conf"
        conf.write_text(f"{user}\ndaemon off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log info;\n"
                        f"events {{ worker_connections 128; }}\n"
                        f"http {{ {temp}\n access_log {prefix}/logs/access.log;\n{block}\n}}\n")
        return conf

    def stop(self, remove: bool = True) -> None:
        # cron's /bin/sh waits for the workers: stop the whole group (sh and the supervisor) with SIGTERM.
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGTERM)
            self.nginx.wait(timeout=STOP_TIMEOUT)
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            self.worker.wait(timeout=STOP_TIMEOUT)
            deadline = time.monotonic() + STOP_TIMEOUT
            while self._group_alive(self.worker.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        super().stop(remove)


def test_shared_hosting_with_the_tarball(dist: Path):
    scratch = Path(tempfile.mkdtemp(prefix="cgd-", dir="/tmp"))  # short: a unix socket path has 108 bytes
    SharedHostingInstance.home = scratch / "home"
    SharedHostingInstance.home.mkdir()
    SharedHostingInstance.dist = dist
    SharedHostingInstance.binary = dist / "cognito-fcgi"  # what start() checks; each instance uses its unpacked copy
    instance = SharedHostingInstance.start("shared-hosting")
    try:
        supervisor = int(Path(f"/proc/{instance.worker.pid}/task/{instance.worker.pid}/children").read_text().split()[0])
        assert os.readlink(f"/proc/{supervisor}/exe") == str(instance.binary)
        environment = Path(f"/proc/{supervisor}/environ").read_bytes().split(b"\0")
        assert not any(v.startswith(b"LD_LIBRARY_PATH=") and v != b"LD_LIBRARY_PATH=" for v in environment)
        if HIDE:  # the workers see an empty /opt/swift
            assert os.readlink(f"/proc/{supervisor}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
            assert "/opt/swift" not in Path(f"/proc/{supervisor}/maps").read_text()

        idp = instance.client()
        pool = idp.create_user_pool(PoolName="shared-hosting")["UserPool"]
        client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")["UserPoolClient"]
        assert idp.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
        assert stat.S_IMODE(instance.socket_path.stat().st_mode) == 0o666  # the doc's socket-mode
        jwks = instance.request("GET", f"/{pool['Id']}/.well-known/jwks.json")
        assert jwks.status_code in (200, 404)  # routed to the workers by the tarball's locations file

        # The backup crontab line, as cron runs it (`\%` becomes `%`).
        line = doc_block("17 3 * * *", ("",)).strip()
        command = line.split(None, 5)[5].replace("\\%", "%")
        done = subprocess.run(bare(["sh", "-c", command], instance.home), capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        backups = list((instance.base / "backups").iterdir())
        assert len(backups) == 1 and (backups[0] / "pools").is_dir()
        assert "backed up 1 pool(s), 1 app client(s)" in (instance.base / "backup.log").read_text()
    finally:
        instance.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    assert not instance.problems, instance.problems
