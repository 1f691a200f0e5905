"""What a signed-in user does with their own access token, through nginx and real workers with boto3: DeleteUser,
UpdateUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute and DeleteUserAttributes (all public:
the access token is the credential, nothing is SigV4-signed). Tokens come from AdminInitiateAuth, codes from the
outbox. The seed's query form of DeleteUser and UpdateUserAttributes is in test_seed_operations.py."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from conftest import Instance
from test_forgot_password import PASSWORD, Setup, error_of, make_setup
from test_pools import store_snapshot
from test_signup import outbox

pytestmark = pytest.mark.needs_ops(
    "AdminInitiateAuth", "InitiateAuth", "DeleteUser", "UpdateUserAttributes", "GetUserAttributeVerificationCode",
    "VerifyUserAttribute", "DeleteUserAttributes")

UNAUTHORIZED_ATTRIBUTE = ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
INVALID_TOKEN = ("NotAuthorizedException", "Invalid Access Token")
USER_GONE = ("NotAuthorizedException", "User does not exist.")
# Flows a client needs for these tests: the admin password sign-in (IAM) and refreshing.
FLOWS = ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


# ---- helpers ---------------------------------------------------------------------------------------

@dataclass
class SignedIn:
    """test_forgot_password's Setup (a pool, a client, a CONFIRMED user with a verified email and PASSWORD) and the
    tokens of one sign-in."""
    setup: Setup
    client_id: str
    tokens: dict

    @property
    def access(self) -> str:
        return self.tokens["AccessToken"]

    @property
    def pool_id(self) -> str:
        return self.setup.pool_id


def sign_in(idp, s: Setup, client_id: str | None = None) -> dict:
    """AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) with PASSWORD: the AuthenticationResult."""
    return idp.admin_initiate_auth(
        UserPoolId=s.pool_id, ClientId=client_id or s.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": s.username, "PASSWORD": PASSWORD, **(
            {"SECRET_HASH": s.hash()["SecretHash"]} if s.client_secret else {})})["AuthenticationResult"]


def signed_in(cognito: Instance, idp, *, client: dict | None = None, **setup_args) -> SignedIn:
    """A fresh user signed in, through the setup's own client or, with `client`, through a new client made with those
    settings (the admin password flow and refreshing are added)."""
    s = make_setup(cognito, idp, **setup_args)
    client_id = s.client_id
    if client is not None:
        client_id = idp.create_user_pool_client(
            UserPoolId=s.pool_id, ClientName="extra", ExplicitAuthFlows=FLOWS, **client)["UserPoolClient"]["ClientId"]
    return SignedIn(s, client_id, sign_in(idp, s, client_id))


def attributes(idp, u: SignedIn) -> dict[str, str]:
    user = idp.admin_get_user(UserPoolId=u.pool_id, Username=u.setup.username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def refused(public, cognito: Instance, call: str, expected: tuple[str, str | None], **params) -> None:
    """`call` on the unsigned client fails with `expected` (code, message or None) and writes nothing."""
    before = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        getattr(public, call)(**params)
    code, message = error_of(e)
    assert code == expected[0], (call, code, message)
    if expected[1] is not None:
        assert message == expected[1], (call, message)
    assert store_snapshot(cognito.data_dir) == before, f"{call} refused but changed the store"


@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


@pytest.fixture
def public(cognito: Instance):
    """These operations are public: an unsigned client, as an app in a browser would be."""
    return cognito.client(signed=False)


# ---- DeleteUser ---------------------------------------------------------------------------------------

def test_delete_user_then_every_token_is_refused(cognito: Instance, idp, public):
    u = signed_in(cognito, idp)
    other = sign_in(idp, u.setup)  # a second session of the same user
    path = u.setup.user_path()

    response = public.delete_user(AccessToken=u.access)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}
    assert not path.exists()
    with pytest.raises(ClientError) as e:
        idp.admin_get_user(UserPoolId=u.pool_id, Username=u.setup.username)
    assert error_of(e)[0] == "UserNotFoundException"

    for tokens in (u.tokens, other):
        # The access token: its user is gone.
        refused(public, cognito, "delete_user", USER_GONE, AccessToken=tokens["AccessToken"])
        refused(public, cognito, "update_user_attributes", USER_GONE, AccessToken=tokens["AccessToken"],
                UserAttributes=[{"Name": "name", "Value": "x"}])
        # The ID token was never an access token.
        refused(public, cognito, "delete_user", INVALID_TOKEN, AccessToken=tokens["IdToken"])
        # The refresh token went with the user's record.
        refused(public, cognito, "initiate_auth", ("NotAuthorizedException", "Invalid Refresh Token"),
                ClientId=u.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})


def test_delete_user_frees_the_name_and_the_email(cognito: Instance, idp, public):
    u = signed_in(cognito, idp, pool_extra={"AliasAttributes": ["email"]})
    s = u.setup
    old_sub = attributes(idp, u)["sub"]
    aliases = cognito.data_dir / "pools" / s.pool_id / "aliases"
    assert any(p.name.startswith("email") for p in aliases.iterdir())

    public.delete_user(AccessToken=u.access)
    assert not any(aliases.iterdir()), "alias entries outlived the user"

    # The same username and email sign up again: a new user, a new sub, and the email is its alias once verified.
    public.sign_up(ClientId=s.client_id, Username=s.username, Password=PASSWORD,
                   UserAttributes=[{"Name": "email", "Value": s.email}])
    idp.admin_confirm_sign_up(UserPoolId=s.pool_id, Username=s.username)
    idp.admin_update_user_attributes(UserPoolId=s.pool_id, Username=s.username,
                                     UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    again = attributes(idp, u)
    assert again["sub"] != old_sub and again["email"] == s.email
    assert idp.admin_get_user(UserPoolId=s.pool_id, Username=s.email)["Username"] == s.username
    # The old tokens name the old sub: still refused, though the name lives again.
    refused(public, cognito, "delete_user", USER_GONE, AccessToken=u.access)
    new = sign_in(idp, s)
    public.delete_user(AccessToken=new["AccessToken"])


# ---- UpdateUserAttributes ------------------------------------------------------------------------------

def test_update_user_attributes_sends_a_code_and_verify_user_attribute_takes_it(cognito: Instance, idp, public):
    u = signed_in(cognito, idp, pool_extra={"AutoVerifiedAttributes": ["email"]})
    new_email = "new-" + secrets.token_hex(3) + "@example.org"
    out = public.update_user_attributes(AccessToken=u.access, ClientMetadata={"from": "e2e"}, UserAttributes=[
        {"Name": "email", "Value": new_email}, {"Name": "name", "Value": "Alice B"}])
    assert out["CodeDeliveryDetailsList"] == [
        {"Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}]
    now = attributes(idp, u)
    assert now["email"] == new_email and now["email_verified"] == "false" and now["name"] == "Alice B"
    [message] = outbox(cognito, u.pool_id, new_email)
    assert message["Kind"] == "UpdateUserAttribute"

    wrong = "000000" if message["Code"] != "000000" else "111111"
    with pytest.raises(ClientError) as e:
        public.verify_user_attribute(AccessToken=u.access, AttributeName="email", Code=wrong)
    assert error_of(e) == ("CodeMismatchException", "Invalid verification code provided, please try again.")
    public.verify_user_attribute(AccessToken=u.access, AttributeName="email", Code=message["Code"])
    assert attributes(idp, u)["email_verified"] == "true"
    # Used up.
    refused(public, cognito, "verify_user_attribute",
            ("ExpiredCodeException", "Invalid code provided, please request a code again."),
            AccessToken=u.access, AttributeName="email", Code=message["Code"])


def test_update_user_attributes_keeps_the_verified_email_until_the_new_one_is(cognito: Instance, idp, public):
    u = signed_in(cognito, idp, pool_extra={
        "AutoVerifiedAttributes": ["email"],
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}})
    new_email = "pending-" + secrets.token_hex(3) + "@example.org"
    public.update_user_attributes(AccessToken=u.access, UserAttributes=[{"Name": "email", "Value": new_email}])
    assert attributes(idp, u)["email"] == u.setup.email
    code = outbox(cognito, u.pool_id, new_email)[-1]["Code"]
    public.verify_user_attribute(AccessToken=u.access, AttributeName="email", Code=code)
    now = attributes(idp, u)
    assert now["email"] == new_email and now["email_verified"] == "true"


def test_update_user_attributes_refusals(cognito: Instance, idp, public):
    u = signed_in(cognito, idp, client={"WriteAttributes": ["name", "email", "preferred_username"]},
                  pool_extra={"AliasAttributes": ["email", "preferred_username"],
                              "Schema": [{"Name": "badge", "AttributeDataType": "String", "Mutable": False}]})
    idp.admin_create_user(UserPoolId=u.pool_id, Username="other-" + secrets.token_hex(3), MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "preferred_username", "Value": "taken-name"}])
    cases = [
        ([{"Name": "sub", "Value": "x"}], ("InvalidParameterException", "user.sub: Attribute cannot be updated.")),
        ([{"Name": "custom:badge", "Value": "x"}],
         ("InvalidParameterException", "user.custom:badge: Attribute cannot be updated.")),
        ([{"Name": "custom:nope", "Value": "x"}],
         ("InvalidParameterException", "Invalid user attributes: custom:nope: Attribute does not exist in the schema.\n")),
        ([{"Name": "nickname", "Value": "x"}], UNAUTHORIZED_ATTRIBUTE),
        ([{"Name": "email_verified", "Value": "true"}], UNAUTHORIZED_ATTRIBUTE),
        ([{"Name": "preferred_username", "Value": "Taken-Name"}],
         ("AliasExistsException", "An account with the given preferred_username already exists.")),
    ]
    for attrs, expected in cases:
        refused(public, cognito, "update_user_attributes", expected, AccessToken=u.access, UserAttributes=attrs)
    refused(public, cognito, "update_user_attributes", INVALID_TOKEN, AccessToken=u.tokens["IdToken"],
            UserAttributes=[{"Name": "name", "Value": "x"}])


# ---- GetUserAttributeVerificationCode / VerifyUserAttribute --------------------------------------------

def test_get_a_code_and_verify_the_phone_number(cognito: Instance, idp, public):
    u = signed_in(cognito, idp)
    idp.admin_update_user_attributes(UserPoolId=u.pool_id, Username=u.setup.username,
                                     UserAttributes=[{"Name": "phone_number", "Value": "+15555550123"}])
    out = public.get_user_attribute_verification_code(AccessToken=u.access, AttributeName="phone_number")
    assert out["CodeDeliveryDetails"] == {
        "Destination": "+*******0123", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    message = outbox(cognito, u.pool_id, "+15555550123")[-1]
    assert message["Kind"] == "VerifyUserAttribute"
    record = u.setup.record()
    pending = record["Codes"]["Attribute:phone_number"]
    assert pending["ExpiresAt"] - pending["IssuedAt"] == 86_400
    assert message["Code"] not in json.dumps(record)

    public.verify_user_attribute(AccessToken=u.access, AttributeName="phone_number", Code=message["Code"])
    assert attributes(idp, u)["phone_number_verified"] == "true"


def test_verification_refusals(cognito: Instance, idp, public):
    u = signed_in(cognito, idp)
    invalid_name = ("InvalidParameterException", "Invalid attribute name. Only phone_number and email can be verified.")
    refused(public, cognito, "get_user_attribute_verification_code", invalid_name, AccessToken=u.access,
            AttributeName="name")
    refused(public, cognito, "get_user_attribute_verification_code",
            ("InvalidParameterException", "User does not have a valid registered phone number"),
            AccessToken=u.access, AttributeName="phone_number")
    refused(public, cognito, "verify_user_attribute", invalid_name, AccessToken=u.access, AttributeName="name",
            Code="123456")
    refused(public, cognito, "verify_user_attribute",
            ("ExpiredCodeException", "Invalid code provided, please request a code again."),
            AccessToken=u.access, AttributeName="email", Code="123456")
    refused(public, cognito, "get_user_attribute_verification_code", INVALID_TOKEN, AccessToken=u.tokens["IdToken"],
            AttributeName="email")

    # Five wrong codes, then even the right one is refused.
    public.get_user_attribute_verification_code(AccessToken=u.access, AttributeName="email")
    code = outbox(cognito, u.pool_id, u.setup.email)[-1]["Code"]
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 6):
        with pytest.raises(ClientError) as e:
            public.verify_user_attribute(AccessToken=u.access, AttributeName="email", Code=wrong)
        assert error_of(e)[0] == "CodeMismatchException"
        assert u.setup.record()["Codes"]["Attribute:email"]["Attempts"] == attempt
    refused(public, cognito, "verify_user_attribute",
            ("LimitExceededException", "Attempt limit exceeded, please try after some time."),
            AccessToken=u.access, AttributeName="email", Code=code)


# ---- DeleteUserAttributes ---------------------------------------------------------------------------

def test_delete_user_attributes(cognito: Instance, idp, public):
    u = signed_in(cognito, idp, client={"WriteAttributes": ["name", "locale", "email"]},
                  pool_extra={"Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True,
                                          "Mutable": True}]})
    idp.admin_update_user_attributes(UserPoolId=u.pool_id, Username=u.setup.username, UserAttributes=[
        {"Name": "name", "Value": "Alice"}, {"Name": "locale", "Value": "en"}, {"Name": "nickname", "Value": "al"}])
    out = public.delete_user_attributes(AccessToken=u.access, UserAttributeNames=["name", "locale"])
    assert {k: v for k, v in out.items() if k != "ResponseMetadata"} == {}
    now = attributes(idp, u)
    assert "name" not in now and "locale" not in now and now["nickname"] == "al"

    refused(public, cognito, "delete_user_attributes", UNAUTHORIZED_ATTRIBUTE, AccessToken=u.access,
            UserAttributeNames=["nickname"])
    refused(public, cognito, "delete_user_attributes",
            ("InvalidParameterException", "Invalid user attributes: email: The attribute is required\n"),
            AccessToken=u.access, UserAttributeNames=["email"])
    refused(public, cognito, "delete_user_attributes",
            ("InvalidParameterException", "user.sub: Attribute cannot be updated."),
            AccessToken=u.access, UserAttributeNames=["sub"])
    refused(public, cognito, "delete_user_attributes", INVALID_TOKEN, AccessToken=u.tokens["IdToken"],
            UserAttributeNames=["name"])
