"""Issue 4's admin user operations through nginx and real workers: AdminGetUser, AdminDeleteUser,
AdminSetUserPassword, AdminConfirmSignUp, AdminDisableUser, AdminEnableUser, AdminUpdateUserAttributes,
AdminDeleteUserAttributes and AdminResetUserPassword, with boto3 (SigV4) and the seed's query form. Users are made
with AdminCreateUser (and SignUp for an unconfirmed one); codes are read from the outbox."""

from __future__ import annotations

import datetime
import json
import secrets

import pytest
from botocore.exceptions import ClientError

from conftest import Instance
from test_pools import store_snapshot
from test_signup import outbox

PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-Secret!"

pytestmark = pytest.mark.needs_ops(
    "AdminCreateUser", "AdminGetUser", "AdminDeleteUser", "AdminSetUserPassword", "AdminConfirmSignUp",
    "AdminDisableUser", "AdminEnableUser", "AdminUpdateUserAttributes", "AdminDeleteUserAttributes",
    "AdminResetUserPassword")


# ---- helpers ---------------------------------------------------------------------------------------

@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


def error_of(excinfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def new_pool(idp, **extra) -> str:
    return idp.create_user_pool(PoolName="admin-" + secrets.token_hex(4), **extra)["UserPool"]["Id"]


def create_user(idp, pool_id: str, username: str, **attributes: str) -> dict:
    """A user in FORCE_CHANGE_PASSWORD with temporary password PASSWORD, no invitation sent."""
    return idp.admin_create_user(
        UserPoolId=pool_id, Username=username, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
    )["User"]


def attributes_of(idp, pool_id: str, username: str) -> dict[str, str]:
    got = idp.admin_get_user(UserPoolId=pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in got["UserAttributes"]}


def status_of(idp, pool_id: str, username: str) -> str:
    return idp.admin_get_user(UserPoolId=pool_id, Username=username)["UserStatus"]


def refused(cognito: Instance, call, code: str, message: str | None = None) -> str:
    """Expects `call()` to raise a ClientError `code` (and `message`) and to leave the store as it was."""
    before = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        call()
    got_code, got_message = error_of(e)
    assert got_code == code, got_message
    if message is not None:
        assert got_message == message
    assert store_snapshot(cognito.data_dir) == before
    return got_message


def update(idp, pool_id: str, username: str, **attributes: str) -> None:
    idp.admin_update_user_attributes(
        UserPoolId=pool_id, Username=username,
        UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()])


# ---- AdminGetUser ----------------------------------------------------------------------------------

