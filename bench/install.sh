#!/usr/bin/env bash
# Installs what `make bench` / `make bench-smoke` need and is missing: Debian's wrk (the load generator) and,
# unless --no-venv, the benchmark's virtualenv .venv-bench with bench/requirements.txt (moto_server, boto3).
# Idempotent and quiet when everything is there.
#
# usage: bench/install.sh [--no-venv]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

with_venv=1
[ "${1:-}" = "--no-venv" ] && with_venv=0

if ! command -v wrk >/dev/null 2>&1; then
    echo "bench/install.sh: installing wrk (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q wrk >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q wrk >/dev/null
    fi
fi

if [ "$with_venv" = 1 ]; then
    venv=.venv-bench
    stamp="$venv/.requirements-installed"
    if ! [ -f "$stamp" ] || [ bench/requirements.txt -nt "$stamp" ]; then
        echo "bench/install.sh: preparing $venv (bench/requirements.txt)"
        test -x "$venv/bin/python" || "${PYTHON:-python3}" -m venv "$venv"
        "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --requirement bench/requirements.txt
        touch "$stamp"
    fi
fi
