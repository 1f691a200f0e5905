"""Attacks on the SigV4 check and the query form, each refused (found by a security audit of the verifier).

- a Date header whose year overflows the calendar arithmetic: an AWS error, not a dead worker;
- pairs smuggled past the signature by a `&` that Unicode joins to its neighbour (the verifier once split the query
  on Characters, the operation on bytes), and a second X-Amz-Signature;
- an operation (X-Amz-Target) left out of the signature, then changed;
- a signed `%2B` sent as `+` (read as a space);
- presigned URLs past 15 minutes, whatever X-Amz-Expires asks;
- UNSIGNED-PAYLOAD (S3's option) with the body swapped;
- header and query authentication together.
"""

from __future__ import annotations

import datetime
import json
import secrets
import socket
import time

import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest

from conftest import JSON_CONTENT_TYPE, REGION, SERVICE, TARGET_PREFIX, Instance

# ---- helpers ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inst():
    instance = Instance.start("findings", ())
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture(scope="module")
def idp(inst: Instance):
    return inst.client()


def new_pool(idp) -> str:
    return idp.create_user_pool(PoolName="finding-" + secrets.token_hex(4))["UserPool"]["Id"]


def pool_exists(inst: Instance, pool_id: str) -> bool:
    return inst.json_call("DescribeUserPool", {"UserPoolId": pool_id}).status_code == 200