def test_get_user_by_username_alias_and_sub(idp):
    pool_id = new_pool(idp, AliasAttributes=["email"])
    created = create_user(idp, pool_id, "alice", email="alice@example.com", email_verified="true", name="Alice")
    sub = {a["Name"]: a["Value"] for a in created["Attributes"]}["sub"]

    got = idp.admin_get_user(UserPoolId=pool_id, Username="alice")

    assert got["Username"] == "alice"
    assert got["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert got["Enabled"] is True
    assert isinstance(got["UserCreateDate"], datetime.datetime)
    assert got["UserLastModifiedDate"] >= got["UserCreateDate"]
    assert got["UserAttributes"][0] == {"Name": "sub", "Value": sub}
    assert attributes_of(idp, pool_id, "alice") == {
        "sub": sub, "email": "alice@example.com", "email_verified": "true", "name": "Alice"}
    assert "MFAOptions" not in got and "UserMFASettingList" not in got
    for name in ("ALICE", "Alice@Example.com", sub):
        assert idp.admin_get_user(UserPoolId=pool_id, Username=name)["Username"] == "alice"


# ---- AdminUpdateUserAttributes / AdminDeleteUserAttributes ---------------------------------------------

def test_update_and_delete_attributes(cognito: Instance, idp):
    pool_id = new_pool(
        idp, AutoVerifiedAttributes=["email"], AliasAttributes=["email"],
        Schema=[{"Name": "team", "AttributeDataType": "String"}])
    create_user(idp, pool_id, "alice", email="alice@example.com", email_verified="true")

    update(idp, pool_id, "alice", name="Alice", **{"custom:team": "blue"})
    assert attributes_of(idp, pool_id, "alice")["custom:team"] == "blue"

    # A new email is unverified, gets a code, and stops being a sign-in alias until verified.
    update(idp, pool_id, "alice", email="alice@example.org")
    attributes = attributes_of(idp, pool_id, "alice")
    assert attributes["email"] == "alice@example.org" and attributes["email_verified"] == "false"
    [message] = outbox(cognito, pool_id, "alice@example.org")
    assert message["Kind"] == "UpdateUserAttribute" and message["AttributeName"] == "email"
    assert len(message["Code"]) == 6 and message["Code"] in message["Body"]
    refused(cognito, lambda: idp.admin_get_user(UserPoolId=pool_id, Username="alice@example.org"),
            "UserNotFoundException", "User does not exist.")

    # An administrator may verify it directly; then it is an alias.
    update(idp, pool_id, "alice", email_verified="true")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice@example.org")["Username"] == "alice"

    # A blank value deletes, as does AdminDeleteUserAttributes.
    update(idp, pool_id, "alice", name="")
    idp.admin_delete_user_attributes(UserPoolId=pool_id, Username="alice", UserAttributeNames=["custom:team"])
    assert set(attributes_of(idp, pool_id, "alice")) == {"sub", "email", "email_verified"}
    idp.admin_delete_user_attributes(UserPoolId=pool_id, Username="alice", UserAttributeNames=["email"])
    assert set(attributes_of(idp, pool_id, "alice")) == {"sub"}
    refused(cognito, lambda: idp.admin_get_user(UserPoolId=pool_id, Username="alice@example.org"),
            "UserNotFoundException")


def test_keep_the_verified_email_until_the_new_one_is_verified(cognito: Instance, idp):
    pool_id = new_pool(
        idp, AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]})
    create_user(idp, pool_id, "alice", email="old@example.com", email_verified="true")

    update(idp, pool_id, "alice", email="new@example.com")

    assert attributes_of(idp, pool_id, "alice")["email"] == "old@example.com"
    assert len(outbox(cognito, pool_id, "new@example.com")) == 1
    update(idp, pool_id, "alice", email_verified="true")
    attributes = attributes_of(idp, pool_id, "alice")
    assert attributes["email"] == "new@example.com" and attributes["email_verified"] == "true"


def test_attribute_errors(cognito: Instance, idp):
    pool_id = new_pool(
        idp, AliasAttributes=["email"], Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}])
    create_user(idp, pool_id, "alice", email="alice@example.com", email_verified="true", name="Alice")
    create_user(idp, pool_id, "bob", name="Bob")

    def upd(**attributes):
        return lambda: update(idp, pool_id, "bob", **attributes)

    refused(cognito, upd(sub="x"), "InvalidParameterException", "user.sub: Attribute cannot be updated.")
    refused(cognito, upd(**{"custom:nope": "x"}), "InvalidParameterException",
            "Invalid user attributes: custom:nope: Attribute does not exist in the schema.\n")
    refused(cognito, upd(email="not-an-email"), "InvalidParameterException", "Invalid email address format.")
    refused(cognito, upd(name=""), "InvalidParameterException",
            "Invalid user attributes: name: The attribute is required\n")
    refused(cognito, upd(email="alice@example.com", email_verified="true"), "AliasExistsException",
            "An account with the given email already exists.")
    refused(cognito, lambda: idp.admin_delete_user_attributes(
        UserPoolId=pool_id, Username="bob", UserAttributeNames=["name"]),
        "InvalidParameterException", "Invalid user attributes: name: The attribute is required\n")
    refused(cognito, lambda: idp.admin_delete_user_attributes(
        UserPoolId=pool_id, Username="bob", UserAttributeNames=["sub"]),
        "InvalidParameterException", "user.sub: Attribute cannot be updated.")


