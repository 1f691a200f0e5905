"""Issue 3's app-client operations through nginx and real workers: boto3, the seed's query form, and refusals.

The seed names two of them, UpdateUserPoolClient and DeleteUserPoolClient; both are also tested in the seed's
`GET /?Action=...` form, SigV4-presigned, against the JSON protocol's answers.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Instance
from test_pools import store_snapshot

# ---- AWS's defaults and a configuration away from every one of them ------------------------------

DEFAULT_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]

# What DescribeUserPoolClient shows for every setting a Create or Update call left out.
DEFAULT_SETTINGS = {
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "PreventUserExistenceErrors": "LEGACY",
    "EnableTokenRevocation": True,
    "AuthSessionValidity": 3,
    "AllowedOAuthFlowsUserPoolClient": False,
    "EnablePropagateAdditionalUserContextData": False,
    "ClientType": "REGULAR",
}
# Settings with no value by default (Read/WriteAttributes: every attribute allowed).
ABSENT_BY_DEFAULT = [
    "ReadAttributes", "WriteAttributes", "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs",
    "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes", "AnalyticsConfiguration",
]

CALLBACK = "https://app.example.com/cb"
# Every setting away from its default (a client with a secret is needed for the last one).
NON_DEFAULT_SETTINGS = {
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "AccessTokenValidity": 2,
    "IdTokenValidity": 90,
    "RefreshTokenValidity": 12,
    "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "minutes", "RefreshToken": "hours"},
    "ReadAttributes": ["email", "name", "custom:team"],
    "WriteAttributes": ["name", "custom:team"],
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": False,
    "AuthSessionValidity": 10,
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": [CALLBACK],
    "LogoutURLs": ["https://app.example.com/bye"],
    "DefaultRedirectURI": CALLBACK,
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "AnalyticsConfiguration": {"ApplicationArn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/e2e"},
    "EnablePropagateAdditionalUserContextData": True,
}

# Fields that identify a client rather than configure it.
IDENTITY_FIELDS = {"ClientId", "ClientSecret", "CreationDate", "LastModifiedDate"}

MISSING_CLIENT_ID = (
    "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"
)
RANGE = "Invalid range for token validity."
REFRESH_SHORTER = (
    "Refresh token validity must be greater than or equal to access token validity and ID token validity."
)
UNKNOWN_POOL = "us-east-1_nothere00"
UNKNOWN_CLIENT = "0123456789abcdefghijklmnop"


# ---- helpers ---------------------------------------------------------------------------------------

def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo) -> str:
    return excinfo.value.response["Error"]["Message"]


def wire_error(resp) -> tuple[int, str, str]:
    """(status, __type, message) of a raw error response."""
    body = resp.json()
    return resp.status_code, body["__type"], body["message"]


def ok_json(resp) -> dict:
    assert resp.status_code == 200, resp.text
    return resp.json()


def settings_of(client: dict) -> dict:
    return {k: v for k, v in client.items() if k not in IDENTITY_FIELDS}


def assert_same_settings(got: dict, expected: dict, label: str) -> None:
    """Field by field, so a failure names the field."""
    got, expected = settings_of(got), settings_of(expected)
    assert sorted(got) == sorted(expected), f"{label}: fields differ"
    for field in expected:
        assert got[field] == expected[field], f"{label}: {field}"


def assert_aws_defaults(client: dict) -> None:
    assert sorted(client["ExplicitAuthFlows"]) == sorted(DEFAULT_FLOWS)
    assert len(client["ExplicitAuthFlows"]) == len(DEFAULT_FLOWS)
    for field, value in DEFAULT_SETTINGS.items():
        assert client.get(field) == value, field
    for field in ABSENT_BY_DEFAULT:
        assert client.get(field) in (None, [], {}), field


def index_entry(cognito: Instance, client_id: str) -> Path:
    """The global index file that maps a client id to its pool."""
    return cognito.data_dir / "clients" / client_id


def client_record(cognito: Instance, pool_id: str, client_id: str) -> Path:
    return cognito.data_dir / "pools" / pool_id / "clients" / f"{client_id}.json"


def is_stored(cognito: Instance, pool_id: str, client_id: str) -> bool:
    index = index_entry(cognito, client_id)
    record = client_record(cognito, pool_id, client_id)
    if index.exists():
        assert index.read_text() == pool_id
    assert index.exists() == record.exists(), f"index {index.exists()}, record {record.exists()}"
    return record.exists()


@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


@pytest.fixture
def pool_id(idp) -> str:
    """A fresh pool with a custom attribute (and no required attribute)."""
    return idp.create_user_pool(
        PoolName="e2e-clients-" + secrets.token_hex(4),
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]


def new_client(idp, pool_id: str, name: str | None = None, **settings) -> dict:
    name = name or "app-" + secrets.token_hex(3)
    return idp.create_user_pool_client(UserPoolId=pool_id, ClientName=name, **settings)["UserPoolClient"]


def describe(idp, pool_id: str, client_id: str) -> dict:
    return idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]


# ---- every operation with boto3 -------------------------------------------------------------------

def test_create_without_secret_has_aws_defaults(cognito: Instance, idp, pool_id):
    client = new_client(idp, pool_id, "plain")
    client_id = client["ClientId"]
    assert len(client_id) == 26 and client_id.isalnum() and client_id == client_id.lower()
    assert "ClientSecret" not in client
    assert client["UserPoolId"] == pool_id and client["ClientName"] == "plain"
    assert client["CreationDate"] == client["LastModifiedDate"]
    assert_aws_defaults(client)
    assert describe(idp, pool_id, client_id) == client
    assert is_stored(cognito, pool_id, client_id)


def test_create_with_secret_and_settings(cognito: Instance, idp, pool_id):
    client = new_client(idp, pool_id, GenerateSecret=True, **NON_DEFAULT_SETTINGS)
    secret = client["ClientSecret"]
    assert len(secret) >= 48 and secret.isalnum()
    for field, value in NON_DEFAULT_SETTINGS.items():
        assert client[field] == value, field
    assert describe(idp, pool_id, client["ClientId"]) == client
    other = new_client(idp, pool_id, GenerateSecret=True)
    assert other["ClientSecret"] != secret and other["ClientId"] != client["ClientId"]
    assert is_stored(cognito, pool_id, client["ClientId"])


def test_describe_unknown_pool_or_client(idp, pool_id):
    with pytest.raises(ClientError) as e:
        idp.describe_user_pool_client(UserPoolId=UNKNOWN_POOL, ClientId=UNKNOWN_CLIENT)
    assert error_code(e) == "ResourceNotFoundException"
    assert error_message(e) == f"User pool {UNKNOWN_POOL} does not exist."
    with pytest.raises(ClientError) as e:
        idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=UNKNOWN_CLIENT)
    assert error_code(e) == "ResourceNotFoundException"
    assert error_message(e) == f"User pool client {UNKNOWN_CLIENT} does not exist."
    # A client of another pool is not found through this one.
    elsewhere = new_client(idp, idp.create_user_pool(PoolName="e2e-other")["UserPool"]["Id"])
    with pytest.raises(ClientError) as e:
        describe(idp, pool_id, elsewhere["ClientId"])
    assert error_code(e) == "ResourceNotFoundException"


def test_list_user_pool_clients_pages(idp, pool_id):
    created = {c["ClientId"]: c["ClientName"] for c in (new_client(idp, pool_id) for _ in range(5))}
    seen: dict[str, str] = {}
    pages = 0
    token = None
    while True:
        kwargs = {"UserPoolId": pool_id, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = idp.list_user_pool_clients(**kwargs)
        assert 1 <= len(page["UserPoolClients"]) <= 2
        for c in page["UserPoolClients"]:
            assert c["UserPoolId"] == pool_id
            assert c["ClientId"] not in seen
            seen[c["ClientId"]] = c["ClientName"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert pages >= 3
    assert seen == created

    paginated = idp.get_paginator("list_user_pool_clients").paginate(
        UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
    assert sorted(c["ClientId"] for p in paginated for c in p["UserPoolClients"]) == sorted(created)


def test_list_user_pool_clients_errors(idp, pool_id):
    for _ in range(3):
        new_client(idp, pool_id)
    token = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=1)["NextToken"]
    other_pool = idp.create_user_pool(PoolName="e2e-other")["UserPool"]["Id"]
    for bad in [
        dict(UserPoolId=other_pool, MaxResults=1, NextToken=token),  # another pool's token
        dict(UserPoolId=pool_id, MaxResults=1, NextToken="x" + token),  # tampered
        dict(UserPoolId=pool_id, MaxResults=61),
    ]:
        with pytest.raises(ClientError) as e:
            idp.list_user_pool_clients(**bad)
        assert error_code(e) == "InvalidParameterException", bad
    with pytest.raises(ClientError) as e:
        idp.list_user_pool_clients(UserPoolId=UNKNOWN_POOL)
    assert error_code(e) == "ResourceNotFoundException"


def test_update_sets_what_it_is_given(idp, pool_id):
    client = new_client(idp, pool_id, "before", GenerateSecret=True)
    updated = idp.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"], ClientName="after", **NON_DEFAULT_SETTINGS,
    )["UserPoolClient"]
    for field, value in NON_DEFAULT_SETTINGS.items():
        assert updated[field] == value, field
    assert updated["ClientName"] == "after"
    assert updated["ClientSecret"] == client["ClientSecret"]
    assert updated["CreationDate"] == client["CreationDate"]
    assert updated["LastModifiedDate"] >= client["LastModifiedDate"]
    assert describe(idp, pool_id, client["ClientId"]) == updated


NO_SECRETS_MANAGER = ("PublishSecretsInAWSSecretsManager is not supported by this service: it has no AWS Secrets "
                      "Manager and keeps client secrets itself (ClientSecret). Omit it or set it to false.")


def test_secrets_stay_with_the_service_and_every_client_is_regular(cognito: Instance, idp, pool_id):
    """botocore 1.44's members: no Secrets Manager here (true is refused, false changes nothing about the secret);
    every client is REGULAR (no dynamic client registration), so ListUserPoolClients' DCR filter finds none."""
    client = new_client(idp, pool_id, GenerateSecret=True, AuthSessionValidity=9)
    assert client["ClientType"] == "REGULAR" and "ClientSecretArn" not in client
    before = store_snapshot(cognito.data_dir)
    for call in (lambda: idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"],
                                                     PublishSecretsInAWSSecretsManager=True),
                 lambda: idp.create_user_pool_client(UserPoolId=pool_id, ClientName="sm", GenerateSecret=True,
                                                     PublishSecretsInAWSSecretsManager=True)):
        with pytest.raises(ClientError) as e:
            call()
        assert (error_code(e), error_message(e)) == ("InvalidParameterException", NO_SECRETS_MANAGER)
    assert store_snapshot(cognito.data_dir) == before

    updated = idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"],
                                          PublishSecretsInAWSSecretsManager=False)["UserPoolClient"]
    assert updated["ClientSecret"] == client["ClientSecret"] and updated["AuthSessionValidity"] == 3
    assert describe(idp, pool_id, client["ClientId"]) == updated

    listed = idp.list_user_pool_clients(UserPoolId=pool_id, ClientType="REGULAR")["UserPoolClients"]
    assert [c["ClientId"] for c in listed] == [client["ClientId"]]
    assert idp.list_user_pool_clients(UserPoolId=pool_id, ClientType="DCR")["UserPoolClients"] == []


