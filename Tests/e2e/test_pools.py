"""Issue 2's operations through nginx and real workers: boto3, the seed's query form, and IAM refusals."""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import uuid
from pathlib import Path
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from conftest import AccessKey, Instance


def store_snapshot(data_dir: Path) -> dict[str, str]:
    """Every file under the data folder with its hash: equal snapshots mean nothing changed. User lock stripes
    (`pools/<id>/locks/<n>`: empty, made on first use) hold no data and are left out."""
    return {
        str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.parent.name != "locks"
    }


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


def new_pool(idp, **extra) -> dict:
    return idp.create_user_pool(PoolName="e2e-" + secrets.token_hex(4), **extra)["UserPool"]


def test_create_describe_update_delete_pool(idp):
    pool = new_pool(
        idp,
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": False}},
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
        UserPoolTags={"env": "test"},
    )
    pool_id = pool["Id"]
    region, _, suffix = pool_id.partition("_")
    assert region == "us-east-1" and len(suffix) == 9 and suffix.isalnum()
    assert pool["Arn"].endswith(f":userpool/{pool_id}")

    described = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["Policies"]["PasswordPolicy"]["RequireSymbols"] is False
    assert described["UsernameAttributes"] == ["email"]
    names = {a["Name"] for a in described["SchemaAttributes"]}
    assert {"sub", "email", "custom:team"} <= names
    assert described["UserPoolTags"] == {"env": "test"}

    # UpdateUserPool resets what it is not given: the password policy returns to AWS's defaults.
    idp.update_user_pool(UserPoolId=pool_id, MfaConfiguration="OFF")
    after = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert after["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert after["Policies"]["PasswordPolicy"]["RequireSymbols"] is True
    assert "AutoVerifiedAttributes" not in after or after["AutoVerifiedAttributes"] == []
    assert after["UsernameAttributes"] == ["email"]  # not updatable: kept

    idp.add_custom_attributes(UserPoolId=pool_id, CustomAttributes=[{"Name": "level", "AttributeDataType": "Number"}])
    names = {a["Name"] for a in idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]}
    assert "custom:level" in names

    idp.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as e:
        idp.describe_user_pool(UserPoolId=pool_id)
    assert error_code(e) == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == f"User pool {pool_id} does not exist."


def test_pool_errors(idp):
    pool = new_pool(idp)
    with pytest.raises(ClientError) as e:
        idp.delete_user_pool(UserPoolId="us-east-1_doesnotex")
    assert error_code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        idp.update_user_pool(UserPoolId="us-east-1_doesnotex")
    assert error_code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        idp.add_custom_attributes(UserPoolId=pool["Id"], CustomAttributes=[{"Name": "x", "AttributeDataType": "String", "Required": True}])
    assert error_code(e) == "InvalidParameterException"
    idp.add_custom_attributes(UserPoolId=pool["Id"], CustomAttributes=[{"Name": "x", "AttributeDataType": "String"}])
    with pytest.raises(ClientError) as e:
        idp.add_custom_attributes(UserPoolId=pool["Id"], CustomAttributes=[{"Name": "x", "AttributeDataType": "String"}])
    assert error_code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        new_pool(idp, UsernameAttributes=["email"], AliasAttributes=["email"])
    assert error_code(e) == "InvalidParameterException"
    # Deletion protection.
    protected = new_pool(idp, DeletionProtection="ACTIVE")
    with pytest.raises(ClientError) as e:
        idp.delete_user_pool(UserPoolId=protected["Id"])
    assert error_code(e) == "InvalidParameterException"
    idp.describe_user_pool(UserPoolId=protected["Id"])