# ---- AdminDisableUser / AdminEnableUser --------------------------------------------------------------

def test_disable_and_enable(idp):
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "alice")

    idp.admin_disable_user(UserPoolId=pool_id, Username="alice")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice")["Enabled"] is False
    idp.admin_disable_user(UserPoolId=pool_id, Username="alice")

    idp.admin_enable_user(UserPoolId=pool_id, Username="alice")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice")["Enabled"] is True


# ---- AdminSetUserPassword ----------------------------------------------------------------------------

def test_set_password_permanent_and_temporary(cognito: Instance, idp):
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "alice")

    idp.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=NEW_PASSWORD, Permanent=True)
    assert status_of(idp, pool_id, "alice") == "CONFIRMED"

    idp.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=NEW_PASSWORD, Permanent=False)
    assert status_of(idp, pool_id, "alice") == "FORCE_CHANGE_PASSWORD"

    refused(cognito, lambda: idp.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password="alllowercase1!", Permanent=True),
        "InvalidPasswordException", "Password does not conform to policy: Password must have uppercase characters")
    refused(cognito, lambda: idp.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password="Sh0rt!", Permanent=True),
        "InvalidPasswordException", "Password does not conform to policy: Password not long enough")
    assert status_of(idp, pool_id, "alice") == "FORCE_CHANGE_PASSWORD"


# ---- AdminResetUserPassword --------------------------------------------------------------------------

def test_reset_password(cognito: Instance, idp):
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "alice", email="alice@example.com", email_verified="true")
    create_user(idp, pool_id, "bob", email="bob@example.com")

    # A user who never chose a password has none to reset.
    refused(cognito, lambda: idp.admin_reset_user_password(UserPoolId=pool_id, Username="alice"),
            "NotAuthorizedException", "User password cannot be reset in the current state.")

    idp.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=NEW_PASSWORD, Permanent=True)
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="alice")

    assert status_of(idp, pool_id, "alice") == "RESET_REQUIRED"
    [message] = outbox(cognito, pool_id, "alice@example.com")
    assert message["Kind"] == "ForgotPassword" and message["DeliveryMedium"] == "EMAIL"
    assert len(message["Code"]) == 6 and message["Code"] in message["Body"]

    # Nothing verified to send a code to.
    idp.admin_set_user_password(UserPoolId=pool_id, Username="bob", Password=NEW_PASSWORD, Permanent=True)
    refused(cognito, lambda: idp.admin_reset_user_password(UserPoolId=pool_id, Username="bob"),
            "InvalidParameterException",
            "Cannot reset password for the user as there is no registered/verified email or phone_number")
    assert outbox(cognito, pool_id, "bob@example.com") == []


# ---- AdminConfirmSignUp ------------------------------------------------------------------------------

def test_confirm_sign_up(cognito: Instance, idp):
    pool_id = new_pool(idp)
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"]["ClientId"]
    cognito.client(signed=False).sign_up(ClientId=client_id, Username="carol", Password=PASSWORD)
    assert status_of(idp, pool_id, "carol") == "UNCONFIRMED"

    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="carol")

    assert status_of(idp, pool_id, "carol") == "CONFIRMED"
    refused(cognito, lambda: idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="carol"),
            "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")


# ---- AdminDeleteUser ---------------------------------------------------------------------------------

def test_delete_user(cognito: Instance, idp):
    pool_id = new_pool(idp, AliasAttributes=["email"])
    first = create_user(idp, pool_id, "alice", email="alice@example.com", email_verified="true")

    idp.admin_delete_user(UserPoolId=pool_id, Username="alice@example.com")

    for name in ("alice", "alice@example.com"):
        refused(cognito, lambda: idp.admin_get_user(UserPoolId=pool_id, Username=name),
                "UserNotFoundException", "User does not exist.")
    refused(cognito, lambda: idp.admin_delete_user(UserPoolId=pool_id, Username="alice"),
            "UserNotFoundException", "User does not exist.")
    assert not list((cognito.data_dir / "pools" / pool_id / "aliases").glob("*.json"))

    # The name and the email are free again, for a user with a new sub.
    second = create_user(idp, pool_id, "alice", email="alice@example.com", email_verified="true")
    assert second["Attributes"] != first["Attributes"]
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice@example.com")["Username"] == "alice"


