"""Writes benchmark users straight into a cognito-fcgi store, in the exact format the service writes them.

Through the API, 100,000 users would take 100,000 Argon2id hashes (~50 ms of CPU each). Here the password hash is
computed once (libargon2 through ctypes, the library the workers use, at the workers' parameters) and shared by
every user, and the records are written as the service writes them:

- `pools/<poolId>/users/<fileKey(username key)>.json`: `UserRecord.toJSON()` (Sources/Handlers/Domain/UserRecord.swift):
  compact JSON, members sorted, dates as epoch seconds;
- `pools/<poolId>/aliases/<fileKey("sub:" + sub)>.json`: `{"User": <username key>}`, the one alias entry
  `PoolTransaction.saveUser` (Domain/PoolTransaction+Users.swift) writes for a pool with neither username nor alias
  attributes;
- optionally a pending ForgotPassword code in the record (`VerificationCode.toJSON()`, Domain/VerificationCode.swift):
  HMAC-SHA256 keyed by `<data>/secret.key` over `"code:ForgotPassword\\0" + salt + code`.

Every file is written as the store writes files (a `.tmp.<pid>.<hex>` file in the same folder, renamed over the
target) while holding the pool's `lock` with `flock(LOCK_EX)`, the store's own locking protocol; durability comes from
one `sync()` and an fsync of each folder at the end instead of two fsyncs per file.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid
from pathlib import Path

ARGON2_MEMORY_KIB = 19456
ARGON2_ITERATIONS = 2
ARGON2_PARALLELISM = 1
FORGOT_PASSWORD = "ForgotPassword"


# ---- the store's encodings ---------------------------------------------------------------------------------------

def file_key(raw: str) -> str:
    """FileSystem.fileKey: [A-Za-z0-9_-] as they are, every other UTF-8 byte %XX; long keys end in a SHA-256."""
    out = []
    for b in raw.encode():
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-_"):
            out.append(c)
        else:
            out.append("%%%02X" % b)
    s = "".join(out)
    if not s:
        return "%"
    if len(s) <= 180:
        return s
    return s[:90] + "~" + hashlib.sha256(raw.encode()).hexdigest()


def dumps(value) -> bytes:
    """JSON.serialized(): compact, object members sorted, non-ASCII as UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# ---- Argon2id through libargon2 ----------------------------------------------------------------------------------

def _libargon2():
    name = ctypes.util.find_library("argon2") or "libargon2.so.1"
    lib = ctypes.CDLL(name)
    lib.argon2id_hash_encoded.argtypes = [
        ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
        ctypes.c_size_t, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
    ]
    lib.argon2id_hash_raw.argtypes = [
        ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
        ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t,
    ]
    return lib


def argon2id_phc(password: str, *, memory_kib: int = ARGON2_MEMORY_KIB, iterations: int = ARGON2_ITERATIONS) -> str:
    """The PHC string PasswordHasher.hash makes: `$argon2id$v=19$m=...,t=...,p=1$<salt>$<hash>`."""
    lib = _libargon2()
    pwd = password.encode()
    salt = secrets.token_bytes(16)
    out = ctypes.create_string_buffer(256)
    rc = lib.argon2id_hash_encoded(iterations, memory_kib, ARGON2_PARALLELISM, pwd, len(pwd), salt, len(salt), 32,
                                   out, len(out))
    if rc != 0:
        raise RuntimeError(f"argon2id_hash_encoded failed: {rc}")
    return out.value.decode()


def argon2id_times(samples: int = 5, *, memory_kib: int = ARGON2_MEMORY_KIB,
                   iterations: int = ARGON2_ITERATIONS) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of `samples` single Argon2id hashes (32-byte output) at the workers' parameters, one after
    another in this thread. CPU time is what a hash costs; wall time also counts waiting for a busy CPU."""
    lib = _libargon2()
    out = ctypes.create_string_buffer(32)
    times = []
    for _ in range(samples):
        salt = secrets.token_bytes(16)
        w0, c0 = time.perf_counter(), time.thread_time()
        rc = lib.argon2id_hash_raw(iterations, memory_kib, ARGON2_PARALLELISM, b"Bench-Passw0rd!", 15, salt, 16,
                                   out, 32)
        times.append((time.perf_counter() - w0, time.thread_time() - c0))
        if rc != 0:
            raise RuntimeError(f"argon2id_hash_raw failed: {rc}")
    return times


def argon2id_parallel_rate(threads: int, seconds: float = 2.0) -> float:
    """Hashes per second that `threads` threads achieve together right now (ctypes releases the GIL during the
    call): the KDF bound as the machine's current load allows it."""
    import threading
    deadline = time.monotonic() + seconds
    counts = [0] * threads

    def work(k: int) -> None:
        lib = _libargon2()
        out = ctypes.create_string_buffer(32)
        while time.monotonic() < deadline:
            lib.argon2id_hash_raw(ARGON2_ITERATIONS, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, b"Bench-Passw0rd!", 15,
                                  secrets.token_bytes(16), 16, out, 32)
            counts[k] += 1

    started = time.monotonic()
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.monotonic() - started)


