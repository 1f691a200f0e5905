"""Issue 4's user-creation paths through nginx and real workers: SignUp, ConfirmSignUp, ResendConfirmationCode
(public: ClientId + SecretHash, no SigV4) and AdminCreateUser (IAM), with codes read from the outbox."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Instance

PASSWORD = "Passw0rd!"


# ---- helpers ---------------------------------------------------------------------------------------

def error_of(excinfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    mac = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def outbox(cognito: Instance, pool_id: str, destination: str | None = None) -> list[dict]:
    """The pool's delivered messages (to `destination`, when given), oldest first: file names sort by time."""
    folder = cognito.data_dir / "outbox"
    messages = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        message = json.loads(path.read_text())
        if message["UserPoolId"] == pool_id and (destination is None or message["Destination"] == destination):
            messages.append(message)
    return messages


def latest_code(cognito: Instance, pool_id: str, destination: str) -> str:
    messages = outbox(cognito, pool_id, destination)
    assert messages, f"no message to {destination} in the outbox"
    code = messages[-1]["Code"]
    assert len(code) == 6 and code.isdigit()
    return code


def expire_stored_code(pool_dir: Path, user_path: Path, purpose: str) -> None:
    """Moves a pending code's issue and expiry times into the past by two lifetimes, the way the store writes:
    under the pool's exclusive flock, a temp file in the same folder, fsync, rename. The service takes time only
    from its clock, so this is how an e2e test sees a code expire without waiting for it."""
    with open(pool_dir / "lock", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            record = json.loads(user_path.read_text())
            code = record["Codes"][purpose]
            lifetime = code["ExpiresAt"] - code["IssuedAt"]
            code["IssuedAt"] -= 2 * lifetime
            code["ExpiresAt"] = code["IssuedAt"] + lifetime
            temp = user_path.with_name(f".tmp.e2e.{secrets.token_hex(4)}")
            with open(temp, "w") as f:
                json.dump(record, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, user_path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def expire_sign_up_code(cognito: Instance, pool_id: str, email: str) -> None:
    """The pending sign-up code (24 h) of the user signed up with `email`, expired."""
    pool_dir = cognito.data_dir / "pools" / pool_id
    expire_stored_code(pool_dir, user_file(pool_dir, email), "SignUp")


def user_file(pool_dir: Path, email: str) -> Path:
    for path in (pool_dir / "users").glob("*.json"):
        if json.loads(path.read_text())["Attributes"].get("email", "").lower() == email.lower():
            return path
    raise AssertionError(f"no user with email {email}")


@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


@pytest.fixture
def public(cognito: Instance):
    """A client that signs nothing: the public operations need no AWS credentials."""
    return cognito.client(signed=False)


@pytest.fixture
def email_pool(idp) -> str:
    pool = idp.create_user_pool(
        PoolName="signup-" + secrets.token_hex(4), UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]
    return pool["Id"]


def new_client(idp, pool_id: str, secret: bool = False) -> dict:
    return idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", GenerateSecret=secret)["UserPoolClient"]


def new_email() -> str:
    return f"user-{secrets.token_hex(4)}@example.com"


# ---- sign-up and confirmation ------------------------------------------------------------------------

def test_sign_up_with_email_and_confirm_with_the_code_from_the_outbox(cognito: Instance, idp, public, email_pool):
    client_id = new_client(idp, email_pool)["ClientId"]
    email = new_email()

    out = public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD,
                         UserAttributes=[{"Name": "name", "Value": "Ann"}])

    assert out["UserConfirmed"] is False
    assert len(out["UserSub"]) == 36
    assert out["CodeDeliveryDetails"] == {"Destination": "u***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    [message] = outbox(cognito, email_pool, email)
    assert message["Kind"] == "SignUp" and message["DeliveryMedium"] == "EMAIL"
    code = message["Code"]
    assert code in message["Body"]

    # A wrong code is refused and counted; the right one confirms.
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as e:
        public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=wrong)
    assert error_of(e) == ("CodeMismatchException", "Invalid verification code provided, please try again.")

    assert public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)["ResponseMetadata"][
        "HTTPStatusCode"] == 200

    # The code is used up, and the user is confirmed: both later calls say so.
    with pytest.raises(ClientError) as e:
        public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    assert error_of(e) == ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    with pytest.raises(ClientError) as e:
        public.resend_confirmation_code(ClientId=client_id, Username=email)
    assert error_of(e) == ("InvalidParameterException", "User is already confirmed.")

    record = json.loads(user_file(cognito.data_dir / "pools" / email_pool, email).read_text())
    assert record["Status"] == "CONFIRMED"
    assert record["Attributes"]["email_verified"] == "true"
    assert record["Sub"] == out["UserSub"] == record["Username"]
    assert "Codes" not in record
    assert PASSWORD not in json.dumps(record)