# ---- errors every operation shares -------------------------------------------------------------------

CALLS = {
    "admin_get_user": {},
    "admin_delete_user": {},
    "admin_set_user_password": {"Password": NEW_PASSWORD, "Permanent": True},
    "admin_confirm_sign_up": {},
    "admin_disable_user": {},
    "admin_enable_user": {},
    "admin_update_user_attributes": {"UserAttributes": [{"Name": "name", "Value": "X"}]},
    "admin_delete_user_attributes": {"UserAttributeNames": ["name"]},
    "admin_reset_user_password": {},
}


@pytest.mark.parametrize("method", sorted(CALLS))
def test_unknown_user_and_pool(cognito: Instance, idp, method):
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "alice")
    call = getattr(idp, method)
    extra = CALLS[method]
    refused(cognito, lambda: call(UserPoolId=pool_id, Username="nobody", **extra),
            "UserNotFoundException", "User does not exist.")
    refused(cognito, lambda: call(UserPoolId="us-east-1_nothere00", Username="alice", **extra),
            "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")


# ---- the seed's query form -----------------------------------------------------------------------------

def test_query_form(cognito: Instance, idp):
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "alice", email="alice@example.com")

    resp = cognito.query_call("AdminGetUser", {"UserPoolId": pool_id, "Username": "alice"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.json()["Username"] == "alice" and resp.json()["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    resp = cognito.query_call("AdminUpdateUserAttributes", {
        "UserPoolId": pool_id, "Username": "alice",
        "UserAttributes.member.1.Name": "name", "UserAttributes.member.1.Value": "Alice"})
    assert resp.status_code == 200 and resp.json() == {}, resp.text
    resp = cognito.query_call("AdminUpdateUserAttributes", {
        "UserPoolId": pool_id, "Username": "alice",
        "UserAttributes": json.dumps([{"Name": "email_verified", "Value": "true"}])})
    assert resp.status_code == 200, resp.text
    attributes = attributes_of(idp, pool_id, "alice")
    assert attributes["name"] == "Alice" and attributes["email_verified"] == "true"

    resp = cognito.query_call("AdminDisableUser", {"UserPoolId": pool_id, "Username": "alice"})
    assert resp.status_code == 200
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice")["Enabled"] is False

    before = store_snapshot(cognito.data_dir)
    for operation, params, code in [
        ("AdminGetUser", {"UserPoolId": pool_id, "Username": "nobody"}, "UserNotFoundException"),
        ("AdminDeleteUser", {"UserPoolId": "us-east-1_nothere00", "Username": "alice"}, "ResourceNotFoundException"),
        ("AdminUpdateUserAttributes", {"UserPoolId": pool_id, "Username": "alice",
                                       "UserAttributes": json.dumps([{"Name": "sub", "Value": "x"}])},
         "InvalidParameterException"),
        ("AdminSetUserPassword", {"UserPoolId": pool_id, "Username": "alice", "Password": "weakpassword"},
         "InvalidPasswordException"),
    ]:
        resp = cognito.query_call(operation, params)
        assert resp.status_code == 400, resp.text
        assert resp.json()["__type"] == code, resp.text
        assert resp.headers["x-amzn-ErrorType"].startswith(code)
    resp = cognito.query_call("AdminGetUser", {"UserPoolId": pool_id, "Username": "alice"}, sign=False)
    assert resp.status_code in (400, 403) and resp.json()["__type"] == "MissingAuthenticationTokenException"
    assert store_snapshot(cognito.data_dir) == before
