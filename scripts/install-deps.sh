#!/usr/bin/env bash
# Installs the Debian 12 packages that building, running and testing cognito-fcgi need, and only those
# that are missing: nothing is downloaded when everything is already there, so `make` can call this on
# every run. Needs root (or sudo) only when something is missing.
#
#   libfcgi-dev     libfcgi headers + library (Sources/CFastCGI, found through pkg-config "fcgi")
#   libargon2-dev   Argon2id password hashing (Sources/CArgon2, pkg-config "libargon2")
#   pkg-config      how SwiftPM finds the two above
#   nginx           the front end that `make run` and the e2e tests start on loopback.
#                   On bookworm the binary is in package `nginx`; `nginx-light` is only a transitional
#                   package that pulls in `nginx` plus the echo module, so `nginx` is what we ask for.
#   openssl         used by operators to make TLS certificates (deploy/nginx.conf)
#   spawn-fcgi      optional way to start workers on an inherited socket (documented in the README)
#   python3-venv    only when python3 cannot create a virtualenv (Debian's own python3 without it)
#
# The distro's nginx service: on a machine with systemd, installing `nginx` enables and starts the
# default site on port 80. That service is the system's, not ours: we neither stop nor disable it (our
# nginx instances use their own config, pid file and ports). In containers, /usr/sbin/policy-rc.d
# usually prevents the start altogether.
set -euo pipefail

packages=(libfcgi-dev libargon2-dev pkg-config openssl spawn-fcgi)

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
# Any package that provides a working nginx binary will do (nginx, or nginx-full/-extras on other setups).
if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
    missing+=(nginx)
fi
if ! command -v python3 >/dev/null 2>&1; then
    missing+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    missing+=(python3-venv)
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all system packages present"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "install-deps: need root to install: ${missing[*]}" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
