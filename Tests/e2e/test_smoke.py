"""Smoke tests: the request path client -> nginx -> FastCGI workers -> response, in both wire protocols."""

from __future__ import annotations

import secrets

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import AccessKey, Instance


def describe(resp: requests.Response) -> str:
    return f"HTTP {resp.status_code} {dict(resp.headers)} {resp.text[:500]!r}"


def assert_aws_error(resp: requests.Response, status: int, error_type: str) -> dict:
    """The error shape every failure must have: status, JSON __type, x-amzn-ErrorType, a request id."""
    assert resp.status_code == status, describe(resp)
    body = resp.json()
    assert body.get("__type") == error_type, describe(resp)
    assert isinstance(body.get("message"), str), describe(resp)
    assert resp.headers.get("x-amzn-ErrorType", "").split(":")[0] == error_type, describe(resp)
    assert resp.headers.get("x-amzn-RequestId"), describe(resp)
    return body


# ---- the JSON protocol, raw ----------------------------------------------------------------------

def test_unknown_target_is_unknown_operation(cognito: Instance):
    resp = cognito.json_call("NoSuchOperation", {})
    assert_aws_error(resp, 400, "UnknownOperationException")


def test_unknown_target_prefix_is_unknown_operation(cognito: Instance):
    resp = cognito.signed_request(
        "POST", "/", data=b"{}",
        headers={"X-Amz-Target": "SomeOtherService.ListUserPools", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert_aws_error(resp, 400, "UnknownOperationException")


@pytest.mark.needs_ops("ListUserPools")
def test_malformed_json_is_serialization_exception(cognito: Instance):
    resp = cognito.json_call("ListUserPools", b'{"MaxResults": 10')
    assert_aws_error(resp, 400, "SerializationException")


@pytest.mark.needs_ops("ListUserPools")
def test_unsigned_iam_operation_is_refused(cognito: Instance):
    resp = cognito.json_call("ListUserPools", {"MaxResults": 10}, sign=False)
    assert_aws_error(resp, 403, "MissingAuthenticationTokenException")


@pytest.mark.needs_ops("ListUserPools")
def test_unsigned_iam_operation_in_query_form_is_refused(cognito: Instance):
    resp = cognito.query_call("ListUserPools", {"MaxResults": "10"}, sign=False)
    assert_aws_error(resp, 403, "MissingAuthenticationTokenException")


@pytest.mark.needs_ops("ListUserPools")
def test_wrong_secret_is_refused(cognito: Instance):
    assert cognito.credentials is not None
    forged = AccessKey(cognito.credentials.access_key_id, "x" * 40)
    resp = cognito.json_call("ListUserPools", {"MaxResults": 10}, credentials=forged)
    assert resp.status_code == 403, describe(resp)
    assert resp.json().get("__type"), describe(resp)
    assert resp.headers.get("x-amzn-RequestId"), describe(resp)


@pytest.mark.needs_ops("ListUserPools")
def test_unknown_access_key_is_refused(cognito: Instance):
    stranger = AccessKey("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
    resp = cognito.json_call("ListUserPools", {"MaxResults": 10}, credentials=stranger)
    assert resp.status_code == 403, describe(resp)
    assert resp.json().get("__type"), describe(resp)


# ---- boto3 ---------------------------------------------------------------------------------------

@pytest.mark.needs_ops("ListUserPools")
def test_boto3_list_user_pools(cognito: Instance):
    out = cognito.client().list_user_pools(MaxResults=10)
    assert isinstance(out["UserPools"], list)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert out["ResponseMetadata"]["RequestId"]


@pytest.mark.needs_ops("CreateUserPool", "ListUserPools")
def test_boto3_created_pool_is_listed(cognito: Instance):
    client = cognito.client()
    name = "smoke-" + secrets.token_hex(4)
    pool = client.create_user_pool(PoolName=name)["UserPool"]
    assert pool["Name"] == name
    assert pool["Id"].startswith("us-east-1_"), pool["Id"]
    listed = client.get_paginator("list_user_pools").paginate(MaxResults=60).build_full_result()["UserPools"]
    assert {"Id": pool["Id"], "Name": name} in [{"Id": p["Id"], "Name": p["Name"]} for p in listed]


@pytest.mark.needs_ops("ListUserPools")
def test_boto3_unsigned_call_raises_client_error(cognito: Instance):
    with pytest.raises(ClientError) as info:
        cognito.client(signed=False).list_user_pools(MaxResults=10)
    err = info.value.response
    assert err["Error"]["Code"] == "MissingAuthenticationTokenException", err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 403, err


@pytest.mark.needs_ops("ListUserPools")
def test_any_signature_mode_accepts_unknown_keys(cognito_any_signature: Instance):
    stranger = AccessKey("AKIA" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30))
    out = cognito_any_signature.client(credentials=stranger).list_user_pools(MaxResults=10)
    assert isinstance(out["UserPools"], list)


@pytest.mark.needs_ops("ListUserPools")
def test_any_signature_mode_still_needs_a_signature(cognito_any_signature: Instance):
    resp = cognito_any_signature.json_call("ListUserPools", {"MaxResults": 10}, sign=False)
    assert_aws_error(resp, 403, "MissingAuthenticationTokenException")


# ---- the seed's query form -----------------------------------------------------------------------

@pytest.mark.needs_ops("ListUserPools")
def test_presigned_query_form_list_user_pools(cognito: Instance):
    resp = cognito.query_call("ListUserPools", {"MaxResults": "10"})
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    assert isinstance(resp.json()["UserPools"], list), describe(resp)
    assert resp.headers.get("x-amzn-RequestId"), describe(resp)


def test_query_form_unknown_action(cognito: Instance):
    resp = cognito.query_call("NoSuchOperation", {})
    assert_aws_error(resp, 400, "UnknownOperationException")


# ---- nginx in front ------------------------------------------------------------------------------

def test_access_log_leaves_out_query_strings(cognito: Instance):
    secret = "pw-" + secrets.token_hex(8)
    resp = cognito.request("GET", "/", params={"Action": "ConfirmForgotPassword", "Password": secret})
    assert resp.headers.get("x-amzn-RequestId"), describe(resp)
    log = cognito.access_log.read_text()
    assert '"GET / HTTP/1.1"' in log
    assert secret not in log


def test_body_over_one_megabyte_is_refused_by_nginx(cognito: Instance):
    resp = cognito.request(
        "POST", "/", data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
        headers={"X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
                 "Content-Type": "application/x-amz-json-1.1"},
    )
    assert_aws_error(resp, 413, "RequestEntityTooLargeException")


def test_discovery_of_unknown_pool_is_not_cached(cognito: Instance):
    resp = cognito.request("GET", "/us-east-1_doesNotExist0/.well-known/jwks.json")
    assert resp.status_code in (400, 404), describe(resp)
    assert "max-age" not in resp.headers.get("Cache-Control", ""), describe(resp)
    assert resp.headers.get("x-amzn-RequestId"), describe(resp)


@pytest.mark.needs_ops("CreateUserPool")
def test_discovery_documents_are_served_and_briefly_cacheable(cognito: Instance):
    pool_id = cognito.client().create_user_pool(PoolName="discovery-" + secrets.token_hex(4))["UserPool"]["Id"]
    jwks = cognito.request("GET", f"/{pool_id}/.well-known/jwks.json")
    assert jwks.status_code == 200, describe(jwks)
    assert jwks.headers.get("Cache-Control") == "public, max-age=300", describe(jwks)
    keys = jwks.json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["alg"] == "RS256" and k["kid"] for k in keys), keys
    conf = cognito.request("GET", f"/{pool_id}/.well-known/openid-configuration")
    assert conf.status_code == 200, describe(conf)
    assert conf.json()["issuer"] == f"{cognito.endpoint}/{pool_id}", describe(conf)
    assert conf.json()["jwks_uri"] == f"{cognito.endpoint}/{pool_id}/.well-known/jwks.json", describe(conf)
