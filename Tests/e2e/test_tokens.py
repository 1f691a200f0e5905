"""Issue 5's token operations through nginx and real workers: GetUser, GlobalSignOut, AdminUserGlobalSignOut and
RevokeToken with tokens from AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH). Public calls go
unsigned, as apps make them; every refusal is a ClientError with AWS's code. Tokens stop working after a global
sign-out, a revocation, and the deletion of their app client or pool."""

from __future__ import annotations

import base64
import json
import secrets

import jwt
import pytest
from botocore.exceptions import ClientError

from conftest import Instance
from test_admin_users import create_user, refused
from test_pools import store_snapshot
from test_signin import private_key_pem
from test_signup import error_of, idp, public, secret_hash  # noqa: F401  (idp, public: fixtures)

PASSWORD = "Passw0rd!"
SIGN_IN_FLOWS = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

pytestmark = pytest.mark.needs_ops(
    "AdminInitiateAuth", "GetUser", "GlobalSignOut", "AdminUserGlobalSignOut", "RevokeToken")


# ---- helpers ---------------------------------------------------------------------------------------

class Pool:
    """A pool with a client allowing admin password sign-in, and CONFIRMED users with password PASSWORD."""

    def __init__(self, idp, **client):
        self.idp = idp
        self.id = idp.create_user_pool(
            PoolName="tokens-" + secrets.token_hex(4),
            Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]
        self.client_id = self.new_client(**client)["ClientId"]

    def new_client(self, **settings) -> dict:
        settings.setdefault("ExplicitAuthFlows", SIGN_IN_FLOWS)
        return self.idp.create_user_pool_client(UserPoolId=self.id, ClientName="app", **settings)["UserPoolClient"]

    def user(self, username: str, **attributes: str) -> str:
        create_user(self.idp, self.id, username, **attributes)
        self.idp.admin_set_user_password(UserPoolId=self.id, Username=username, Password=PASSWORD, Permanent=True)
        return username

    def sign_in(self, username: str, client_id: str | None = None, secret: str | None = None) -> dict:
        parameters = {"USERNAME": username, "PASSWORD": PASSWORD}
        if secret is not None:
            parameters["SECRET_HASH"] = secret_hash(username, client_id or self.client_id, secret)
        return self.idp.admin_initiate_auth(
            UserPoolId=self.id, ClientId=client_id or self.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters=parameters,
        )["AuthenticationResult"]

    def refresh(self, refresh_token: str, client_id: str | None = None) -> dict:
        return self.idp.admin_initiate_auth(
            UserPoolId=self.id, ClientId=client_id or self.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )["AuthenticationResult"]


def assert_signed_out(cognito: Instance, public, pool: Pool, session: dict, client_id: str | None = None) -> None:
    """The session's access token is refused by GetUser, its refresh token by REFRESH_TOKEN_AUTH, changing nothing."""
    refused(cognito, lambda: public.get_user(AccessToken=session["AccessToken"]),
            "NotAuthorizedException", "Access Token has been revoked")
    refused(cognito, lambda: pool.refresh(session["RefreshToken"], client_id),
            "NotAuthorizedException", "Refresh Token has been revoked")