# ---- writing -----------------------------------------------------------------------------------------------------

class PoolWriter:
    """Writes records into one pool's folder under its exclusive flock (a context manager)."""

    def __init__(self, data_dir: Path, pool_id: str):
        self.data_dir = Path(data_dir)
        self.pool_dir = self.data_dir / "pools" / file_key(pool_id)
        if not (self.pool_dir / "pool.json").is_file():
            raise FileNotFoundError(f"no pool {pool_id} in {data_dir}")
        self.secret = (self.data_dir / "secret.key").read_bytes()
        self.pool = json.loads((self.pool_dir / "pool.json").read_bytes())
        self.case_sensitive = (self.pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True)
        if self.pool.get("UsernameAttributes") or self.pool.get("AliasAttributes"):
            # Those pools also index email/phone/preferred_username; this writer only writes `sub` entries.
            raise ValueError("store_seed writes pools without UsernameAttributes/AliasAttributes only")
        self._lock_fd = -1
        self._pid = os.getpid()
        self._dirs: set[Path] = set()
        self._counter = 0

    def __enter__(self) -> "PoolWriter":
        for folder in ("users", "aliases"):
            (self.pool_dir / folder).mkdir(mode=0o700, exist_ok=True)
        self._lock_fd = os.open(self.pool_dir / "lock", os.O_RDONLY | os.O_CLOEXEC)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                os.sync()
                for d in self._dirs:
                    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
        finally:
            os.close(self._lock_fd)  # releases the flock

    def _write(self, folder: str, key: str, payload: bytes, *, fresh: bool = False) -> None:
        """Temp file + rename, as the store writes; `fresh` (a new record while no worker runs) creates the file
        in place instead, which saves a rename per file when seeding 100,000 users."""
        directory = self.pool_dir / folder
        self._dirs.add(directory)
        target = directory / (file_key(key) + ".json")
        self._counter += 1
        path = target if fresh else directory / f".tmp.{self._pid}.{self._counter:x}{secrets.token_hex(4)}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)
        if not fresh:
            os.rename(path, target)

    def user_key(self, username: str) -> str:
        import unicodedata
        nfc = unicodedata.normalize("NFC", username)
        return nfc if self.case_sensitive else nfc.lower()

    def forgot_password_code(self, code: str, now: int) -> dict:
        salt = secrets.token_bytes(16)
        mac = hmac.new(self.secret, b"code:" + FORGOT_PASSWORD.encode() + b"\0" + salt + code.encode(), hashlib.sha256)
        return {"Attempts": 0, "Digest": b64url(mac.digest()), "ExpiresAt": now + 3600, "IssuedAt": now,
                "Purpose": FORGOT_PASSWORD, "Salt": b64url(salt)}

    def write_user(self, username: str, attributes: dict[str, str], password_hash: str, *, now: int,
                   sub: str | None = None, forgot_password_code: str | None = None, fresh: bool = False) -> str:
        """A CONFIRMED, enabled user (record first, then its `sub` alias entry). Returns the sub. `fresh`: the
        user does not exist yet and no worker is running (see `_write`)."""
        sub = sub or str(uuid.uuid4())
        attrs = dict(attributes)
        attrs["sub"] = sub
        record = {
            "Attributes": attrs, "Created": now, "Enabled": True, "FailedSignIns": 0, "Modified": now,
            "PasswordHash": password_hash, "Status": "CONFIRMED", "Sub": sub, "Username": username,
        }
        if forgot_password_code is not None:
            record["Codes"] = {FORGOT_PASSWORD: self.forgot_password_code(forgot_password_code, now)}
        key = self.user_key(username)
        self._write("users", key, dumps(record), fresh=fresh)
        self._write("aliases", "sub:" + sub, dumps({"User": key}), fresh=fresh)
        return sub

    def read_user(self, username: str) -> dict | None:
        path = self.pool_dir / "users" / (file_key(self.user_key(username)) + ".json")
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            return None

    def reset_forgot_password_code(self, username: str, code: str, now: int) -> None:
        """Gives an existing user a fresh pending ForgotPassword code (attempts back to 0)."""
        record = self.read_user(username)
        if record is None:
            raise KeyError(username)
        codes = dict(record.get("Codes") or {})
        codes[FORGOT_PASSWORD] = self.forgot_password_code(code, now)
        record["Codes"] = codes
        self._write("users", self.user_key(username), dumps(record))