def test_client_with_secret_needs_the_secret_hash(cognito: Instance, idp, public, email_pool):
    client = new_client(idp, email_pool, secret=True)
    client_id, client_secret = client["ClientId"], client["ClientSecret"]
    email = new_email()

    with pytest.raises(ClientError) as e:
        public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    assert error_of(e) == (
        "NotAuthorizedException", f"Client {client_id} is configured with secret but SECRET_HASH was not received")
    with pytest.raises(ClientError) as e:
        public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD,
                       SecretHash=secret_hash("someone-else", client_id, client_secret))
    assert error_of(e) == ("NotAuthorizedException", f"Unable to verify secret hash for client {client_id}")
    assert outbox(cognito, email_pool, email) == []

    digest = secret_hash(email, client_id, client_secret)
    public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD, SecretHash=digest)
    code = latest_code(cognito, email_pool, email)
    with pytest.raises(ClientError) as e:
        public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    assert error_of(e)[0] == "NotAuthorizedException"
    public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code, SecretHash=digest)


def test_a_resent_code_supersedes_the_first(cognito: Instance, idp, public, email_pool):
    client_id = new_client(idp, email_pool)["ClientId"]
    email = new_email()
    public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    first = latest_code(cognito, email_pool, email)

    out = public.resend_confirmation_code(ClientId=client_id, Username=email)
    assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    messages = outbox(cognito, email_pool, email)
    assert [m["Kind"] for m in messages] == ["SignUp", "ResendCode"]
    second = messages[-1]["Code"]

    if first != second:
        with pytest.raises(ClientError) as e:
            public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=first)
        assert error_of(e) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=second)


def test_an_expired_code_is_refused(cognito: Instance, idp, public, email_pool):
    client_id = new_client(idp, email_pool)["ClientId"]
    email = new_email()
    public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    code = latest_code(cognito, email_pool, email)

    expire_sign_up_code(cognito, email_pool, email)

    with pytest.raises(ClientError) as e:
        public.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    assert error_of(e) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    # A new code works.
    public.resend_confirmation_code(ClientId=client_id, Username=email)
    public.confirm_sign_up(ClientId=client_id, Username=email,
                           ConfirmationCode=latest_code(cognito, email_pool, email))


def test_sign_up_refusals(cognito: Instance, idp, public, email_pool):
    client_id = new_client(idp, email_pool)["ClientId"]
    email = new_email()
    public.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)

    cases = [
        (dict(Username=email.upper(), Password=PASSWORD),
         ("UsernameExistsException", "An account with the given email already exists.")),
        (dict(Username=new_email(), Password="weak"),
         ("InvalidPasswordException", "Password did not conform with policy: Password not long enough")),
        # AWS's own pattern (not botocore's `[\S]+`) refuses one character and outer spaces before the policy.
        (dict(Username=new_email(), Password="x"),
         ("InvalidParameterException", "1 validation error detected: Value at 'password' failed to satisfy "
          "constraint: Member must satisfy regular expression pattern: ^[\\S]+.*[\\S]+$")),
        (dict(Username="not-an-email", Password=PASSWORD),
         ("InvalidParameterException", "Username should be an email.")),
    ]
    for args, expected in cases:
        with pytest.raises(ClientError) as e:
            public.sign_up(ClientId=client_id, **args)
        assert error_of(e) == expected

    with pytest.raises(ClientError) as e:
        public.sign_up(ClientId="nosuchclient", Username=email, Password=PASSWORD)
    assert error_of(e) == ("ResourceNotFoundException", "User pool client nosuchclient does not exist.")

    with pytest.raises(ClientError) as e:
        public.confirm_sign_up(ClientId=client_id, Username=new_email(), ConfirmationCode="123456")
    assert error_of(e) == ("UserNotFoundException", "Username/client id combination not found.")
    with pytest.raises(ClientError) as e:
        public.resend_confirmation_code(ClientId=client_id, Username=new_email())
    assert error_of(e) == ("UserNotFoundException", "Username/client id combination not found.")


def test_duplicate_usernames_in_a_plain_pool(idp, public):
    pool_id = idp.create_user_pool(PoolName="plain-" + secrets.token_hex(4))["UserPool"]["Id"]
    client_id = new_client(idp, pool_id)["ClientId"]
    out = public.sign_up(ClientId=client_id, Username="Zed", Password=PASSWORD)
    assert "CodeDeliveryDetails" not in out
    with pytest.raises(ClientError) as e:
        public.sign_up(ClientId=client_id, Username="zed", Password=PASSWORD)
    assert error_of(e) == ("UsernameExistsException", "User already exists")


