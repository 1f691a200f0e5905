"""moto_server, with the benchmark's pool, client and users already in it.

Runs moto's own server entry point (`moto.server.main`, what the `moto_server` command runs: Werkzeug, threaded) in
this process, after creating the pool, the app client and the users directly in moto's in-memory backend, the one its
HTTP handlers use. Through the HTTP API, 100,000 users would take 200,000 requests (AdminCreateUser and
AdminSetUserPassword) at moto's few hundred per second. The benchmark checks afterwards, over HTTP, that moto serves
them (DescribeUserPoolClient, AdminGetUser, ListUsers).

usage: moto_seeded.py --port PORT --users N --password P --out IDS.json
Writes {"UserPoolId": ..., "ClientId": ...} to IDS.json before it starts serving.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from moto.cognitoidp.models import cognitoidp_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    started = time.monotonic()
    backend = cognitoidp_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    pool = backend.create_user_pool("bench", {})
    client = backend.create_user_pool_client(
        pool.id, False,
        {"ClientName": "bench", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]},
    )
    for i in range(args.users):
        name = f"user{i:06d}"
        backend.admin_create_user(
            pool.id, name, "SUPPRESS", args.password,
            [{"Name": "email", "Value": f"{name}@bench.example"}, {"Name": "email_verified", "Value": "true"},
             {"Name": "name", "Value": f"Bench User {i}"}],
        )
        backend.admin_set_user_password(pool.id, name, args.password, True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"UserPoolId": pool.id, "ClientId": client.id, "SeedSeconds": time.monotonic() - started}, f)
    os.replace(tmp, args.out)
    sys.stdout.flush()

    from moto.server import main as moto_server_main
    moto_server_main(["-H", "127.0.0.1", "-p", str(args.port)])


if __name__ == "__main__":
    main()