def test_update_unknown_pool_or_client(idp, pool_id):
    client = new_client(idp, pool_id)
    with pytest.raises(ClientError) as e:
        idp.update_user_pool_client(UserPoolId=UNKNOWN_POOL, ClientId=client["ClientId"])
    assert error_code(e) == "ResourceNotFoundException"
    assert error_message(e) == f"User pool {UNKNOWN_POOL} does not exist."
    with pytest.raises(ClientError) as e:
        idp.update_user_pool_client(UserPoolId=pool_id, ClientId=UNKNOWN_CLIENT)
    assert error_code(e) == "ResourceNotFoundException"
    assert error_message(e) == f"User pool client {UNKNOWN_CLIENT} does not exist."


# (settings, error code, message or None) that Create and Update both refuse; "{verb}" is creating/updating.
REFUSED_SETTINGS = [
    pytest.param({"ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}, "InvalidParameterException",
                 "Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names.", id="mixed-flows"),
    pytest.param({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]}, "InvalidParameterException",
                 "REFRESH_TOKEN_AUTH should always be allowed.", id="no-refresh-flow"),
    pytest.param({"AccessTokenValidity": 4, "TokenValidityUnits": {"AccessToken": "minutes"}},
                 "InvalidParameterException", RANGE, id="access-4-minutes"),
    pytest.param({"AccessTokenValidity": 25}, "InvalidParameterException", RANGE, id="access-25-hours"),
    pytest.param({"IdTokenValidity": 2, "TokenValidityUnits": {"IdToken": "days"}},
                 "InvalidParameterException", RANGE, id="id-2-days"),
    pytest.param({"RefreshTokenValidity": 3651}, "InvalidParameterException", RANGE, id="refresh-3651-days"),
    pytest.param({"RefreshTokenValidity": 59, "TokenValidityUnits": {"RefreshToken": "minutes"}},
                 "InvalidParameterException", RANGE, id="refresh-59-minutes"),
    pytest.param({"AccessTokenValidity": 2, "RefreshTokenValidity": 1, "TokenValidityUnits": {"RefreshToken": "hours"}},
                 "InvalidParameterException", REFRESH_SHORTER, id="refresh-shorter-than-access"),
    pytest.param({"IdTokenValidity": 120, "RefreshTokenValidity": 60,
                  "TokenValidityUnits": {"IdToken": "minutes", "RefreshToken": "minutes"}},
                 "InvalidParameterException", REFRESH_SHORTER, id="refresh-shorter-than-id"),
    pytest.param({"ReadAttributes": ["email", "custom:nope"]}, "InvalidParameterException",
                 "Invalid read attributes specified while {verb} a client", id="read-unknown"),
    pytest.param({"WriteAttributes": ["sub"]}, "InvalidParameterException",
                 "Invalid write attributes specified while {verb} a client", id="write-sub"),
    pytest.param({"WriteAttributes": ["email", "email_verified"]}, "InvalidParameterException",
                 "Invalid write attributes specified while {verb} a client", id="write-verified"),
    pytest.param({"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"],
                  "AllowedOAuthScopes": ["api/read"], "CallbackURLs": [CALLBACK]},
                 "ScopeDoesNotExistException", "Invalid scope requested: api/read", id="unknown-scope"),
    pytest.param({"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code", "client_credentials"],
                  "AllowedOAuthScopes": ["openid"], "CallbackURLs": [CALLBACK]},
                 "InvalidOAuthFlowException",
                 "client_credentials flow can not be selected along with code flow or implicit flow.",
                 id="client-credentials-with-code"),
    pytest.param({"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["client_credentials"],
                  "AllowedOAuthScopes": ["openid"]},
                 "InvalidOAuthFlowException",
                 "client_credentials flow can not be selected if client does not have a client secret.",
                 id="client-credentials-without-secret"),
    pytest.param({"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"],
                  "AllowedOAuthScopes": ["openid"]},
                 "InvalidOAuthFlowException", "CallbackUrls can not be empty when code flow or implicit flow is selected",
                 id="code-without-callback"),
    pytest.param({"AllowedOAuthFlowsUserPoolClient": True}, "InvalidParameterException",
                 "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows.",
                 id="oauth-without-flows"),
    pytest.param({"CallbackURLs": ["http://app.example.com/cb"]}, "InvalidParameterException",
                 "http://app.example.com/cb cannot use the HTTP protocol.", id="http-callback"),
    # ClientId is `sensitive` in the model: AWS leaves its value out of the message.
    pytest.param({"ClientId": "not a client!"}, "InvalidParameterException",
                 "1 validation error detected: Value at 'clientId' failed to satisfy constraint: "
                 "Member must satisfy regular expression pattern: [\\w+]+", id="client-id-pattern"),
]


