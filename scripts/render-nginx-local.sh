#!/usr/bin/env bash
# Renders deploy/nginx-local.conf.in into PREFIX/nginx.conf and creates the folders it names, for a
# private nginx on 127.0.0.1:PORT in front of the workers' socket. Used by scripts/run.sh (`make run`)
# and by the e2e tests (Tests/e2e/conftest.py), so both run exactly the routing in
# deploy/cognito-fcgi-locations.conf. Start the result with:
#
#   nginx -p PREFIX -c PREFIX/nginx.conf -e PREFIX/logs/error.log
#
# usage: scripts/render-nginx-local.sh PREFIX PORT SOCKET
set -euo pipefail

if [ $# -ne 3 ]; then
    echo "usage: $0 PREFIX PORT SOCKET" >&2
    exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$1"
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac
port="$2"
socket="$3"
case "$socket" in /*) ;; *) socket="$PWD/$socket" ;; esac
locations="$root/deploy/cognito-fcgi-locations.conf"

if ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    echo "render-nginx-local: bad port: $port" >&2
    exit 2
fi
# These end up unquoted in nginx's configuration and in sed: refuse characters either would misread.
bad='[[:space:];{}"'"'"'|\\&#$]'
for path in "$prefix" "$socket" "$locations"; do
    if [[ "$path" =~ $bad ]]; then
        echo "render-nginx-local: unsupported character in path: $path" >&2
        exit 2
    fi
done

user_line=""
if [ "$(id -u)" -eq 0 ]; then
    # nginx started as root would run its workers as `nobody`; see deploy/nginx-local.conf.in.
    user_line="user $(id -un) $(id -gn);"
fi

mkdir -p "$prefix/logs" "$prefix/tmp"
prefix="$(cd "$prefix" && pwd -P)"
sed -e "s|@PREFIX@|$prefix|g" \
    -e "s|@PORT@|$port|g" \
    -e "s|@SOCKET@|$socket|g" \
    -e "s|@LOCATIONS@|$locations|g" \
    -e "s|@USER@|$user_line|g" \
    "$root/deploy/nginx-local.conf.in" >"$prefix/nginx.conf.tmp"
if grep -n '@[A-Z_]*@' "$prefix/nginx.conf.tmp" >&2; then
    echo "render-nginx-local: unreplaced placeholder in deploy/nginx-local.conf.in" >&2
    exit 1
fi
mv "$prefix/nginx.conf.tmp" "$prefix/nginx.conf"
