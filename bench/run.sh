#!/usr/bin/env bash
# `make bench` / `make bench-smoke`: installs what is missing (bench/install.sh), builds the production binary
# (`make dist`'s static release build) unless BENCH_BIN names one, then runs bench/bench.py (settings: see its
# docstring; BENCH_SECONDS, BENCH_USERS, ...).
#
# usage: bench/run.sh [--smoke]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -x /opt/swift/usr/bin/swift ]; then PATH="/opt/swift/usr/bin:$PATH"; fi

smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

if [ "$smoke" = 1 ]; then
    bash bench/install.sh --no-venv   # the smoke run needs wrk only: no moto, standard-library Python
    python="${PYTHON:-python3}"
else
    bash bench/install.sh
    python=.venv-bench/bin/python
fi

if [ -z "${BENCH_BIN:-}" ]; then
    # The binary production runs (docs/DEPLOY.md): `make dist`'s self-contained release build, in its own scratch
    # folder so that it does not disturb .build.
    bash scripts/dist.sh --scratch-path .build-dist --out .build-dist/bench
    BENCH_BIN="$PWD/.build-dist/bench/cognito-fcgi"
fi
export BENCH_BIN

if [ "$smoke" = 1 ]; then
    exec "$python" bench/bench.py --smoke
fi
exec "$python" bench/bench.py