@pytest.mark.parametrize("settings, code, message", REFUSED_SETTINGS)
def test_refused_settings(cognito: Instance, idp, pool_id, settings, code, message):
    existing = new_client(idp, pool_id, GenerateSecret=False, **NON_DEFAULT_SETTINGS | {
        "EnablePropagateAdditionalUserContextData": False})
    before = store_snapshot(cognito.data_dir)
    if "ClientId" not in settings:  # (Create takes no ClientId)
        with pytest.raises(ClientError) as e:
            new_client(idp, pool_id, **settings)
        assert (error_code(e), error_message(e)) == (code, message.format(verb="creating"))
    with pytest.raises(ClientError) as e:
        idp.update_user_pool_client(**{"UserPoolId": pool_id, "ClientId": existing["ClientId"], **settings})
    assert (error_code(e), error_message(e)) == (code, message.format(verb="updating"))
    assert store_snapshot(cognito.data_dir) == before
    assert describe(idp, pool_id, existing["ClientId"]) == existing


# (settings, what Describe then shows): the limits of each range, and the values with a special meaning.
ACCEPTED_SETTINGS = [
    pytest.param({"AccessTokenValidity": 5, "IdTokenValidity": 1, "RefreshTokenValidity": 3650,
                  "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "days"}},
                 {"AccessTokenValidity": 5, "IdTokenValidity": 1, "RefreshTokenValidity": 3650,
                  "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "days", "RefreshToken": "days"}},
                 id="widest-ranges"),
    pytest.param({"AccessTokenValidity": 300, "IdTokenValidity": 3600, "RefreshTokenValidity": 60,
                  "TokenValidityUnits": {"AccessToken": "seconds", "IdToken": "seconds", "RefreshToken": "minutes"}},
                 {"AccessTokenValidity": 300, "IdTokenValidity": 3600, "RefreshTokenValidity": 60},
                 id="refresh-equal-to-id"),
    pytest.param({"RefreshTokenValidity": 0}, {"RefreshTokenValidity": 30}, id="refresh-0-means-30-days"),
    pytest.param({"ExplicitAuthFlows": []}, {"ExplicitAuthFlows": DEFAULT_FLOWS}, id="empty-flows-are-defaults"),
    pytest.param({"ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"]},
                 {"ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"]}, id="legacy-flows-alone"),
]


