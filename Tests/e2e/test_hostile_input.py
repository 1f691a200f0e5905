"""Hostile input through nginx and real workers (issue 7, items 2 and 5): every input a client controls gets the
AWS error AWS would give it, never a 5xx, never a worker crash, never a file outside the data folder.

Each test asserts the exact `__type` (and status) a request gets; the module's instance is watched throughout: its
worker processes must be the same ones at the end (none crashed and was restarted), the worker log must not say
"exited unexpectedly", and the last test walks the data folder (nothing outside it, every store file parses, no
temp file left).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import TARGET_PREFIX, AccessKey, Instance
from test_pools import store_snapshot

PASSWORD = "Passw0rd!"
MISSING_POOL = "us-east-1_AAAAAAAAA"  # well-formed, never created


# ---- the instance and its watchers ----------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile():
    """An instance of its own, so that the store checks at the end see only what this module did."""
    instance = Instance.start("hostile", ())
    before = instance.worker_pids()
    try:
        yield instance
        assert instance.worker_pids() == before, "a worker process died during the hostile-input tests"
        log = instance.worker_log.read_text(errors="replace")
        assert "exited unexpectedly" not in log
        assert "Fatal error" not in log  # a Swift trap's message
    finally:
        instance.stop()
    assert not instance.problems, instance.problems


@pytest.fixture(scope="module")
def idp(hostile: Instance):
    return hostile.client()


@pytest.fixture(scope="module")
def public(hostile: Instance):
    return hostile.client(signed=False)


@pytest.fixture(scope="module")
def pool_id(idp) -> str:
    return idp.create_user_pool(PoolName="hostile-" + secrets.token_hex(4))["UserPool"]["Id"]


@pytest.fixture(scope="module")
def client_id(idp, pool_id) -> str:
    return idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"]["ClientId"]


def aws_error(response: requests.Response, status: int, error_type: str, message: str | None = None) -> dict:
    """Asserts an AWS-shaped error: status, JSON body with `__type` (and `message`), the error headers."""
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["__type"] == error_type, body
    assert isinstance(body["message"], str)
    if message is not None:
        assert message in body["message"], body["message"][:300]
    assert response.headers["x-amzn-ErrorType"] == error_type + ":"
    # A UUID from the workers; nginx's own answers (413, 429) carry its $request_id (32 hex digits).
    assert re.fullmatch(r"[0-9a-f]{32}|[0-9a-f-]{36}", response.headers["x-amzn-RequestId"])
    return body


def client_error(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


# ---- JSON bodies ------------------------------------------------------------------------------------

MALFORMED_BODIES = {
    "truncated object": b'{"UserPoolId": ',
    "truncated string": b'{"UserPoolId": "us-east-1_abc',
    "unclosed array": b'{"UserPoolId": ["a"',
    "trailing garbage": b'{"UserPoolId": "a"} x',
    "trailing invalid UTF-8": b'{"UserPoolId": "a"}\xff',
    "whitespace only": b"   ",
    "single quotes": b"{'UserPoolId': 'a'}",
    "comment": b'{/* c */ "UserPoolId": "a"}',
    "NaN": b'{"MaxResults": NaN}',
    "leading zero": b'{"MaxResults": 01}',
    "bare word": b"UserPoolId",
    "bad literal": b'{"UserPoolId": tru}',
    "control character in a string": b'{"UserPoolId": "a\x01b"}',
    "bad escape": b'{"UserPoolId": "a\\xb"}',
    "short unicode escape": b'{"UserPoolId": "\\u12"}',
    "missing colon": b'{"UserPoolId" "a"}',
    "missing member name": b'{: "a"}',
    "array body": b'["UserPoolId"]',
    "string body": b'"UserPoolId"',
    "number body": b"42",
    "null body": b"null",
}


@pytest.mark.parametrize("body", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_malformed_json_is_a_serialization_exception(hostile: Instance, body: bytes):
    aws_error(hostile.json_call("DescribeUserPool", body), 400, "SerializationException")


def test_an_empty_body_is_an_empty_object(hostile: Instance):
    """AWS reads an empty JSON 1.1 body as `{}`: the required member is then missing."""
    aws_error(hostile.json_call("DescribeUserPool", b""), 400, "InvalidParameterException",
              "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null")


def test_a_900_kb_string_is_a_validation_error_with_small_headers(hostile: Instance):
    body = json.dumps({"UserPoolId": "x" * 900_000})
    response = hostile.json_call("DescribeUserPool", body)
    aws_error(response, 400, "InvalidParameterException", "at 'userPoolId' failed to satisfy constraint")
    # The echo of the value stays in the body: a header that long made nginx answer 502 ("upstream sent too big
    # header"), since response headers must fit fastcgi_buffer_size.
    assert len(response.headers["x-amzn-ErrorMessage"]) <= 1024


def test_a_900_kb_object_of_unknown_members_is_ignored_like_aws(hostile: Instance):
    members = {f"junk{i}": i for i in range(48_000)}
    body = json.dumps({"UserPoolId": MISSING_POOL, **members}).encode()
    assert 800_000 < len(body) < 1_048_576
    aws_error(hostile.json_call("DescribeUserPool", body), 400, "ResourceNotFoundException",
              f"User pool {MISSING_POOL} does not exist.")


@pytest.mark.parametrize("body", [
    b"[" * 10_000,
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"UserPoolId": "x", "Policies": ' + b'{"a":' * 5_000 + b"{}" + b"}" * 5_001,
], ids=["10k unclosed [", "10k balanced [", "10k nested objects", "5k inside a member"])
def test_deeply_nested_json_is_refused(hostile: Instance, body: bytes):
    aws_error(hostile.json_call("DescribeUserPool", body), 400, "SerializationException", "nested too deeply")


@pytest.mark.parametrize("raw", [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"a\x80b", b"\xf8\x88\x80\x80\x80"],
                         ids=["ff fe", "overlong slash", "UTF-8-encoded surrogate", "truncated sequence",
                              "lone continuation byte", "5-byte form"])
def test_invalid_utf8_in_a_string_is_refused(hostile: Instance, raw: bytes):
    aws_error(hostile.json_call("DescribeUserPool", b'{"UserPoolId": "' + raw + b'"}'), 400,
              "SerializationException", "Invalid UTF-8")
    aws_error(hostile.json_call("DescribeUserPool", b'{"' + raw + b'": 1}'), 400, "SerializationException",
              "Invalid UTF-8")


@pytest.mark.parametrize("escaped", [b"\\ud800", b"\\udc00", b"\\ud800\\u0041", b"\\udbff\\ud800", b"x\\ud800"],
                         ids=["high alone", "low alone", "high then letter", "high then high", "after text"])
def test_lone_surrogates_are_refused(hostile: Instance, escaped: bytes):
    aws_error(hostile.json_call("DescribeUserPool", b'{"UserPoolId": "' + escaped + b'"}'), 400,
              "SerializationException", "Unpaired surrogate")


def test_a_surrogate_pair_is_a_character(hostile: Instance):
    response = hostile.json_call("DescribeUserPool", b'{"UserPoolId": "\\ud83d\\ude00"}')
    assert "Value '\U0001F600' at 'userPoolId'" in aws_error(response, 400, "InvalidParameterException")["message"]


@pytest.mark.parametrize("body", [
    b'{"UserPoolId": "a", "UserPoolId": "b"}',
    b'{"UserPoolId": "a", "UserPoolId": "a"}',
    b'{"PoolName": "x", "Policies": {"PasswordPolicy": {"MinimumLength": 8, "MinimumLength": 9}}}',
    b'{"UserPoolId": "a", "Us\\u0065rPoolId": "b"}',
], ids=["different values", "same value", "nested", "escaped spelling"])
def test_duplicate_keys_are_refused(hostile: Instance, body: bytes):
    aws_error(hostile.json_call("CreateUserPool" if b"Policies" in body else "DescribeUserPool", body), 400,
              "SerializationException", "Duplicate member name")


# Every scalar kind (and list, structure, map) given a value of the wrong JSON type.
WRONG_TYPES = [
    ("string given a number", "DescribeUserPool", {"UserPoolId": 5}, "NUMBER_VALUE can not be converted to a String"),
    ("string given true", "DescribeUserPool", {"UserPoolId": True}, "TRUE_VALUE can not be converted to a String"),
    ("string given an array", "DescribeUserPool", {"UserPoolId": ["a"]}, "Start of list found where not expected"),
    ("string given an object", "DescribeUserPool", {"UserPoolId": {"a": 1}}, "Start of structure or map found"),
    ("integer given a string", "ListUserPools", {"MaxResults": "5"}, "STRING_VALUE can not be converted to an Integer"),
    ("integer given true", "ListUserPools", {"MaxResults": True}, "TRUE_VALUE can not be converted to an Integer"),
    ("integer given an array", "ListUserPools", {"MaxResults": [5]}, "Start of list found where not expected"),
    ("boolean given a string", "CreateUserPoolClient",
     {"UserPoolId": MISSING_POOL, "ClientName": "x", "GenerateSecret": "true"}, "STRING_VALUE can not be converted"),
    ("boolean given a number", "CreateUserPoolClient",
     {"UserPoolId": MISSING_POOL, "ClientName": "x", "GenerateSecret": 1}, "NUMBER_VALUE can not be converted"),
    ("list given a string", "CreateUserPoolClient",
     {"UserPoolId": MISSING_POOL, "ClientName": "x", "ExplicitAuthFlows": "ALLOW_USER_SRP_AUTH"}, "Expected list"),
    ("list item given a number", "CreateUserPoolClient",
     {"UserPoolId": MISSING_POOL, "ClientName": "x", "ExplicitAuthFlows": [1]}, "NUMBER_VALUE can not be converted"),
    ("structure given a string", "CreateUserPool", {"PoolName": "x", "Policies": "strong"}, None),
    ("structure given an array", "CreateUserPool", {"PoolName": "x", "Policies": []}, "Start of list found"),
    ("map given a string", "CreateUserPool", {"PoolName": "x", "UserPoolTags": "a=b"}, "Expected map"),
    ("map value given a number", "CreateUserPool", {"PoolName": "x", "UserPoolTags": {"a": 1}},
     "NUMBER_VALUE can not be converted to a String"),
    ("attribute value given a number", "AdminUpdateUserAttributes",
     {"UserPoolId": MISSING_POOL, "Username": "u", "UserAttributes": [{"Name": "email", "Value": 1}]},
     "NUMBER_VALUE can not be converted to a String"),
]


@pytest.mark.parametrize("operation, body, message", [w[1:] for w in WRONG_TYPES], ids=[w[0] for w in WRONG_TYPES])
def test_wrong_types_are_serialization_exceptions(hostile: Instance, operation: str, body: dict, message: str | None):
    before = store_snapshot(hostile.data_dir)
    aws_error(hostile.json_call(operation, body), 400, "SerializationException", message)
    assert store_snapshot(hostile.data_dir) == before


@pytest.mark.parametrize("operation, body, member", [
    ("DescribeUserPool", {"UserPoolId": None}, "userPoolId"),
    ("CreateUserPool", {"PoolName": None}, "poolName"),
    ("ListUserPools", {"MaxResults": None}, "maxResults"),
    ("AdminUpdateUserAttributes", {"UserPoolId": MISSING_POOL, "Username": "u", "UserAttributes": None},
     "userAttributes"),
    ("AdminUpdateUserAttributes",
     {"UserPoolId": MISSING_POOL, "Username": "u", "UserAttributes": [{"Name": None, "Value": "x"}]},
     "userAttributes.1.member.name"),
])
def test_null_for_a_required_member_is_a_validation_error(hostile: Instance, operation, body, member):
    aws_error(hostile.json_call(operation, body), 400, "InvalidParameterException",
              f"Value null at '{member}' failed to satisfy constraint: Member must not be null")


def test_null_for_an_optional_member_is_as_if_absent(hostile: Instance):
    response = hostile.json_call("ListUserPools", {"MaxResults": 5, "NextToken": None})
    assert response.status_code == 200, response.text
    assert "UserPools" in response.json()


@pytest.mark.parametrize("number, error_type, message", [
    (b"1e400", "SerializationException", "Number out of range"),
    (b"-1e400", "SerializationException", "Number out of range"),
    (b"9223372036854775808", "SerializationException", "can not be converted to an Integer"),  # 2^63
    (b"-9223372036854775809", "SerializationException", "can not be converted to an Integer"),
    (b"18446744073709551616", "SerializationException", "can not be converted to an Integer"),  # 2^64
    (b"2147483648", "SerializationException", "can not be converted to an Integer"),  # 2^31: Integer is 32-bit
    (b"-0", "InvalidParameterException", "Value '0' at 'maxResults'"),
    (b"-1", "InvalidParameterException", "Member must have value greater than or equal to 1"),
    (b"1e2", "InvalidParameterException", "Value '100' at 'maxResults'"),
])
def test_numbers_out_of_range(hostile: Instance, number: bytes, error_type: str, message: str):
    aws_error(hostile.json_call("ListUserPools", b'{"MaxResults": ' + number + b"}"), 400, error_type, message)


# ---- bodies over the cap ---------------------------------------------------------------------------------

def test_a_body_over_nginx_cap_is_a_413_in_aws_shape(hostile: Instance):
    body = b'{"UserPoolId": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    aws_error(hostile.json_call("DescribeUserPool", body), 413, "RequestEntityTooLargeException")


def test_a_body_over_the_workers_cap_is_refused_unread(start_instance):
    small = start_instance("--max-body", "4096")
    aws_error(small.json_call("DescribeUserPool", {"UserPoolId": "x" * 5000}), 413,
              "RequestEntityTooLargeException", "Request body is larger than 4096 bytes.")
    aws_error(small.request("POST", "/", headers={"Content-Type": "application/x-www-form-urlencoded"},
                            data="Action=ListUserPools&MaxResults=1&Pad=" + "x" * 5000),
              413, "RequestEntityTooLargeException")
    # Chunked: nginx collects the body and passes its length, so the same cap applies.
    head, body = raw_http(small, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          b"X-Amz-Target: " + TARGET_PREFIX.encode() + b"DescribeUserPool\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n" + b"1388\r\n" + b"x" * 5000 + b"\r\n0\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 "), head
    assert json.loads(body)["__type"] == "RequestEntityTooLargeException"
    assert small.request("GET", "/", params={"Action": "Nope"}).status_code == 400  # still serving


# ---- SigV4 -------------------------------------------------------------------------------------------------

LIST_POOLS = {"X-Amz-Target": TARGET_PREFIX + "ListUserPools", "Content-Type": "application/x-amz-json-1.1"}


def sigv4_cases(key: AccessKey) -> list[tuple[str, dict, str, str | None]]:
    cred = f"{key.access_key_id}/20260101/us-east-1/cognito-idp/aws4_request"
    date = {"X-Amz-Date": "20260101T000000Z"}
    return [
        ("no Authorization", {}, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        ("garbage", {"Authorization": "garbage"}, "IncompleteSignatureException", "requires 'Credential'"),
        ("empty", {"Authorization": ""}, "MissingAuthenticationTokenException", None),
        ("missing Credential", {"Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=ab",
                                **date}, "IncompleteSignatureException", "requires 'Credential'"),
        ("missing Signature", {"Authorization": f"AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host", **date},
         "IncompleteSignatureException", "requires 'Signature'"),
        ("unknown algorithm", {"Authorization": f"AWS4-HMAC-SHA512 Credential={cred}, SignedHeaders=host, "
                                                "Signature=ab", **date},
         "IncompleteSignatureException", "Unsupported AWS 'algorithm'"),
        ("bad date", {"Authorization": f"AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;x-amz-date, "
                                       "Signature=ab", "X-Amz-Date": "yesterday"},
         "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'"),
        ("no date", {"Authorization": f"AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host, Signature=ab"},
         "IncompleteSignatureException", "X-Amz-Date"),
        ("short Credential", {"Authorization": "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=ab",
                              **date}, "IncompleteSignatureException", None),
        ("8 KB Credential", {"Authorization": "AWS4-HMAC-SHA256 Credential=" + "A" * 6000}, "IncompleteSignatureException",
         None),
        ("non-ASCII", {"Authorization": "AWS4-HMAC-SHA256 Credential=\u00e9\u00e9/x".encode().decode("latin-1")},
         "IncompleteSignatureException", None),
    ]


def test_broken_sigv4_headers_get_aws_errors(hostile: Instance):
    before = store_snapshot(hostile.data_dir)
    for label, headers, error_type, message in sigv4_cases(hostile.credentials):
        response = hostile.request("POST", "/", headers={**LIST_POOLS, **headers}, data=b'{"MaxResults": 5}')
        assert response.status_code == 403, (label, response.status_code, response.text[:200])
        aws_error(response, 403, error_type, message)
    # A key nobody issued; the right key with the wrong secret.
    stranger = AccessKey("AKIA" + "X" * 16, "x" * 40)
    aws_error(hostile.signed_request("POST", "/", headers=LIST_POOLS, data=b"{}", credentials=stranger), 403,
              "UnrecognizedClientException")
    forger = AccessKey(hostile.credentials.access_key_id, "x" * 40)
    aws_error(hostile.signed_request("POST", "/", headers=LIST_POOLS, data=b"{}", credentials=forger), 403,
              "InvalidSignatureException")
    assert store_snapshot(hostile.data_dir) == before


def test_broken_presigned_query_parameters_get_aws_errors(hostile: Instance):
    url = hostile.presigned_url("ListUserPools", {"MaxResults": "5"})

    def swap(name: str, value: str | None) -> str:
        if value is None:
            return re.sub(rf"{name}=[^&]*&?", "", url)
        return re.sub(rf"{name}=[^&]*", f"{name}={value}", url)

    for changed, error_type, message in [
        (swap("X-Amz-Algorithm", "AWS4-HMAC-SHA1"), "IncompleteSignatureException", "AWS4-HMAC-SHA256"),
        (swap("X-Amz-Date", "yesterday"), "IncompleteSignatureException", "ISO-8601"),
        (swap("X-Amz-Expires", "-1"), "IncompleteSignatureException", "non-negative"),
        (swap("X-Amz-Expires", "99999999999999999999"), "IncompleteSignatureException", None),
        (swap("X-Amz-Expires", "604801"), "IncompleteSignatureException", "less than a week"),
        (swap("X-Amz-Credential", None), "IncompleteSignatureException", "X-Amz-Credential"),
        (swap("X-Amz-Credential", "%2F%2F%2F%2F"), "IncompleteSignatureException", "5 slash-delimited elements"),
        (swap("X-Amz-Signature", "%00%0d%0a"), "InvalidSignatureException", None),
        (swap("X-Amz-Signature", "0" * 64), "InvalidSignatureException", None),
    ]:
        aws_error(hostile.http.get(changed, timeout=30), 403, error_type, message)
    assert hostile.http.get(url, timeout=30).status_code == 200


def raw_http(instance: Instance, data: bytes, timeout: float = 10) -> tuple[bytes, bytes]:
    """Sends bytes as they are (requests refuses CR/LF in headers) and returns the response's head and body."""
    port = int(instance.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    return head, body


def raw_json_request(operation: str, extra_headers: bytes, body: bytes = b"{}") -> bytes:
    return (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"X-Amz-Target: " + (TARGET_PREFIX + operation).encode() + b"\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\n" + extra_headers
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def test_header_injection_with_cr_lf_goes_nowhere(hostile: Instance, pool_id):
    before = store_snapshot(hostile.data_dir)
    # Bare CR, obsolete line folding, NUL: nginx refuses the request itself (400), the workers never see it.
    for extra in (b"Authorization: AWS4-HMAC-SHA256 Credential=a\rX-Injected: 1\r\n",
                  b"Authorization: AWS4-HMAC-SHA256\r\n Credential=a\r\n",
                  b"Authorization: AWS4\x00HMAC\r\n"):
        head, _ = raw_http(hostile, raw_json_request("ListUserPools", extra))
        assert head.startswith(b"HTTP/1.1 400 "), head
    # A bare LF ends a header line: the "injected" X-Amz-Target is a second one, and the first one decides. Here
    # the first is a public operation and the injected one an IAM deletion: the deletion must not run.
    head, body = raw_http(hostile, raw_json_request(
        "SignUp", b"X-Note: a\nX-Amz-Target: " + (TARGET_PREFIX + "DeleteUserPool").encode() + b"\r\n",
        json.dumps({"UserPoolId": pool_id}).encode()))
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert json.loads(body)["__type"] == "InvalidParameterException"  # SignUp's: ClientId is missing
    # CR/LF in a request target: nginx refuses it; percent-encoded in the query it reaches the worker, whose
    # error message quotes it, and the response headers still carry no line break (no response splitting).
    head, _ = raw_http(hostile, b"GET /\r\nX: y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b" 5" not in head.split(b"\r\n")[0], head
    head, body = raw_http(hostile, b"GET /?Action=X%0d%0aSet-Cookie:%20a=b HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: close\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    assert not any(line.lower().startswith(b"set-cookie") for line in head.split(b"\r\n"))
    assert json.loads(body)["__type"] == "UnknownOperationException"
    assert idp_pool_exists(hostile, pool_id)
    assert store_snapshot(hostile.data_dir) == before


def idp_pool_exists(instance: Instance, pool_id: str) -> bool:
    return instance.json_call("DescribeUserPool", {"UserPoolId": pool_id}).status_code == 200


# ---- the query form -------------------------------------------------------------------------------------------

def test_query_string_garbage(hostile: Instance):
    before = store_snapshot(hostile.data_dir)
    get = lambda query: hostile.request("GET", "/?" + query)  # noqa: E731 - the raw query, as written
    aws_error(get("Action=ListUserPools&MaxResults=%zz"), 403, "MissingAuthenticationTokenException")
    aws_error(get("Action=Nope%zz"), 400, "UnknownOperationException", "Unknown operation Nope%zz.")
    aws_error(get("Action=List%00UserPools"), 400, "UnknownOperationException", "Unknown operation List\u0000UserPools.")
    aws_error(get("Action=AdminLinkProviderForUser"), 400, "UnknownOperationException",
              "Operation AdminLinkProviderForUser is not supported by this service.")
    aws_error(get("Action="), 400, "UnknownOperationException")
    aws_error(get("action=ListUserPools"), 400, "UnknownOperationException")  # names are case-sensitive
    aws_error(get("&&&=&=x&%"), 400, "UnknownOperationException")
    aws_error(get("Action=" + "A" * 7000), 400, "UnknownOperationException")
    # Public operations answer without a signature, so their garbage reaches the operation.
    aws_error(get("Action=SignUp&ClientId=%zz&Username=a%00b&Password=x"), 400, "InvalidParameterException")
    aws_error(get("Action=SignUp&ClientId=" + "c" * 7000 + "&Username=u&Password=Passw0rd!"), 400,
              "InvalidParameterException", "Member must have length less than or equal to 128")
    aws_error(get("Action=SignUp&ClientId=abc&Username=u&UserAttributes=[not json"), 400, "SerializationException")
    aws_error(get("Action=SignUp&ClientId=abc&Username=u&UserAttributes.member.99999999999999999999.Name=x"), 400,
              "ResourceNotFoundException")
    # A value over nginx's request-line limit: nginx's own 414 (an error_page cannot reshape it: nginx answers
    # 500 when it tries, the request line never having been parsed), never a 5xx.
    assert get("Action=SignUp&ClientId=" + "c" * 100_000).status_code == 414
    # Repeated Action: the first one is the operation (an IAM one here: so the unsigned call is refused).
    aws_error(get("Action=ListUserPools&Action=SignUp"), 403, "MissingAuthenticationTokenException")
    aws_error(get("Action=SignUp&Action=ListUserPools"), 400, "InvalidParameterException")
    assert store_snapshot(hostile.data_dir) == before


def test_signed_query_garbage_reaches_validation(hostile: Instance):
    aws_error(hostile.query_call("ListUserPools", {"MaxResults": "ten"}), 400, "SerializationException",
              "can not be converted to an Integer")
    aws_error(hostile.query_call("CreateUserPoolClient", {"UserPoolId": MISSING_POOL, "ClientName": "x",
                                                          "GenerateSecret": "maybe"}), 400, "SerializationException")
    aws_error(hostile.query_call("DescribeUserPool", {"UserPoolId": "us-east-1_a\u0000b"}), 400,
              "InvalidParameterException")
    aws_error(hostile.query_call("AdminUpdateUserAttributes", {"UserPoolId": MISSING_POOL, "Username": "x",
                                                               "UserAttributes": "[not json"}), 400,
              "SerializationException")
    response = hostile.query_call("CreateUserPool", {"PoolName": "dots-" + secrets.token_hex(3), "." * 3000: "x",
                                                     "Policies." + "a." * 2000: "1"})
    assert response.status_code == 200, response.text  # unknown parameters are ignored, as AWS's query form does
    hostile.json_call("DeleteUserPool", {"UserPoolId": response.json()["UserPool"]["Id"]})


# ---- usernames, pool ids, client ids --------------------------------------------------------------------------

TRAVERSAL_NAMES = ["../x", "a/b", "..", ".", "/", "%2e%2e", "%2e%2e%2fx", "\\..\\x", ".tmp.1.deadbeef", "lock",
                   "pool", "users", "~", "%", "..%2f..%2fsecret.key", "\u00e9" * 128, "\U0001F600" * 64,
                   "a" * 128, "x.json"]


def test_traversal_usernames_are_ordinary_users_inside_the_pool(hostile: Instance, idp, public, client_id):
    pool_id = idp.create_user_pool(PoolName="names-" + secrets.token_hex(4),
                                   UsernameConfiguration={"CaseSensitive": False})["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"]["ClientId"]
    for n, name in enumerate(TRAVERSAL_NAMES):
        if n % 2 == 0:
            idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
        else:
            public.sign_up(ClientId=client, Username=name, Password=PASSWORD)
    for name in TRAVERSAL_NAMES:
        assert idp.admin_get_user(UserPoolId=pool_id, Username=name)["Username"] == name
        with pytest.raises(ClientError) as e:
            public.sign_up(ClientId=client, Username=name, Password=PASSWORD)
        assert client_error(e) == "UsernameExistsException"
        with pytest.raises(ClientError) as e:
            idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS")
        assert client_error(e) == "UsernameExistsException"
    # Through the query form, percent-encoded: the same users.
    response = hostile.query_call("AdminGetUser", {"UserPoolId": pool_id, "Username": "../x"})
    assert response.status_code == 200 and response.json()["Username"] == "../x"
    # One file per user, every one of them directly in the pool's users/ folder.
    users = hostile.data_dir / "pools" / pool_id / "users"
    files = sorted(p for p in users.rglob("*") if not p.is_dir())
    assert len(files) == len(TRAVERSAL_NAMES)
    assert all(p.parent == users and p.suffix == ".json" for p in files), files
    names = sorted(json.loads(p.read_text())["Username"] for p in files)
    assert names == sorted(TRAVERSAL_NAMES)


@pytest.mark.parametrize("name, why", [
    ("a\u0000b", "NUL"), ("a\nb", "line feed"), ("\u202e", "bidi override (a format character)"),
    (" x", "leading space"), ("x ", "trailing space"), ("\u00e9" * 129, "129 characters"),
    ("\U0001F600" * 65, "130 UTF-16 code units, as AWS (Java) counts length"),
])
def test_usernames_outside_the_model_are_invalid_parameters(idp, public, pool_id, client_id, name, why):
    for call in (lambda: idp.admin_create_user(UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS"),
                 lambda: public.sign_up(ClientId=client_id, Username=name, Password=PASSWORD),
                 lambda: idp.admin_get_user(UserPoolId=pool_id, Username=name)):
        with pytest.raises(ClientError) as e:
            call()
        assert client_error(e) == "InvalidParameterException", why


def test_an_empty_username_is_an_invalid_parameter(hostile: Instance, pool_id):
    aws_error(hostile.json_call("AdminGetUser", {"UserPoolId": pool_id, "Username": ""}), 400,
              "InvalidParameterException", "Member must have length greater than or equal to 1")


def test_usernames_differing_in_case_or_normalisation(hostile: Instance, idp):
    insensitive = idp.create_user_pool(PoolName="ci-" + secrets.token_hex(4),
                                       UsernameConfiguration={"CaseSensitive": False})["UserPool"]["Id"]
    sensitive = idp.create_user_pool(PoolName="cs-" + secrets.token_hex(4),
                                     UsernameConfiguration={"CaseSensitive": True})["UserPool"]["Id"]
    # é precomposed (U+00E9) and decomposed (e + U+0301) are one name in either pool (NFC), like case in the
    # case-insensitive one.
    idp.admin_create_user(UserPoolId=insensitive, Username="Jos\u00e9", MessageAction="SUPPRESS")
    for spelling in ("Jose\u0301", "JOS\u00c9", "jose\u0301", "jos\u00e9"):
        with pytest.raises(ClientError) as e:
            idp.admin_create_user(UserPoolId=insensitive, Username=spelling, MessageAction="SUPPRESS")
        assert client_error(e) == "UsernameExistsException", spelling
        assert idp.admin_get_user(UserPoolId=insensitive, Username=spelling)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert len(list((hostile.data_dir / "pools" / insensitive / "users").glob("*.json"))) == 1

    idp.admin_create_user(UserPoolId=sensitive, Username="A", MessageAction="SUPPRESS")
    idp.admin_create_user(UserPoolId=sensitive, Username="a", MessageAction="SUPPRESS")
    assert idp.admin_get_user(UserPoolId=sensitive, Username="A")["Username"] == "A"
    assert idp.admin_get_user(UserPoolId=sensitive, Username="a")["Username"] == "a"
    idp.admin_create_user(UserPoolId=sensitive, Username="\u00e9", MessageAction="SUPPRESS")
    with pytest.raises(ClientError) as e:
        idp.admin_create_user(UserPoolId=sensitive, Username="e\u0301", MessageAction="SUPPRESS")
    assert client_error(e) == "UsernameExistsException"
    assert len(list((hostile.data_dir / "pools" / sensitive / "users").glob("*.json"))) == 3


@pytest.mark.parametrize("bad_pool", ["us-east-1_../../x", "../../../etc", "us-east-1_..", "us-east-1_a/b",
                                      "us-east-1_%2e%2e", "us-east-1_a\u0000b", "us-east-1_" + "a" * 60, ".", "_"])
def test_pool_ids_outside_the_pattern_are_invalid_parameters(hostile: Instance, bad_pool: str):
    before = store_snapshot(hostile.data_dir)
    for operation, body in [("DescribeUserPool", {}), ("AdminGetUser", {"Username": "u"}),
                            ("AdminCreateUser", {"Username": "u", "MessageAction": "SUPPRESS"}),
                            ("ListUsers", {}), ("DeleteUserPool", {})]:
        aws_error(hostile.json_call(operation, {"UserPoolId": bad_pool, **body}), 400, "InvalidParameterException",
                  "at 'userPoolId' failed to satisfy constraint")
    aws_error(hostile.query_call("DescribeUserPool", {"UserPoolId": bad_pool}), 400, "InvalidParameterException")
    assert store_snapshot(hostile.data_dir) == before


def test_well_formed_unknown_pool_and_client_ids_are_not_found(hostile: Instance, public):
    aws_error(hostile.json_call("DescribeUserPool", {"UserPoolId": MISSING_POOL}), 400, "ResourceNotFoundException",
              f"User pool {MISSING_POOL} does not exist.")
    for client in ("..", "credentials", "secret", "a" * 128):
        with pytest.raises(ClientError) as e:
            public.sign_up(ClientId=client, Username="u", Password=PASSWORD)
        assert client_error(e) in ("ResourceNotFoundException", "InvalidParameterException"), client
    with pytest.raises(ClientError) as e:
        public.sign_up(ClientId="../credentials", Username="u", Password=PASSWORD)
    assert client_error(e) == "InvalidParameterException"


def test_discovery_paths_cannot_reach_files(hostile: Instance):
    for path in ("/us-east-1_..%2f..%2fsecret/.well-known/jwks.json", "/..%2f..%2fcredentials.json/.well-known/jwks.json",
                 "/us-east-1_AAAAAAAAA/.well-known/jwks.json", "/us-east-1_AAAAAAAAA/.well-known/../../secret.key",
                 "/%2e%2e/%2e%2e/secret.key", "/us-east-1_A%00/.well-known/openid-configuration"):
        response = hostile.request("GET", path)
        assert response.status_code < 500, (path, response.status_code)
        assert hostile.credentials.secret_access_key not in response.text
        assert "keys" not in response.text or response.status_code != 200, path


# ---- pagination tokens ----------------------------------------------------------------------------------------

def test_forged_pagination_tokens_are_invalid_parameters(hostile: Instance, idp):
    pools = [idp.create_user_pool(PoolName=f"page-{n}-" + secrets.token_hex(3))["UserPool"]["Id"] for n in range(2)]
    for pool in pools:
        for n in range(3):
            idp.admin_create_user(UserPoolId=pool, Username=f"user{n}", MessageAction="SUPPRESS")
            idp.create_user_pool_client(UserPoolId=pool, ClientName=f"client{n}")
    users_token = idp.list_users(UserPoolId=pools[0], Limit=1)["PaginationToken"]
    clients_token = idp.list_user_pool_clients(UserPoolId=pools[0], MaxResults=1)["NextToken"]
    pools_token = idp.list_user_pools(MaxResults=1)["NextToken"]

    def flipped(token: str) -> str:
        i = len(token) // 3
        return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]

    forgeries = ["x", "abc.def", ".", "..", "a" * 5000, "\u00e9.\u00e9", "../../x", "%00", "null",
                 "eyJ1c2VyIjoiYWRtaW4ifQ.AAAA"]
    calls = {
        "ListUsers": (lambda t: idp.list_users(UserPoolId=pools[0], Limit=1, PaginationToken=t), users_token),
        "ListUserPoolClients": (lambda t: idp.list_user_pool_clients(UserPoolId=pools[0], MaxResults=1, NextToken=t),
                                clients_token),
        "ListUserPools": (lambda t: idp.list_user_pools(MaxResults=1, NextToken=t), pools_token),
    }
    for operation, (call, real) in calls.items():
        others = [t for t in (users_token, clients_token, pools_token) if t != real]
        for token in forgeries + [flipped(real), real[:-2], real + "A", real.replace(".", ".."), *others]:
            with pytest.raises(ClientError) as e:
                call(token)
            assert client_error(e) == "InvalidParameterException", (operation, token[:60])
        call(real)  # the genuine token still works
    for operation, body in (("ListUsers", {"UserPoolId": pools[0], "PaginationToken": ""}),
                            ("ListUserPools", {"MaxResults": 1, "NextToken": ""})):
        aws_error(hostile.json_call(operation, body), 400, "InvalidParameterException")
    # A token from pool A's listing is not a way into pool B's.
    for token, call in ((users_token, lambda t: idp.list_users(UserPoolId=pools[1], Limit=1, PaginationToken=t)),
                        (clients_token,
                         lambda t: idp.list_user_pool_clients(UserPoolId=pools[1], MaxResults=1, NextToken=t))):
        with pytest.raises(ClientError) as e:
            call(token)
        assert client_error(e) == "InvalidParameterException"


# ---- afterwards ---------------------------------------------------------------------------------------------------

def test_afterwards_the_store_is_whole_and_inside_its_folder(hostile: Instance):
    """Runs last in this module (pytest keeps file order): after everything above, every file under the data folder
    is really inside it (no symlink, no `..` escape), every store record parses, and no temp file is left."""
    root = hostile.data_dir.resolve()
    checked = 0
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            assert not path.is_symlink(), path
            assert path.resolve().is_relative_to(root), path
            assert not name.startswith(".tmp."), f"temp file left behind: {path}"
        for name in files:
            relative = (Path(folder) / name).relative_to(root)
            # Store records (pool, clients, users, aliases, keys) and the credentials file are JSON; `lock` and
            # the user lock stripes `locks/<n>` are empty, `secret.key` is bytes and `clients/<id>` holds a bare
            # pool id.
            if relative.parts[0] == "pools" and name != "lock" and relative.parent.name != "locks" \
                    or name == "credentials.json":
                json.loads((root / relative).read_bytes().decode("utf-8"))
                checked += 1
    assert checked > 50
    # Nothing was created beside the data folder by a name that climbed out of it.
    assert {p.name for p in hostile.dir.iterdir()} <= {"data", "nginx", "worker.log", "worker.sock", "aws-credentials"}