def test_a_case_sensitive_pool_matches_email_addresses_exactly(idp, public):
    # AWS: only CaseSensitive=false "also enables both preferred_username and email alias to be case insensitive".
    pool_id = idp.create_user_pool(PoolName="cs-email-" + secrets.token_hex(4), UsernameAttributes=["email"],
                                   UsernameConfiguration={"CaseSensitive": True})["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app",
                                            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
                                            )["UserPoolClient"]["ClientId"]
    upper = public.sign_up(ClientId=client_id, Username="Ann@Example.com", Password=PASSWORD)["UserSub"]
    lower = public.sign_up(ClientId=client_id, Username="ann@example.com", Password=PASSWORD)["UserSub"]
    assert upper != lower
    for address, sub in [("Ann@Example.com", upper), ("ann@example.com", lower)]:
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=address)
        assert idp.admin_get_user(UserPoolId=pool_id, Username=address)["Username"] == sub
        tokens = public.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": address, "PASSWORD": PASSWORD})
        assert public.get_user(AccessToken=tokens["AuthenticationResult"]["AccessToken"])["Username"] == sub
    with pytest.raises(ClientError) as e:
        idp.admin_get_user(UserPoolId=pool_id, Username="ANN@example.com")
    assert error_of(e) == ("UserNotFoundException", "User does not exist.")


def test_admin_create_user_only_pools_refuse_sign_up(idp, public):
    pool_id = idp.create_user_pool(
        PoolName="admin-only-" + secrets.token_hex(4), AdminCreateUserConfig={"AllowAdminCreateUserOnly": True}
    )["UserPool"]["Id"]
    client_id = new_client(idp, pool_id)["ClientId"]
    with pytest.raises(ClientError) as e:
        public.sign_up(ClientId=client_id, Username="someone", Password=PASSWORD)
    assert error_of(e) == ("NotAuthorizedException", "SignUp is not permitted for this user pool")


def test_the_query_form_of_sign_up_and_confirm(cognito: Instance, idp, email_pool):
    client_id = new_client(idp, email_pool)["ClientId"]
    email = new_email()

    resp = cognito.query_call("SignUp", {
        "ClientId": client_id, "Username": email, "Password": PASSWORD,
        "UserAttributes.member.1.Name": "name", "UserAttributes.member.1.Value": "Q",
    }, sign=False)
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert body["UserConfirmed"] is False and body["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    code = latest_code(cognito, email_pool, email)
    resp = cognito.query_call("ConfirmSignUp", {"ClientId": client_id, "Username": email, "ConfirmationCode": "x" + code[1:]},
                              sign=False)
    assert resp.status_code == 400 and resp.json()["__type"] == "CodeMismatchException"
    resp = cognito.query_call("ConfirmSignUp", {"ClientId": client_id, "Username": email, "ConfirmationCode": code},
                              sign=False)
    assert resp.status_code == 200 and resp.json() == {}


# ---- AdminCreateUser -------------------------------------------------------------------------------

def test_admin_create_user_sends_a_generated_password(cognito: Instance, idp, email_pool):
    email = new_email()
    user = idp.admin_create_user(UserPoolId=email_pool, Username=email, DesiredDeliveryMediums=["EMAIL"])["User"]

    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"] is True
    attributes = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert attributes["email"] == email and attributes["sub"] == user["Username"]
    [invitation] = outbox(cognito, email_pool, email)
    assert invitation["Kind"] == "AdminCreateUser"
    password = invitation["TemporaryPassword"]
    assert len(password) >= 12 and password in invitation["Body"] and email in invitation["Body"]

    with pytest.raises(ClientError) as e:
        idp.admin_create_user(UserPoolId=email_pool, Username=email)
    assert error_of(e) == ("UsernameExistsException", "An account with the given email already exists.")

    # RESEND: a new temporary password in a new invitation.
    idp.admin_create_user(UserPoolId=email_pool, Username=email, MessageAction="RESEND",
                          DesiredDeliveryMediums=["EMAIL"])
    first, second = outbox(cognito, email_pool, email)
    assert second["TemporaryPassword"] != first["TemporaryPassword"]


def test_admin_create_user_with_suppress_sends_nothing(cognito: Instance, idp):
    pool_id = idp.create_user_pool(PoolName="admin-" + secrets.token_hex(4))["UserPool"]["Id"]
    user = idp.admin_create_user(
        UserPoolId=pool_id, Username="quiet", MessageAction="SUPPRESS", TemporaryPassword="Temp0rary!",
        UserAttributes=[{"Name": "email", "Value": "quiet@example.com"}],
    )["User"]
    assert user["Username"] == "quiet" and user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert outbox(cognito, pool_id) == []

    for args, expected in [
        (dict(Username="quiet"), ("UsernameExistsException", "User account already exists")),
        (dict(Username="weak", TemporaryPassword="password"),
         ("InvalidPasswordException", "Password did not conform with password policy: Password must have uppercase characters")),
        (dict(Username="nobody", MessageAction="RESEND"), ("UserNotFoundException", "User does not exist.")),
        (dict(Username="mailless", DesiredDeliveryMediums=["EMAIL"]),
         ("InvalidParameterException", "No email provided but desired delivery medium was Email")),
    ]:
        with pytest.raises(ClientError) as e:
            idp.admin_create_user(UserPoolId=pool_id, **args)
        assert error_of(e) == expected

    # AdminCreateUser is an IAM operation: unsigned, it is refused.
    resp = cognito.json_call("AdminCreateUser", {"UserPoolId": pool_id, "Username": "anon"}, sign=False)
    assert resp.status_code == 403 and resp.json()["__type"] == "MissingAuthenticationTokenException"