@pytest.mark.parametrize("settings, shown", ACCEPTED_SETTINGS)
def test_accepted_settings(idp, pool_id, settings, shown):
    client = new_client(idp, pool_id)
    updated = idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"], **settings)["UserPoolClient"]
    for field, value in shown.items():
        assert updated[field] == value, field
    assert describe(idp, pool_id, client["ClientId"]) == updated


@pytest.mark.parametrize("operation", ["DescribeUserPoolClient", "UpdateUserPoolClient", "DeleteUserPoolClient"])
def test_missing_client_id_in_aws_words(cognito: Instance, pool_id, operation):
    # boto3 refuses to send it, so this goes out as raw JSON 1.1.
    resp = cognito.json_call(operation, {"UserPoolId": pool_id})
    assert resp.status_code == 400
    assert resp.headers["x-amzn-ErrorType"].startswith("InvalidParameterException")
    assert resp.json() == {"__type": "InvalidParameterException", "message": MISSING_CLIENT_ID}
    resp = cognito.json_call(operation, {})
    assert resp.json()["__type"] == "InvalidParameterException"
    assert resp.json()["message"].startswith("2 validation errors detected: ")
    assert "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null" in resp.json()["message"]
    assert "Value null at 'clientId' failed to satisfy constraint: Member must not be null" in resp.json()["message"]


