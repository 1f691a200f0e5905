#!/usr/bin/env bash
# `make run`: builds the release binary and serves cognito-fcgi on http://127.0.0.1:${PORT:-8080} from
# ./var (data, keys, socket, nginx files), in the foreground. Ctrl-C (or SIGTERM) stops what it started.
#
#   var/data/             the store (0700); credentials.json holds the IAM access keys
#   var/aws-credentials   the first key as an AWS shared-credentials file (0600)
#   var/run/              the workers' socket
#   var/nginx/            nginx's rendered config, pid, logs (logs/access.log, logs/error.log), temp files
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
if [ -x /opt/swift/usr/bin/swift ]; then PATH="/opt/swift/usr/bin:$PATH"; fi

port="${PORT:-8080}"
var="$root/var"
data="$var/data"
socket="$var/run/cognito-fcgi.sock"
nginx_prefix="$var/nginx"
endpoint="http://127.0.0.1:$port"

if [ -n "${COGNITO_FCGI_BIN:-}" ]; then
    bin="$COGNITO_FCGI_BIN"   # an already-built binary: skip the build
else
    swift build -c release --product cognito-fcgi
    bin="$(swift build -c release --show-bin-path)/cognito-fcgi"
fi

mkdir -p "$var" "$var/run"
mkdir -p -m 0700 "$data"
chmod 0700 "$var" "$data"

if [ ! -s "$var/aws-credentials" ]; then
    echo "Creating an access key (first start) ..."
    "$bin" keys create --data "$data" --aws-credentials "$var/aws-credentials" >/dev/null
fi
key_id="$(sed -n 's/^aws_access_key_id *= *//p' "$var/aws-credentials" | head -n 1)"

if [ -f "$nginx_prefix/nginx.pid" ] && kill -0 "$(cat "$nginx_prefix/nginx.pid" 2>/dev/null)" 2>/dev/null; then
    echo "run: an nginx from an earlier 'make run' is still running (pid $(cat "$nginx_prefix/nginx.pid")); stop it first" >&2
    exit 1
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run: something already listens on 127.0.0.1:$port; choose another port: make run PORT=8081" >&2
    exit 1
fi

worker_pid=""
nginx_pid=""
stopped=""
stop() {
    [ -z "$stopped" ] || return 0
    stopped=1
    # Only what this script started, by PID: nginx first (SIGQUIT: graceful, it finishes what it is
    # forwarding), then the workers (SIGTERM: they finish in-flight requests and remove the socket).
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [ -n "$worker_pid" ]; then
        kill -TERM "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
    echo "Stopped."
}
# A Ctrl-C or SIGTERM reaches make and this script both, and make passes its own on to us: the first one stops
# everything, and the ones after it are ignored (not reset, not trapped again), so that a second one cannot cut the
# stopping short and leave the workers and nginx running, orphaned.
on_signal() {
    trap '' INT TERM HUP
    stop
    exit "$1"
}
trap stop EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# Both run in their own session (setsid, which execs in place, so $! is their PID): Ctrl-C reaches only
# this script, whose trap stops them in order. Worker logs go to this terminal (stderr).
setsid "$bin" serve --data "$data" --socket "$socket" --processes 1 --threads 8 --issuer "$endpoint" &
worker_pid=$!
for _ in $(seq 1 300); do
    [ -S "$socket" ] && break
    if ! kill -0 "$worker_pid" 2>/dev/null; then
        echo "run: the worker exited before creating $socket" >&2
        exit 1
    fi
    sleep 0.1
done
if ! [ -S "$socket" ]; then
    echo "run: no socket at $socket after 30 s" >&2
    exit 1
fi

bash scripts/render-nginx-local.sh "$nginx_prefix" "$port" "$socket"
setsid nginx -p "$nginx_prefix" -c "$nginx_prefix/nginx.conf" -e "$nginx_prefix/logs/error.log" &
nginx_pid=$!
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    if ! kill -0 "$nginx_pid" 2>/dev/null; then
        echo "run: nginx exited; see $nginx_prefix/logs/error.log:" >&2
        tail -n 20 "$nginx_prefix/logs/error.log" >&2 || true
        exit 1
    fi
    sleep 0.1
done

aws_cli="aws"
if ! command -v aws >/dev/null 2>&1 && [ -x "$root/.venv/bin/aws" ]; then aws_cli="./.venv/bin/aws"; fi
cat <<EOF

cognito-fcgi is serving on $endpoint  (Ctrl-C stops it)
  data folder:    ./var/data
  access key id:  $key_id  (secret in ./var/aws-credentials)
  nginx logs:     ./var/nginx/logs/

Try it (the AWS CLI v1 comes with 'make venv' as ./.venv/bin/aws):
  AWS_SHARED_CREDENTIALS_FILE=./var/aws-credentials $aws_cli cognito-idp list-user-pools --max-results 10 --endpoint-url $endpoint --region us-east-1

EOF

# Until Ctrl-C/SIGTERM, or until either process exits on its own (then stop the other one too).
set +e
wait -n "$worker_pid" "$nginx_pid"
status=$?
set -e
if kill -0 "$worker_pid" 2>/dev/null; then what="nginx"; else what="the worker"; fi
echo "run: $what exited on its own (status $status); stopping" >&2
exit 1
