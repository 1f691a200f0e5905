#!/usr/bin/env python3
"""Splits `perf record -g` samples of the workers into the parts of a request, by the frames on each stack.

usage: perf script -i perf.data | swift-demangle --simplified | bench/perf_split.py

Prints the share of samples (all of the workers' on-CPU time, kernel included) whose stack contains, in this
order of precedence: the KDF (libargon2), RSA (BoringSSL RSA/bignum), fsync, the operation itself, the rest of
Service.handleWithOutcome (decoding, validation, SigV4, encoding), the accept loop's own work in
FastCGIServer.serve/write (copying the request out of libfcgi, building the response), the access log
(swift-log), libfcgi and the kernel around accept/read/write, and everything else.
"""

from __future__ import annotations

import collections
import re
import sys

BUCKETS = [
    ("KDF (libargon2)", re.compile(r"libargon2|argon2|fill_segment|fill_memory_blocks|blake2")),
    ("RSA sign/verify (BoringSSL)", re.compile(r"RSA_sign|RSA_verify|rsa_|bn_mul_mont|BN_mod_exp|bn_sqr|_RSA\.Signing")),
    ("fsync", re.compile(r"\bfsync\b|do_fsync|ext4_sync_file")),
    ("SigV4 verification", re.compile(r"SigV4Verifier")),
    ("token check (JWT parse/verify)", re.compile(r"TokenCheck\.verify|JWT\.init|JWT\.verify")),
    ("store: lock, open, read + parse, write (fsync apart)", re.compile(r"PoolTransaction\.read|PoolTransaction\.pool|Store\.withPool|FileSystem\.read")),
    ("operation (other)", re.compile(r"OperationEntry\.init|\.run\(_:\)")),
    ("service: decode/validate/encode", re.compile(r"Service\.handleWithOutcome|Service\.decodeCall|Service\.success|Service\.failure")),
    ("access log (swift-log)", re.compile(r"StreamLogHandler|Logger\.log|Logger\.info")),
    ("accept loop: request copy-out / response", re.compile(r"FastCGIServer\.serve|FastCGIServer\.write|FastCGIServer\.isPing")),
    ("libfcgi + kernel (accept, read, write, close)", re.compile(r"FCGX_|libfcgi|FastCGIServer\.acceptLoop")),
    # perf's frame-pointer walk loses the caller inside libc's syscall wrappers: attribute by the syscall.
    ("kernel: socket syscalls, caller lost (accept, poll, read, write, close)",
     re.compile(r"__sys_accept4|do_sys_poll|ksys_read|ksys_write|__x64_sys_close|sock_|unix_")),
    ("kernel: file syscalls, caller lost (open, stat, flock, rename)",
     re.compile(r"do_sys_openat2|newfstatat|__x64_sys_flock|do_renameat2|vfs_statx")),
    ("kernel: scheduler (context switches)", re.compile(r"finish_task_switch|__schedule")),
    ("malloc/free", re.compile(r"\bmalloc\b|cfree|_int_free|_int_malloc")),
]


def main() -> None:
    counts: collections.Counter[str] = collections.Counter()
    total = 0
    stack: list[str] = []

    def flush() -> None:
        nonlocal total
        if not stack:
            return
        total += 1
        text = "\n".join(stack)
        for name, pattern in BUCKETS:
            if pattern.search(text):
                counts[name] += 1
                break
        else:
            counts["other (outside the accept loop's threads or unattributed)"] += 1
        stack.clear()

    for line in sys.stdin:
        if not line.strip():
            flush()
            continue
        if line[0] in " \t":
            stack.append(line.strip())
    flush()
    if not total:
        print("no samples")
        return
    for name, n in counts.most_common():
        print(f"{n / total * 100:6.1f} %  {name}")
    print(f"({total} samples)")


if __name__ == "__main__":
    main()