def test_delete_removes_record_and_index(cognito: Instance, idp, pool_id):
    doomed = new_client(idp, pool_id, GenerateSecret=True)["ClientId"]
    kept = new_client(idp, pool_id)["ClientId"]
    assert is_stored(cognito, pool_id, doomed)

    assert idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=doomed)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert not index_entry(cognito, doomed).exists()
    assert not client_record(cognito, pool_id, doomed).exists()
    assert is_stored(cognito, pool_id, kept)
    listed = [c["ClientId"] for c in idp.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"]]
    assert listed == [kept]
    for call in (idp.describe_user_pool_client, idp.update_user_pool_client, idp.delete_user_pool_client):
        with pytest.raises(ClientError) as e:
            call(UserPoolId=pool_id, ClientId=doomed)
        assert error_code(e) == "ResourceNotFoundException", call
        assert error_message(e) == f"User pool client {doomed} does not exist."


def test_delete_unknown_pool_or_client(cognito: Instance, idp, pool_id):
    client = new_client(idp, pool_id)["ClientId"]
    before = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        idp.delete_user_pool_client(UserPoolId=UNKNOWN_POOL, ClientId=client)
    assert (error_code(e), error_message(e)) == ("ResourceNotFoundException", f"User pool {UNKNOWN_POOL} does not exist.")
    assert store_snapshot(cognito.data_dir) == before
    # A client is deleted only through its own pool.
    other_pool = idp.create_user_pool(PoolName="e2e-other")["UserPool"]["Id"]
    before = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        idp.delete_user_pool_client(UserPoolId=other_pool, ClientId=client)
    assert (error_code(e), error_message(e)) == ("ResourceNotFoundException", f"User pool client {client} does not exist.")
    assert store_snapshot(cognito.data_dir) == before
    assert is_stored(cognito, pool_id, client)


# ---- the acceptance test: Update with only the ids resets everything --------------------------------

def test_update_with_only_ids_resets_every_setting_to_aws_defaults(idp, pool_id):
    created = new_client(idp, pool_id, "keep-my-name", GenerateSecret=True, **NON_DEFAULT_SETTINGS)
    for field, value in NON_DEFAULT_SETTINGS.items():
        assert created[field] == value, field

    updated = idp.update_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])["UserPoolClient"]
    described = describe(idp, pool_id, created["ClientId"])

    for label, client in (("update", updated), ("describe", described)):
        assert_aws_defaults(client)
        assert client["ExplicitAuthFlows"] == DEFAULT_FLOWS, label
        assert client["ClientSecret"] == created["ClientSecret"], label
        assert client["ClientName"] == "keep-my-name", label
        assert client["ClientId"] == created["ClientId"], label
        assert client["UserPoolId"] == pool_id, label
        assert client["CreationDate"] == created["CreationDate"], label
    assert described == updated
    # ... exactly what a client created without settings shows.
    assert_same_settings(described, new_client(idp, pool_id, "keep-my-name", GenerateSecret=True), "fresh client")