def test_list_user_pools_pages(idp):
    created = {new_pool(idp)["Id"] for _ in range(5)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs = {"MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = idp.list_user_pools(**kwargs)
        assert len(page["UserPools"]) <= 2
        seen += [p["Id"] for p in page["UserPools"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages >= 3
    assert created <= set(seen)
    assert len(seen) == len(set(seen))
    with pytest.raises(ClientError) as e:
        idp.list_user_pools(MaxResults=2, NextToken="forged-token")
    assert error_code(e) == "InvalidParameterException"


def test_model_constraints_are_enforced(cognito: Instance):
    resp = cognito.json_call("DescribeUserPool", {})
    assert resp.status_code == 400
    assert resp.json() == {
        "__type": "InvalidParameterException",
        "message": "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null",
    }
    resp = cognito.json_call("ListUserPools", {"MaxResults": 61})
    assert resp.status_code == 400
    assert resp.json()["__type"] == "InvalidParameterException"
    assert "Member must have value less than or equal to 60" in resp.json()["message"]
    resp = cognito.json_call("ListUserPools", {"MaxResults": "ten"})
    assert resp.json()["__type"] == "SerializationException"


def test_query_form_matches_json(cognito: Instance, idp):
    resp = cognito.query_call("CreateUserPool", {"PoolName": "q-" + secrets.token_hex(3), "AutoVerifiedAttributes.member.1": "email"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    pool = resp.json()["UserPool"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Name"] == pool["Name"]

    resp = cognito.query_call("DescribeUserPool", {"UserPoolId": pool["Id"]})
    assert resp.status_code == 200
    assert resp.json()["UserPool"]["Id"] == pool["Id"]

    # The shared instance holds many pools: page through the query form until this one shows up.
    seen, token = [], None
    for _ in range(100):
        params = {"MaxResults": "60", **({"NextToken": token} if token else {})}
        resp = cognito.query_call("ListUserPools", params)
        assert resp.status_code == 200, resp.text
        seen += [p["Id"] for p in resp.json()["UserPools"]]
        token = resp.json().get("NextToken")
        if pool["Id"] in seen or not token:
            break
    assert pool["Id"] in seen

    resp = cognito.query_call("DeleteUserPool", {"UserPoolId": pool["Id"]})
    assert resp.status_code == 200 and resp.json() == {}
    resp = cognito.query_call("DescribeUserPool", {"UserPoolId": pool["Id"]})
    assert resp.status_code == 400
    assert resp.json()["__type"] == "ResourceNotFoundException"
    assert resp.headers["x-amzn-ErrorType"].startswith("ResourceNotFoundException")

    resp = cognito.query_call("DescribeUserPool", {})
    assert resp.json()["__type"] == "InvalidParameterException"


@pytest.mark.parametrize("how", ["unsigned", "wrong-secret", "unknown-key", "expired"])
def test_refused_iam_calls_change_nothing(cognito: Instance, how: str):
    before = store_snapshot(cognito.data_dir)
    body = {"PoolName": "refused-" + how}
    if how == "unsigned":
        resp = cognito.json_call("CreateUserPool", body, sign=False)
        expected = "MissingAuthenticationTokenException"
    elif how == "wrong-secret":
        resp = cognito.json_call("CreateUserPool", body, credentials=AccessKey(cognito.credentials.access_key_id, "x" * 40))
        expected = "InvalidSignatureException"
    elif how == "unknown-key":
        resp = cognito.json_call("CreateUserPool", body, credentials=AccessKey("AKIA" + uuid.uuid4().hex[:16].upper(), "y" * 40))
        expected = "UnrecognizedClientException"
    else:
        # Signed with a valid key, 20 minutes ago: outside AWS's 15-minute window.
        stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
        with mock.patch("botocore.auth.get_current_datetime", return_value=stale):
            resp = cognito.json_call("CreateUserPool", body)
        expected = "InvalidSignatureException"
        assert "Signature expired" in resp.json().get("message", ""), resp.text
    assert resp.status_code in (400, 403), resp.text
    assert resp.json()["__type"] == expected, resp.text
    assert store_snapshot(cognito.data_dir) == before


def test_refused_query_form_calls_change_nothing(cognito: Instance):
    before = store_snapshot(cognito.data_dir)
    resp = cognito.query_call("CreateUserPool", {"PoolName": "refused"}, sign=False)
    assert resp.status_code == 403
    assert resp.json()["__type"] == "MissingAuthenticationTokenException"
    url = cognito.presigned_url("CreateUserPool", {"PoolName": "refused"})
    tampered = url.replace("PoolName=refused", "PoolName=tampered")
    resp = cognito.http.get(tampered, timeout=30)
    assert resp.status_code == 403
    assert resp.json()["__type"] == "InvalidSignatureException"
    assert store_snapshot(cognito.data_dir) == before


def test_boto3_errors_are_client_errors(cognito: Instance):
    stranger = cognito.client(credentials=AccessKey("AKIA" + uuid.uuid4().hex[:16].upper(), "z" * 40))
    with pytest.raises(ClientError) as e:
        stranger.list_user_pools(MaxResults=1)
    assert error_code(e) == "UnrecognizedClientException"
    unsigned = cognito.client(signed=False)
    with pytest.raises(ClientError) as e:
        unsigned.list_user_pools(MaxResults=1)
    assert error_code(e) == "MissingAuthenticationTokenException"