def assert_signed_in(public, pool: Pool, session: dict, username: str, client_id: str | None = None) -> None:
    assert public.get_user(AccessToken=session["AccessToken"])["Username"] == username
    assert pool.refresh(session["RefreshToken"], client_id)["AccessToken"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def pool(idp) -> Pool:
    return Pool(idp)


# ---- GetUser ---------------------------------------------------------------------------------------

def test_get_user_returns_the_user_the_token_names(cognito: Instance, public, pool: Pool):
    pool.user("alice", email="alice@example.com", email_verified="true", **{"custom:team": "red"})
    session = pool.sign_in("alice")
    sub = pool.idp.admin_get_user(UserPoolId=pool.id, Username="alice")["UserAttributes"][0]["Value"]

    got = public.get_user(AccessToken=session["AccessToken"])

    assert got["Username"] == "alice"
    assert got["UserAttributes"] == [
        {"Name": "sub", "Value": sub},
        {"Name": "custom:team", "Value": "red"},
        {"Name": "email", "Value": "alice@example.com"},
        {"Name": "email_verified", "Value": "true"},
    ]
    assert "MFAOptions" not in got and "UserMFASettingList" not in got


def test_get_user_answers_with_the_clients_read_attributes(public, pool: Pool):
    pool.user("alice", email="alice@example.com", name="Alice", **{"custom:team": "red"})
    reader = pool.new_client(ReadAttributes=["name", "custom:team"])["ClientId"]
    got = public.get_user(AccessToken=pool.sign_in("alice", reader)["AccessToken"])
    assert [a["Name"] for a in got["UserAttributes"]] == ["sub", "custom:team", "name"]


def test_get_user_refuses_bad_tokens(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    session = pool.sign_in("alice")
    access = session["AccessToken"]
    header, payload, signature = access.split(".")

    def refused_token(token: str, message: str = "Invalid Access Token") -> None:
        refused(cognito, lambda: public.get_user(AccessToken=token), "NotAuthorizedException", message)

    refused_token(session["IdToken"])
    refused_token(session["RefreshToken"])
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    refused_token(f"{header}.{b64url(json.dumps({**claims, 'username': 'mallory'}).encode())}.{signature}")
    refused_token(f"{header}.{payload}.{b64url(bytes(256))}")

    # The same claims signed with another pool's key, under its kid and under this pool's.
    other = Pool(idp)
    other_kid, other_pem = private_key_pem(cognito, other.id)
    own_kid = jwt.get_unverified_header(access)["kid"]
    for kid in (other_kid, own_kid):
        refused_token(jwt.encode(claims, other_pem, algorithm="RS256", headers={"kid": kid}))
    # The control: this pool's own key signing the same claims is accepted.
    _, own_pem = private_key_pem(cognito, pool.id)
    forged_by_owner = jwt.encode(claims, own_pem, algorithm="RS256", headers={"kid": own_kid})
    assert public.get_user(AccessToken=forged_by_owner)["Username"] == "alice"

    # The model's pattern for AccessToken.
    with pytest.raises(ClientError) as e:
        public.get_user(AccessToken="not a token!")
    assert error_of(e)[0] == "InvalidParameterException"


def test_get_user_refuses_disabled_and_deleted_users(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    pool.user("bob")
    alice = pool.sign_in("alice")["AccessToken"]
    bob = pool.sign_in("bob")["AccessToken"]

    idp.admin_disable_user(UserPoolId=pool.id, Username="alice")
    refused(cognito, lambda: public.get_user(AccessToken=alice), "NotAuthorizedException", "User is disabled.")
    # AWS: AdminDisableUser "revokes all access tokens for the user": enabling alice again does not bring them back.
    idp.admin_enable_user(UserPoolId=pool.id, Username="alice")
    refused(cognito, lambda: public.get_user(AccessToken=alice), "NotAuthorizedException",
            "Access Token has been revoked")
    assert public.get_user(AccessToken=pool.sign_in("alice")["AccessToken"])["Username"] == "alice"

    idp.admin_delete_user(UserPoolId=pool.id, Username="bob")
    refused(cognito, lambda: public.get_user(AccessToken=bob), "NotAuthorizedException", "User does not exist.")


def test_query_form_of_get_user(cognito: Instance, public, pool: Pool):
    pool.user("alice", email="alice@example.com")
    access = pool.sign_in("alice")["AccessToken"]

    resp = cognito.query_call("GetUser", {"AccessToken": access}, sign=False)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    via_sdk = public.get_user(AccessToken=access)
    assert resp.json() == {"Username": via_sdk["Username"], "UserAttributes": via_sdk["UserAttributes"]}

    resp = cognito.query_call("GetUser", {"AccessToken": access + "x"}, sign=False)
    assert resp.status_code == 400
    assert resp.json() == {"__type": "NotAuthorizedException", "message": "Invalid Access Token"}


# ---- GlobalSignOut and AdminUserGlobalSignOut ----------------------------------------------------------

def test_global_sign_out_ends_every_session(cognito: Instance, public, pool: Pool):
    pool.user("alice")
    pool.user("bob")
    other_client = pool.new_client()["ClientId"]
    first = pool.sign_in("alice")
    second = pool.sign_in("alice", other_client)
    bob = pool.sign_in("bob")

    assert public.global_sign_out(AccessToken=first["AccessToken"])["ResponseMetadata"]["HTTPStatusCode"] == 200

    assert_signed_out(cognito, public, pool, first)
    assert_signed_out(cognito, public, pool, second, other_client)
    assert_signed_in(public, pool, bob, "bob")
    # The signed-out token cannot sign out again; a new sign-in works.
    refused(cognito, lambda: public.global_sign_out(AccessToken=first["AccessToken"]),
            "NotAuthorizedException", "Access Token has been revoked")
    assert_signed_in(public, pool, pool.sign_in("alice"), "alice")


def test_global_sign_out_refusals(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    session = pool.sign_in("alice")
    refused(cognito, lambda: public.global_sign_out(AccessToken=session["IdToken"]),
            "NotAuthorizedException", "Invalid Access Token")
    idp.admin_disable_user(UserPoolId=pool.id, Username="alice")
    refused(cognito, lambda: public.global_sign_out(AccessToken=session["AccessToken"]),
            "NotAuthorizedException", "User is disabled.")


def test_query_form_of_global_sign_out(cognito: Instance, public, pool: Pool):
    pool.user("alice")
    session = pool.sign_in("alice")
    resp = cognito.query_call("GlobalSignOut", {"AccessToken": session["AccessToken"]}, sign=False)
    assert resp.status_code == 200 and resp.json() == {}, resp.text
    assert_signed_out(cognito, public, pool, session)


def test_admin_user_global_sign_out(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    pool.user("bob")
    sessions = [pool.sign_in("alice"), pool.sign_in("alice")]
    bob = pool.sign_in("bob")

    idp.admin_user_global_sign_out(UserPoolId=pool.id, Username="alice")

    for session in sessions:
        assert_signed_out(cognito, public, pool, session)
    assert_signed_in(public, pool, bob, "bob")
    assert_signed_in(public, pool, pool.sign_in("alice"), "alice")


def test_admin_user_global_sign_out_errors(cognito: Instance, idp, pool: Pool):
    refused(cognito, lambda: idp.admin_user_global_sign_out(UserPoolId=pool.id, Username="nobody"),
            "UserNotFoundException", "User does not exist.")
    refused(cognito, lambda: idp.admin_user_global_sign_out(UserPoolId="us-east-1_nothere00", Username="nobody"),
            "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")
    # An IAM operation: an unsigned call is refused before anything happens.
    pool.user("alice")
    unsigned = cognito.client(signed=False)
    refused(cognito, lambda: unsigned.admin_user_global_sign_out(UserPoolId=pool.id, Username="alice"),
            "MissingAuthenticationTokenException")


# ---- RevokeToken -----------------------------------------------------------------------------------

def test_revoke_token_ends_that_session_only(cognito: Instance, public, pool: Pool):
    pool.user("alice")
    revoked = pool.sign_in("alice")
    kept = pool.sign_in("alice")
    refreshed = pool.refresh(revoked["RefreshToken"])

    public.revoke_token(Token=revoked["RefreshToken"], ClientId=pool.client_id)

    assert_signed_out(cognito, public, pool, revoked)
    refused(cognito, lambda: public.get_user(AccessToken=refreshed["AccessToken"]),
            "NotAuthorizedException", "Access Token has been revoked")
    assert_signed_in(public, pool, kept, "alice")
    # Revoking again, or revoking something that is no token, is answered 200 and changes nothing.
    for token in (revoked["RefreshToken"], "not-a-refresh-token"):
        before = store_snapshot(cognito.data_dir)
        public.revoke_token(Token=token, ClientId=pool.client_id)
        assert store_snapshot(cognito.data_dir) == before


def test_revoke_token_errors(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    session = pool.sign_in("alice")
    token = session["RefreshToken"]

    for wrong_type in (session["AccessToken"], session["IdToken"]):
        refused(cognito, lambda: public.revoke_token(Token=wrong_type, ClientId=pool.client_id),
                "UnsupportedTokenTypeException")
    other_client = pool.new_client()["ClientId"]
    refused(cognito, lambda: public.revoke_token(Token=token, ClientId=other_client),
            "UnauthorizedException", f"The refresh token was not issued to client {other_client}.")
    refused(cognito, lambda: public.revoke_token(Token=token, ClientId="nosuchclient"),
            "UnauthorizedException", "Client nosuchclient does not exist.")

    no_revocation = pool.new_client(EnableTokenRevocation=False)["ClientId"]
    other = pool.sign_in("alice", no_revocation)
    refused(cognito, lambda: public.revoke_token(Token=other["RefreshToken"], ClientId=no_revocation),
            "UnsupportedOperationException", f"Token revocation is not enabled for client {no_revocation}.")

    with pytest.raises(ClientError) as e:
        public.revoke_token(Token="a b", ClientId=pool.client_id)
    assert error_of(e)[0] == "InvalidParameterException"
    assert_signed_in(public, pool, session, "alice")


def test_revoke_token_of_a_client_with_a_secret(cognito: Instance, public, pool: Pool):
    pool.user("alice")
    client = pool.new_client(GenerateSecret=True)
    client_id, secret = client["ClientId"], client["ClientSecret"]
    session = pool.sign_in("alice", client_id, secret=secret)
    token = session["RefreshToken"]

    refused(cognito, lambda: public.revoke_token(Token=token, ClientId=client_id),
            "UnauthorizedException", f"Client {client_id} is configured with secret but ClientSecret was not received")
    refused(cognito, lambda: public.revoke_token(Token=token, ClientId=client_id, ClientSecret=secret[::-1]),
            "UnauthorizedException", f"Unable to verify secret for client {client_id}")

    public.revoke_token(Token=token, ClientId=client_id, ClientSecret=secret)
    refused(cognito, lambda: public.get_user(AccessToken=session["AccessToken"]),
            "NotAuthorizedException", "Access Token has been revoked")


def test_query_form_of_revoke_token(cognito: Instance, public, pool: Pool):
    pool.user("alice")
    session = pool.sign_in("alice")
    resp = cognito.query_call("RevokeToken", {"Token": session["AccessToken"], "ClientId": pool.client_id}, sign=False)
    assert resp.status_code == 400 and resp.json()["__type"] == "UnsupportedTokenTypeException", resp.text
    resp = cognito.query_call("RevokeToken", {"Token": session["RefreshToken"], "ClientId": pool.client_id}, sign=False)
    assert resp.status_code == 200 and resp.json() == {}, resp.text
    assert_signed_out(cognito, public, pool, session)


# ---- deleted clients and pools ----------------------------------------------------------------------

def test_tokens_of_a_deleted_client_are_refused(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    other_client = pool.new_client()["ClientId"]
    gone = pool.sign_in("alice")
    kept = pool.sign_in("alice", other_client)

    idp.delete_user_pool_client(UserPoolId=pool.id, ClientId=pool.client_id)

    refused(cognito, lambda: public.get_user(AccessToken=gone["AccessToken"]),
            "NotAuthorizedException", "Invalid Access Token")
    refused(cognito, lambda: public.global_sign_out(AccessToken=gone["AccessToken"]),
            "NotAuthorizedException", "Invalid Access Token")
    refused(cognito, lambda: pool.refresh(gone["RefreshToken"]),
            "ResourceNotFoundException", f"User pool client {pool.client_id} does not exist.")
    refused(cognito, lambda: public.revoke_token(Token=gone["RefreshToken"], ClientId=pool.client_id),
            "UnauthorizedException", f"Client {pool.client_id} does not exist.")
    assert_signed_in(public, pool, kept, "alice", other_client)


def test_tokens_of_a_deleted_pool_are_refused(cognito: Instance, idp, public, pool: Pool):
    pool.user("alice")
    session = pool.sign_in("alice")
    idp.delete_user_pool(UserPoolId=pool.id)

    refused(cognito, lambda: public.get_user(AccessToken=session["AccessToken"]),
            "NotAuthorizedException", "Invalid Access Token")
    refused(cognito, lambda: public.global_sign_out(AccessToken=session["AccessToken"]),
            "NotAuthorizedException", "Invalid Access Token")
    refused(cognito, lambda: public.revoke_token(Token=session["RefreshToken"], ClientId=pool.client_id),
            "UnauthorizedException", f"Client {pool.client_id} does not exist.")
    refused(cognito, lambda: pool.refresh(session["RefreshToken"]),
            "ResourceNotFoundException", f"User pool {pool.id} does not exist.")