# ---- the seed's query form --------------------------------------------------------------------------

SEED_UPDATE_BY_MEMBER = {
    "ExplicitAuthFlows.member.1": "ALLOW_USER_PASSWORD_AUTH",
    "ExplicitAuthFlows.member.2": "ALLOW_REFRESH_TOKEN_AUTH",
    "RefreshTokenValidity": "10",
    "ReadAttributes.member.1": "email",
    "WriteAttributes.member.1": "email",
}
SEED_UPDATE_BY_JSON_ARRAY = {
    "ExplicitAuthFlows": '["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]',
    "RefreshTokenValidity": "10",
    "ReadAttributes": '["email"]',
    "WriteAttributes": '["email"]',
}
SEED_UPDATE_AS_JSON = {
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "RefreshTokenValidity": 10,
    "ReadAttributes": ["email"],
    "WriteAttributes": ["email"],
}


def ids(pool_id: str, client_id: str) -> dict:
    return {"UserPoolId": pool_id, "ClientId": client_id}


def test_query_form_update_matches_json(cognito: Instance, idp, pool_id):
    twins = [new_client(idp, pool_id, "twin", GenerateSecret=True, **NON_DEFAULT_SETTINGS) for _ in range(3)]
    by_json, by_member, by_array = twins

    json_result = ok_json(cognito.json_call(
        "UpdateUserPoolClient", {**ids(pool_id, by_json["ClientId"]), **SEED_UPDATE_AS_JSON}))["UserPoolClient"]
    resp = cognito.query_call("UpdateUserPoolClient", {**ids(pool_id, by_member["ClientId"]), **SEED_UPDATE_BY_MEMBER})
    assert resp.headers["Content-Type"].startswith("application/json")
    member_result = ok_json(resp)["UserPoolClient"]
    array_result = ok_json(cognito.query_call(
        "UpdateUserPoolClient", {**ids(pool_id, by_array["ClientId"]), **SEED_UPDATE_BY_JSON_ARRAY}))["UserPoolClient"]

    # The JSON form did what was asked, and reset the rest.
    assert json_result["ExplicitAuthFlows"] == SEED_UPDATE_AS_JSON["ExplicitAuthFlows"]
    assert json_result["RefreshTokenValidity"] == 10
    assert json_result["ReadAttributes"] == ["email"] and json_result["WriteAttributes"] == ["email"]
    assert json_result["TokenValidityUnits"] == DEFAULT_SETTINGS["TokenValidityUnits"]
    assert json_result["PreventUserExistenceErrors"] == "LEGACY"
    assert json_result.get("AllowedOAuthFlows") in (None, [])

    assert_same_settings(member_result, json_result, "query form, .member.N lists")
    assert_same_settings(array_result, json_result, "query form, JSON array lists")
    for twin, result in zip(twins, (json_result, member_result, array_result)):
        assert result["ClientId"] == twin["ClientId"]
        assert result["ClientSecret"] == twin["ClientSecret"]
        assert result["ClientName"] == "twin"
        stored = ok_json(cognito.json_call("DescribeUserPoolClient", ids(pool_id, twin["ClientId"])))["UserPoolClient"]
        assert stored == result