def raw_http(inst: Instance, data: bytes, timeout: float = 15) -> tuple[int, bytes]:
    """Sends bytes as they are (requests would percent-encode the query) and returns (status, body)."""
    with socket.create_connection(("127.0.0.1", inst.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def raw_get(inst: Instance, target: bytes) -> tuple[int, bytes]:
    return raw_http(inst, b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1:" + str(inst.port).encode()
                    + b"\r\nConnection: close\r\n\r\n")


def shifted_clock(seconds: float):
    """botocore's signing clock moved by `seconds` (signs as if it were then)."""
    real = botocore.auth.get_current_datetime

    class _Shift:
        def __enter__(self):
            botocore.auth.get_current_datetime = lambda: real() + datetime.timedelta(seconds=seconds)

        def __exit__(self, *exc):
            botocore.auth.get_current_datetime = real

    return _Shift()


def presign(inst: Instance, operation: str, params: dict, *, expires: int = 300, shift: float = 0) -> str:
    req = AWSRequest(method="GET", url=inst.endpoint + "/", params={"Action": operation, **params})
    with shifted_clock(shift):
        SigV4QueryAuth(inst.credentials.botocore(), SERVICE, REGION, expires=expires).add_auth(req)
    return req.prepare().url


# ---- F1: a Date header with a huge year kills the worker process (unauthenticated) ----------------------------

@pytest.mark.parametrize("year", ["1000000000000", "-1000000000000"])
def test_f1_date_header_with_huge_year_is_an_aws_error_not_a_crash(year: str):
    instance = Instance.start("f1-date", ())
    try:
        before = instance.worker_pids()
        cred = f"AKIA{'A' * 16}/20260101/us-east-1/cognito-idp/aws4_request"
        response = instance.request("POST", "/", headers={
            "X-Amz-Target": TARGET_PREFIX + "ListUserPools",
            "Content-Type": JSON_CONTENT_TYPE,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;date, Signature=00",
            "Date": f"Thu, 01 Jan {year} 00:00:00 GMT",
        }, data=b"{}")
        time.sleep(0.5)
        log = instance.worker_log.read_text(errors="replace")
        # Correct: an AWS signature error (a date that cannot be, or an expired signature), the worker alive.
        assert response.status_code in (400, 403), (response.status_code, response.text[:200])
        assert response.json()["__type"] in ("IncompleteSignatureException", "InvalidSignatureException")
        assert instance.worker_pids() == before, "a worker process died"
        assert "arithmetic overflow" not in log and "exited unexpectedly" not in log
    finally:
        instance.stop()


# ---- F2: any presigned URL can be turned into any IAM call (grapheme-cluster '&' smuggling) --------------------

PREPEND = "\u0600".encode()  # Unicode Grapheme_Cluster_Break=Prepend: joins the '&' that follows into one Character
EXTEND = "\u0301".encode()   # Grapheme_Cluster_Break=Extend: joins the '&' before it into one Character


def smuggle(inst: Instance, url: str, injected: list[tuple[str, str]]) -> bytes:
    """The presigned URL's own pairs (reordered, which SigV4 allows: the canonical query is sorted) plus pairs that
    the verifier, splitting the query on Characters, sees as part of a second X-Amz-Signature value (excluded from
    the canonical query), while the operation, splitting on bytes, sees them as parameters ahead of the signed ones.
    """
    path_and_query = url.split(str(inst.port), 1)[1]
    path, query = path_and_query.split("?", 1)
    pairs = query.split("&")
    signature = next(p for p in pairs if p.startswith("X-Amz-Signature="))
    others = [p for p in pairs if p != signature]
    hidden = b"X-Amz-Signature=z" + PREPEND
    for i, (name, value) in enumerate(injected):
        hidden += b"&" + name.encode() + b"=" + value.encode()
        if i < len(injected) - 1:
            hidden += b"&" + EXTEND + b"junk" + PREPEND  # a throw-away pair between two injected ones
    return (path + "?" + signature).encode() + b"&" + hidden + b"&" + "&".join(others).encode()


def test_f2_presigned_list_user_pools_cannot_become_admin_set_user_password(inst: Instance, idp):
    pool = new_pool(idp)
    idp.admin_create_user(UserPoolId=pool, Username="victim", MessageAction="SUPPRESS")
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName="app",
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
                                         )["UserPoolClient"]["ClientId"]
    url = presign(inst, "ListUserPools", {"MaxResults": "1"})  # the most harmless IAM call there is
    assert inst.http.get(url, timeout=30).status_code == 200
    status, body = raw_get(inst, smuggle(inst, url, [
        ("Action", "AdminSetUserPassword"), ("UserPoolId", pool), ("Username", "victim"),
        ("Password", "Attacker-Passw0rd!"), ("Permanent", "true")]))
    # Correct: the signature covers every parameter; anything added makes it fail.
    assert status == 403, (status, body[:200])
    # Refused twice over now: the second X-Amz-Signature, and the smuggled pairs are in the signed query.
    assert json.loads(body)["__type"] in ("IncompleteSignatureException", "InvalidSignatureException")
    user = idp.admin_get_user(UserPoolId=pool, Username="victim")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"  # no password was set
    with pytest.raises(Exception):
        inst.client(signed=False).initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": "victim", "PASSWORD": "Attacker-Passw0rd!"})


def test_f2_presigned_describe_cannot_become_delete(inst: Instance, idp):
    pool = new_pool(idp)
    url = presign(inst, "DescribeUserPool", {"UserPoolId": pool})
    status, body = raw_get(inst, smuggle(inst, url, [("Action", "DeleteUserPool")]))
    assert status == 403, (status, body[:200])
    assert pool_exists(inst, pool)


def test_f2_a_second_signature_parameter_is_refused(inst: Instance):
    url = presign(inst, "ListUserPools", {"MaxResults": "1"})
    response = inst.http.get(url + "&X-Amz-Signature=" + "0" * 64, timeout=30)
    assert response.status_code == 403, (response.status_code, response.text[:200])
    assert response.json()["__type"] == "IncompleteSignatureException"


# ---- F3: X-Amz-Target need not be signed, so a captured signature runs another operation -----------------------

class _SignWithoutTarget(SigV4Auth):
    """A client that signs only host and x-amz-date (as awscurl does), not X-Amz-Target."""

    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        for name in ("x-amz-target", "content-type"):
            if name in headers:
                del headers[name]
        return headers


def test_f3_an_operation_not_covered_by_the_signature_is_refused(inst: Instance, idp):
    pool = new_pool(idp)
    body = json.dumps({"UserPoolId": pool})
    req = AWSRequest(method="POST", url=inst.endpoint + "/", data=body, headers={
        "X-Amz-Target": TARGET_PREFIX + "DescribeUserPool", "Content-Type": JSON_CONTENT_TYPE})
    _SignWithoutTarget(inst.credentials.botocore(), SERVICE, REGION).add_auth(req)
    prepared = req.prepare()
    headers = dict(prepared.headers.items())
    assert "SignedHeaders=host;x-amz-date," in headers["Authorization"]
    # The captured request, replayed with another operation over the very same (signed) body.
    headers["X-Amz-Target"] = TARGET_PREFIX + "DeleteUserPool"
    response = inst.http.post(prepared.url, headers=headers, data=prepared.body, timeout=30)
    assert response.status_code == 403, (response.status_code, response.text[:200])
    assert pool_exists(inst, pool)


# ---- F4: '+' and '%2B' are interchangeable for the verifier but not for the operation ---------------------------

def test_f4_a_signed_plus_cannot_be_turned_into_a_space(inst: Instance, idp):
    url = presign(inst, "CreateUserPool", {"PoolName": "plus+sign"})
    assert "PoolName=plus%2Bsign" in url
    tampered = url.replace("PoolName=plus%2Bsign", "PoolName=plus+sign")
    response = inst.http.get(tampered, timeout=30)
    # The signature no longer matches (the operation would read "plus sign", a value nobody signed).
    assert response.status_code == 403, (response.status_code, response.text[:200])
    assert response.json()["__type"] == "InvalidSignatureException"
    response = inst.http.get(url, timeout=30)  # as signed, it is fine
    assert response.status_code == 200 and response.json()["UserPool"]["Name"] == "plus+sign"


# ---- F5: presigned URLs stay valid for up to 7 days -----------------------------------------------------------

def test_f5_presigned_url_is_refused_after_15_minutes_whatever_x_amz_expires_says(inst: Instance):
    url = presign(inst, "ListUserPools", {"MaxResults": "1"}, expires=604_800, shift=-24 * 3600)
    response = inst.http.get(url, timeout=30)
    assert response.status_code == 403, (response.status_code, response.text[:200])
    assert response.json()["__type"] == "InvalidSignatureException"


# ---- F6: UNSIGNED-PAYLOAD (an S3-only option) is accepted: the body is then not covered -----------------------

def test_f6_unsigned_payload_is_refused(inst: Instance):
    req = AWSRequest(method="POST", url=inst.endpoint + "/", data=json.dumps({"MaxResults": 5}), headers={
        "X-Amz-Target": TARGET_PREFIX + "ListUserPools", "Content-Type": JSON_CONTENT_TYPE,
        "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(inst.credentials.botocore(), SERVICE, REGION).add_auth(req)
    prepared = req.prepare()
    # A different body than the one the client sent: the signature does not cover it.
    response = inst.http.post(prepared.url, headers=dict(prepared.headers.items()),
                              data=json.dumps({"MaxResults": 1}), timeout=30)
    assert response.status_code == 403, (response.status_code, response.text[:200])


# ---- F7: both an Authorization header and presigned query parameters -----------------------------------------

def test_f7_header_and_query_authentication_together_are_refused(inst: Instance):
    url = inst.presigned_url("ListUserPools", {"MaxResults": "1"})
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(inst.credentials.botocore(), SERVICE, REGION).add_auth(req)
    prepared = req.prepare()
    response = inst.http.get(prepared.url, headers=dict(prepared.headers.items()), timeout=30)
    assert response.status_code in (400, 403), (response.status_code, response.text[:200])
    assert response.json()["__type"] == "InvalidSignatureException"