def test_query_form_update_with_an_authorization_header(cognito: Instance, idp, pool_id):
    client = new_client(idp, pool_id, **NON_DEFAULT_SETTINGS | {"EnablePropagateAdditionalUserContextData": False})
    resp = cognito.signed_request("GET", "/", params={
        "Action": "UpdateUserPoolClient", **ids(pool_id, client["ClientId"]), **SEED_UPDATE_BY_MEMBER})
    updated = ok_json(resp)["UserPoolClient"]
    assert updated["RefreshTokenValidity"] == 10
    assert updated["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def test_query_form_delete(cognito: Instance, idp, pool_id):
    doomed = new_client(idp, pool_id, GenerateSecret=True)["ClientId"]
    kept = new_client(idp, pool_id)["ClientId"]
    resp = cognito.query_call("DeleteUserPoolClient", ids(pool_id, doomed))
    assert ok_json(resp) == {}
    assert not index_entry(cognito, doomed).exists()
    assert not client_record(cognito, pool_id, doomed).exists()
    assert is_stored(cognito, pool_id, kept)
    with pytest.raises(ClientError) as e:
        describe(idp, pool_id, doomed)
    assert error_code(e) == "ResourceNotFoundException"
    # A second delete, in both forms.
    again_query = cognito.query_call("DeleteUserPoolClient", ids(pool_id, doomed))
    again_json = cognito.json_call("DeleteUserPoolClient", ids(pool_id, doomed))
    expected = (400, "ResourceNotFoundException", f"User pool client {doomed} does not exist.")
    assert wire_error(again_query) == wire_error(again_json) == expected
    assert again_query.headers["x-amzn-ErrorType"].startswith("ResourceNotFoundException")

    resp = cognito.signed_request("GET", "/", params={"Action": "DeleteUserPoolClient", **ids(pool_id, kept)})
    assert ok_json(resp) == {}
    assert not is_stored(cognito, pool_id, kept)


@pytest.mark.parametrize("operation", ["UpdateUserPoolClient", "DeleteUserPoolClient"])
def test_query_form_errors_match_json(cognito: Instance, idp, pool_id, operation):
    client = new_client(idp, pool_id, **NON_DEFAULT_SETTINGS | {"EnablePropagateAdditionalUserContextData": False})
    before = store_snapshot(cognito.data_dir)
    cases = [
        (ids(pool_id, UNKNOWN_CLIENT), "ResourceNotFoundException", f"User pool client {UNKNOWN_CLIENT} does not exist."),
        (ids(UNKNOWN_POOL, client["ClientId"]), "ResourceNotFoundException", f"User pool {UNKNOWN_POOL} does not exist."),
        ({"UserPoolId": pool_id}, "InvalidParameterException", MISSING_CLIENT_ID),
    ]
    for params, code, message in cases:
        by_query = cognito.query_call(operation, params)
        by_json = cognito.json_call(operation, params)
        assert wire_error(by_query) == wire_error(by_json) == (400, code, message), params
    assert store_snapshot(cognito.data_dir) == before
    assert describe(idp, pool_id, client["ClientId"]) == client


def test_query_form_update_refuses_flows_without_refresh(cognito: Instance, idp, pool_id):
    """AWS's rule, intended: a list of ALLOW_ flows must include ALLOW_REFRESH_TOKEN_AUTH."""
    client = new_client(idp, pool_id)
    before = store_snapshot(cognito.data_dir)
    expected = (400, "InvalidParameterException", "REFRESH_TOKEN_AUTH should always be allowed.")
    for flows in ({"ExplicitAuthFlows.member.1": "ALLOW_USER_PASSWORD_AUTH"},
                  {"ExplicitAuthFlows": '["ALLOW_USER_PASSWORD_AUTH","ALLOW_USER_SRP_AUTH"]'}):
        resp = cognito.query_call("UpdateUserPoolClient", {**ids(pool_id, client["ClientId"]), **flows})
        assert wire_error(resp) == expected, flows
    resp = cognito.json_call("UpdateUserPoolClient", {**ids(pool_id, client["ClientId"]),
                                                      "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]})
    assert wire_error(resp) == expected
    assert store_snapshot(cognito.data_dir) == before


@pytest.mark.parametrize("operation", ["UpdateUserPoolClient", "DeleteUserPoolClient"])
def test_refused_query_form_calls_change_nothing(cognito: Instance, idp, pool_id, operation):
    client = new_client(idp, pool_id, **NON_DEFAULT_SETTINGS | {"EnablePropagateAdditionalUserContextData": False})
    other = new_client(idp, pool_id)
    params = {**ids(pool_id, client["ClientId"]), **(SEED_UPDATE_BY_MEMBER if operation == "UpdateUserPoolClient" else {})}
    before = store_snapshot(cognito.data_dir)

    resp = cognito.query_call(operation, params, sign=False)
    assert wire_error(resp)[:2] == (403, "MissingAuthenticationTokenException"), resp.text

    # Presigned for one client, sent for another.
    url = cognito.presigned_url(operation, params)
    assert f"ClientId={client['ClientId']}" in url
    tampered = url.replace(f"ClientId={client['ClientId']}", f"ClientId={other['ClientId']}")
    resp = cognito.http.get(tampered, timeout=30)
    assert wire_error(resp)[:2] == (403, "InvalidSignatureException"), resp.text
    if operation == "UpdateUserPoolClient":
        resp = cognito.http.get(url.replace("RefreshTokenValidity=10", "RefreshTokenValidity=11"), timeout=30)
        assert wire_error(resp)[:2] == (403, "InvalidSignatureException"), resp.text

    assert store_snapshot(cognito.data_dir) == before
    assert describe(idp, pool_id, client["ClientId"]) == client
    assert describe(idp, pool_id, other["ClientId"]) == other
