"""ForgotPassword and ConfirmForgotPassword (a seed operation) through nginx and real workers: boto3 (public calls,
no SigV4 needed) and the seed's query form `GET /?Action=ConfirmForgotPassword&...`, with codes read from the
outbox. Every refusal is checked to leave the store as it was, except a wrong code, which counts one attempt."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import Instance
from test_pools import store_snapshot
from test_signup import expire_stored_code, outbox, secret_hash

PASSWORD = "Passw0rd!"
NEW_PASSWORD = "N3w-Secret!"
MISMATCH = ("CodeMismatchException", "Invalid verification code provided, please try again.")
EXPIRED = ("ExpiredCodeException", "Invalid code provided, please request a code again.")
LIMIT = ("LimitExceededException", "Attempt limit exceeded, please try after some time.")
# A pool that remembers the last 2 passwords (the current one included), and its refusal of one of them.
HISTORY_POLICY = {"MinimumLength": 8, "PasswordHistorySize": 2}
HISTORY_VIOLATION = ("The password you entered was used recently. Choose a password you have not used in your last 2 "
                     "passwords.")

pytestmark = pytest.mark.needs_ops(
    "ForgotPassword", "ConfirmForgotPassword", "AdminCreateUser", "AdminSetUserPassword", "AdminUpdateUserAttributes",
    "AdminGetUser")


# ---- helpers ---------------------------------------------------------------------------------------

def error_of(excinfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


@pytest.fixture
def public(cognito: Instance):
    """A client that signs nothing: both operations are public (ClientId + SecretHash)."""
    return cognito.client(signed=False)


@dataclass
class Setup:
    cognito: Instance
    pool_id: str
    client_id: str
    client_secret: str | None
    username: str
    email: str

    def hash(self, username: str | None = None) -> dict:
        """SecretHash as a keyword argument, when the client has a secret."""
        if self.client_secret is None:
            return {}
        return {"SecretHash": secret_hash(username or self.username, self.client_id, self.client_secret)}

    def user_path(self) -> Path:
        for path in (self.cognito.data_dir / "pools" / self.pool_id / "users").glob("*.json"):
            if json.loads(path.read_text())["Username"] == self.username:
                return path
        raise AssertionError(f"no stored user {self.username}")

    def record(self) -> dict:
        return json.loads(self.user_path().read_text())

    def latest_code(self) -> str:
        messages = outbox(self.cognito, self.pool_id, self.email)
        assert messages, f"no message to {self.email} in the outbox"
        assert messages[-1]["Kind"] == "ForgotPassword"
        code = messages[-1]["Code"]
        assert len(code) == 6 and code.isdigit()
        return code

    def request_code(self, public) -> str:
        public.forgot_password(ClientId=self.client_id, Username=self.username, **self.hash())
        return self.latest_code()

    def confirm(self, public, code: str, password: str = NEW_PASSWORD, username: str | None = None, **extra):
        return public.confirm_forgot_password(
            ClientId=self.client_id, Username=username or self.username, ConfirmationCode=code, Password=password,
            **{**self.hash(username), **extra})

    def query(self, code: str, password: str = NEW_PASSWORD, **overrides):
        """The seed's GET form, unsigned (the operation is public)."""
        params = {"ClientId": self.client_id, "Username": self.username, "ConfirmationCode": code,
                  "Password": password, **self.hash()}
        params.update(overrides)
        return self.cognito.query_call("ConfirmForgotPassword", {k: v for k, v in params.items() if v is not None},
                                       sign=False)

    def expire_code(self) -> None:
        """The pending reset code (1 h), expired (see `expire_stored_code`)."""
        expire_stored_code(self.cognito.data_dir / "pools" / self.pool_id, self.user_path(), "ForgotPassword")


def make_setup(cognito: Instance, idp, *, secret: bool = False, prevent_existence_errors: bool = False,
               pool_extra: dict | None = None) -> Setup:
    """A pool, a client and a CONFIRMED user with a verified email and password PASSWORD, made the way an
    administrator would: AdminCreateUser, AdminSetUserPassword (permanent), AdminUpdateUserAttributes."""
    pool_id = idp.create_user_pool(PoolName="forgot-" + secrets.token_hex(4), **(pool_extra or {}))["UserPool"]["Id"]
    # The admin password flow lets the tests check which password signs in.
    client_args = {"GenerateSecret": secret, "ExplicitAuthFlows": [
        "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}
    if prevent_existence_errors:
        client_args["PreventUserExistenceErrors"] = "ENABLED"
    client = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app", **client_args)["UserPoolClient"]
    username = "fp-" + secrets.token_hex(4)
    email = username + "@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=username, TemporaryPassword=PASSWORD,
                          MessageAction="SUPPRESS", UserAttributes=[{"Name": "email", "Value": email}])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True)
    idp.admin_update_user_attributes(UserPoolId=pool_id, Username=username,
                                     UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    return Setup(cognito, pool_id, client["ClientId"], client.get("ClientSecret"), username, email)


@pytest.fixture
def setup(cognito: Instance, idp) -> Setup:
    return make_setup(cognito, idp)


@pytest.fixture
def secret_setup(cognito: Instance, idp) -> Setup:
    return make_setup(cognito, idp, secret=True)


def argon2_verifies(phc: str, password: str) -> bool | None:
    """Checks a stored PHC string with Debian's libargon2 (the library the service links); None without it."""
    name = ctypes.util.find_library("argon2")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.argon2id_verify.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
    lib.argon2id_verify.restype = ctypes.c_int
    pwd = password.encode()
    return lib.argon2id_verify(phc.encode(), pwd, len(pwd)) == 0


def sign_in_error(idp, s: Setup, password: str) -> str | None:
    """AdminInitiateAuth with `password`: None on success, else the error code. Skips when sign-in is not built."""
    try:
        idp.admin_initiate_auth(UserPoolId=s.pool_id, ClientId=s.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": s.username, "PASSWORD": password, **(
                                    {"SECRET_HASH": s.hash()["SecretHash"]} if s.client_secret else {})})
        return None
    except ClientError as e:
        code = e.response["Error"]["Code"]
        if code == "UnknownOperationException":
            pytest.skip("AdminInitiateAuth is not registered yet: the sign-in half of this test cannot run")
        return code


# ---- success -------------------------------------------------------------------------------------------

def test_forgot_then_confirm_with_boto3(cognito: Instance, idp, public, setup: Setup):
    out = public.forgot_password(ClientId=setup.client_id, Username=setup.username)
    assert out["CodeDeliveryDetails"] == {"Destination": "f***@e***", "DeliveryMedium": "EMAIL",
                                          "AttributeName": "email"}
    [message] = outbox(cognito, setup.pool_id, setup.email)
    assert message["Kind"] == "ForgotPassword" and message["DeliveryMedium"] == "EMAIL"
    code = message["Code"]
    assert code in message["Body"]
    pending = setup.record()["Codes"]["ForgotPassword"]
    assert pending["ExpiresAt"] - pending["IssuedAt"] == 3600
    assert code not in json.dumps(setup.record())

    old_hash = setup.record()["PasswordHash"]
    response = setup.confirm(public, code)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in response.items() if k != "ResponseMetadata"} == {}

    record = setup.record()
    assert record["Status"] == "CONFIRMED"
    assert "Codes" not in record
    assert record["PasswordHash"] != old_hash
    assert NEW_PASSWORD not in json.dumps(record)
    verified = argon2_verifies(record["PasswordHash"], NEW_PASSWORD)
    if verified is not None:
        assert verified is True
        assert argon2_verifies(record["PasswordHash"], PASSWORD) is False
    assert idp.admin_get_user(UserPoolId=setup.pool_id, Username=setup.username)["UserStatus"] == "CONFIRMED"
    # Nothing else was sent.
    assert len(outbox(cognito, setup.pool_id)) == 1


def test_the_old_password_no_longer_signs_in(idp, public, setup: Setup):
    assert sign_in_error(idp, setup, PASSWORD) is None
    setup.confirm(public, setup.request_code(public))
    assert sign_in_error(idp, setup, PASSWORD) == "NotAuthorizedException"
    assert sign_in_error(idp, setup, NEW_PASSWORD) is None


def test_seed_query_form(cognito: Instance, idp, public, secret_setup: Setup):
    s = secret_setup
    code = s.request_code(public)
    response = s.query(code)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {}
    assert s.record()["Status"] == "CONFIRMED"
    verified = argon2_verifies(s.record()["PasswordHash"], NEW_PASSWORD)
    assert verified in (True, None)
    # The code is used up: the same request again is expired, in both forms.
    again = s.query(code, password="Th1rd-Secret!")
    assert again.status_code == 400
    assert (again.json()["__type"], again.json()["message"]) == EXPIRED


def test_reset_required_becomes_confirmed(idp, public, setup: Setup):
    idp.admin_reset_user_password(UserPoolId=setup.pool_id, Username=setup.username)
    assert idp.admin_get_user(UserPoolId=setup.pool_id, Username=setup.username)["UserStatus"] == "RESET_REQUIRED"
    setup.confirm(public, setup.latest_code())
    assert idp.admin_get_user(UserPoolId=setup.pool_id, Username=setup.username)["UserStatus"] == "CONFIRMED"


def test_an_email_alias_names_the_user(cognito: Instance, idp, public):
    s = make_setup(cognito, idp, pool_extra={"AliasAttributes": ["email"]})
    public.forgot_password(ClientId=s.client_id, Username=s.email.upper())
    code = s.latest_code()
    public.confirm_forgot_password(ClientId=s.client_id, Username=s.email, ConfirmationCode=code,
                                   Password=NEW_PASSWORD)
    assert s.record()["Status"] == "CONFIRMED"
    assert "Codes" not in s.record()


# ---- the code --------------------------------------------------------------------------------------

def test_a_wrong_code_counts_one_attempt_and_nothing_else(cognito: Instance, public, setup: Setup):
    code = setup.request_code(public)
    before = setup.record()
    snapshot = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        setup.confirm(public, wrong(code))
    assert error_of(e) == MISMATCH
    after = setup.record()
    assert after["Codes"]["ForgotPassword"]["Attempts"] == 1
    after["Codes"]["ForgotPassword"]["Attempts"] = 0
    # The hour's count: the request, then the wrong code.
    requested = before["Codes"]["ForgotPassword"]["Recent"]
    assert len(requested) == 1 and after["Codes"]["ForgotPassword"]["Recent"][:1] == requested
    assert len(after["Codes"]["ForgotPassword"]["Recent"]) == 2
    after["Codes"]["ForgotPassword"]["Recent"] = requested
    assert after == before
    changed = {k for k, v in store_snapshot(cognito.data_dir).items() if snapshot.get(k) != v}
    assert changed == {str(setup.user_path().relative_to(cognito.data_dir))}
    # The right code still works.
    setup.confirm(public, code)


def test_a_used_code_is_expired(cognito: Instance, public, setup: Setup):
    code = setup.request_code(public)
    setup.confirm(public, code)
    snapshot = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        setup.confirm(public, code, password="Th1rd-Secret!")
    assert error_of(e) == EXPIRED
    assert store_snapshot(cognito.data_dir) == snapshot


def test_an_expired_code(cognito: Instance, public, setup: Setup):
    code = setup.request_code(public)
    setup.expire_code()
    snapshot = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        setup.confirm(public, code)
    assert error_of(e) == EXPIRED
    response = setup.query(code)
    assert response.status_code == 400 and (response.json()["__type"], response.json()["message"]) == EXPIRED
    assert store_snapshot(cognito.data_dir) == snapshot


def test_never_requested(cognito: Instance, public, setup: Setup):
    snapshot = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        setup.confirm(public, "123456")
    assert error_of(e) == EXPIRED
    assert store_snapshot(cognito.data_dir) == snapshot


def test_a_new_request_supersedes_the_code(public, setup: Setup):
    first = setup.request_code(public)
    second = setup.request_code(public)
    if first != second:
        with pytest.raises(ClientError) as e:
            setup.confirm(public, first)
        assert error_of(e) == EXPIRED
    setup.confirm(public, second)


def test_attempt_limit(cognito: Instance, public, setup: Setup):
    code = setup.request_code(public)
    for attempt in range(1, 6):
        with pytest.raises(ClientError) as e:
            setup.confirm(public, wrong(code))
        assert error_of(e) == MISMATCH
        assert setup.record()["Codes"]["ForgotPassword"]["Attempts"] == attempt
    snapshot = store_snapshot(cognito.data_dir)
    # Now even the right code is refused, and nothing more is written.
    with pytest.raises(ClientError) as e:
        setup.confirm(public, code)
    assert error_of(e) == LIMIT
    response = setup.query(code)
    assert response.status_code == 400 and (response.json()["__type"], response.json()["message"]) == LIMIT
    assert store_snapshot(cognito.data_dir) == snapshot


def test_new_codes_do_not_reset_the_hours_limit(cognito: Instance, idp, public, setup: Setup):
    # Without a limit across codes, a new code after every five wrong ones would allow guessing without end. AWS: "In
    # a given hour, we allow between 5 and 20 attempts for a user to request or enter a password reset code".
    for _ in range(3):
        code = setup.request_code(public)
        for _ in range(5):
            with pytest.raises(ClientError) as e:
                setup.confirm(public, wrong(code))
            assert error_of(e) == MISMATCH
    code = setup.request_code(public)
    with pytest.raises(ClientError) as e:
        setup.confirm(public, wrong(code))
    assert error_of(e) == MISMATCH
    # 20 requests and wrong codes: the right code, a new code and the query form are all refused now.
    for attempt in (lambda: setup.confirm(public, code),
                    lambda: public.forgot_password(ClientId=setup.client_id, Username=setup.username)):
        with pytest.raises(ClientError) as e:
            attempt()
        assert error_of(e) == LIMIT
    response = setup.query(code)
    assert response.status_code == 400 and (response.json()["__type"], response.json()["message"]) == LIMIT
    assert sign_in_error(idp, setup, PASSWORD) is None  # the password is unchanged
    assert len(outbox(cognito, setup.pool_id, setup.email)) == 4


def test_a_recent_password_is_refused_and_the_code_stays_usable(cognito: Instance, idp, public, setup: Setup):
    """PasswordHistorySize 2: the current password and the one before it cannot be chosen. The refusal (HTTP 400, in
    both wire forms) comes after the code was found right, writes nothing and leaves the code usable."""
    idp.update_user_pool(UserPoolId=setup.pool_id, Policies={"PasswordPolicy": HISTORY_POLICY})
    setup.confirm(public, setup.request_code(public))  # PASSWORD, then NEW_PASSWORD
    code = setup.request_code(public)
    snapshot = store_snapshot(cognito.data_dir)
    for password in (NEW_PASSWORD, PASSWORD):
        with pytest.raises(ClientError) as e:
            setup.confirm(public, code, password)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error_of(e) == ("PasswordHistoryPolicyViolationException", HISTORY_VIOLATION)
        response = setup.query(code, password)
        assert response.status_code == 400
        assert (response.json()["__type"], response.json()["message"]) == error_of(e)
    assert store_snapshot(cognito.data_dir) == snapshot
    # A third password, with the same code; from then on PASSWORD is older than the history and may come back.
    setup.confirm(public, code, "Th1rd-Secret!")
    assert sign_in_error(idp, setup, "Th1rd-Secret!") is None
    setup.confirm(public, setup.request_code(public), PASSWORD)
    assert sign_in_error(idp, setup, PASSWORD) is None
    # Only Argon2id hashes are kept: the current one and the one before it.
    record = setup.record()
    assert [h.split("$")[1] for h in [record["PasswordHash"], *record["PreviousPasswordHashes"]]] == ["argon2id"] * 2
    for password in (PASSWORD, NEW_PASSWORD, "Th1rd-Secret!"):
        assert password not in json.dumps(record)


# ---- every other refusal, in both wire forms, changes nothing ------------------------------------------

def refusal_cases(s: Setup, code: str) -> list[tuple[str, dict, str, str | None]]:
    """(name, ConfirmForgotPassword parameters, error code, message or None)."""
    nobody = "nobody-" + secrets.token_hex(3)
    base = {"ClientId": s.client_id, "Username": s.username, "ConfirmationCode": code, "Password": NEW_PASSWORD,
            **s.hash()}
    return [
        ("missing SecretHash", {**base, "SecretHash": None}, "NotAuthorizedException",
         f"Client {s.client_id} is configured with secret but SECRET_HASH was not received"),
        ("wrong SecretHash", {**base, "SecretHash": secret_hash("someone-else", s.client_id, s.client_secret or "")},
         "NotAuthorizedException", f"Unable to verify secret hash for client {s.client_id}"),
        ("weak password", {**base, "Password": "weakpassword"}, "InvalidPasswordException",
         "Password does not conform to policy: Password must have uppercase characters"),
        ("short password", {**base, "Password": "Sh0rt!"}, "InvalidPasswordException",
         "Password does not conform to policy: Password not long enough"),
        ("unknown client", {**base, "ClientId": "nosuchclient0000000000000"}, "ResourceNotFoundException",
         "User pool client nosuchclient0000000000000 does not exist."),
        ("unknown user", {**base, "Username": nobody, **s.hash(nobody)}, "UserNotFoundException",
         "Username/client id combination not found."),
        ("missing code", {**base, "ConfirmationCode": None}, "InvalidParameterException", None),
        ("password with a leading space", {**base, "Password": " " + NEW_PASSWORD}, "InvalidParameterException",
         None),
    ]


def test_refusals_leave_the_store_unchanged_in_both_forms(cognito: Instance, public, secret_setup: Setup):
    s = secret_setup
    code = s.request_code(public)
    for name, params, error, message in refusal_cases(s, code):
        params = {k: v for k, v in params.items() if v is not None}
        snapshot = store_snapshot(cognito.data_dir)
        # The JSON protocol, raw (boto3 refuses a missing ConfirmationCode itself, before sending anything).
        raw = cognito.json_call("ConfirmForgotPassword", params, sign=False)
        assert raw.status_code == 400, name
        got = (raw.json()["__type"], raw.json()["message"])
        assert got[0] == error, (name, got)
        if message is not None:
            assert got[1] == message, name
        assert raw.headers["x-amzn-ErrorType"].startswith(error), name
        if "ConfirmationCode" in params:
            with pytest.raises(ClientError) as e:
                public.confirm_forgot_password(**params)
            assert error_of(e) == got, name
        # The seed's query form answers exactly the same.
        response = cognito.query_call("ConfirmForgotPassword", params, sign=False)
        assert response.status_code == 400, name
        assert (response.json()["__type"], response.json()["message"]) == got, name
        assert response.headers["x-amzn-ErrorType"].startswith(error), name
        assert store_snapshot(cognito.data_dir) == snapshot, name
    # None of them used the code up or counted an attempt.
    assert s.record()["Codes"]["ForgotPassword"]["Attempts"] == 0
    s.confirm(public, code)


def test_unknown_user_with_existence_errors_prevented(cognito: Instance, idp, public):
    s = make_setup(cognito, idp, prevent_existence_errors=True, pool_extra={"AutoVerifiedAttributes": ["email"]})
    snapshot = store_snapshot(cognito.data_dir)
    with pytest.raises(ClientError) as e:
        s.confirm(public, "123456", username="nobody-" + secrets.token_hex(3))
    assert error_of(e) == MISMATCH
    response = s.query("123456", Username="nobody")
    assert (response.json()["__type"], response.json()["message"]) == MISMATCH
    # A user who exists but has no code pending answers the same ("expired" would tell who exists).
    with pytest.raises(ClientError) as e:
        s.confirm(public, "123456")
    assert error_of(e) == MISMATCH
    # ForgotPassword answers as if it sent a code, the same way twice, and sends nothing.
    first = public.forgot_password(ClientId=s.client_id, Username="nobody")["CodeDeliveryDetails"]
    assert public.forgot_password(ClientId=s.client_id, Username="nobody")["CodeDeliveryDetails"] == first
    assert first["DeliveryMedium"] == "EMAIL" and first["AttributeName"] == "email"
    assert store_snapshot(cognito.data_dir) == snapshot


def test_limits_answer_unknown_names_as_they_answer_users(cognito: Instance, idp, public):
    # Under ENABLED the hourly limit and the five wrong codes must not tell who exists: an unknown name is answered
    # from a simulated code, the same way step by step.
    s = make_setup(cognito, idp, prevent_existence_errors=True, pool_extra={"AutoVerifiedAttributes": ["email"]})

    def answers(username: str, wrong_code) -> list[str]:
        out = []

        def call(f) -> None:
            try:
                f()
                out.append("ok")
            except ClientError as e:
                out.append(e.response["Error"]["Code"])

        def request() -> None:
            call(lambda: public.forgot_password(ClientId=s.client_id, Username=username))

        def confirm() -> None:
            call(lambda: public.confirm_forgot_password(ClientId=s.client_id, Username=username,
                                                        ConfirmationCode=wrong_code(), Password=NEW_PASSWORD))
        for _ in range(3):
            request()
            for _ in range(6):
                confirm()
        request()
        confirm()
        confirm()
        request()
        return out

    user = answers(s.username, lambda: wrong(s.latest_code()))
    nobody = answers("nobody-" + secrets.token_hex(3), lambda: "000000")
    round_ = ["ok"] + ["CodeMismatchException"] * 5 + ["LimitExceededException"]
    assert user == round_ * 3 + ["ok", "CodeMismatchException", "LimitExceededException", "LimitExceededException"]
    assert nobody == user


# ---- ForgotPassword's own refusals ---------------------------------------------------------------------

def test_forgot_password_refusals(cognito: Instance, idp, public, secret_setup: Setup):
    s = secret_setup
    unverified = "fp-unverified-" + secrets.token_hex(3)
    idp.admin_create_user(UserPoolId=s.pool_id, Username=unverified, TemporaryPassword=PASSWORD,
                          MessageAction="SUPPRESS", UserAttributes=[{"Name": "email", "Value": unverified + "@x.org"}])
    idp.admin_set_user_password(UserPoolId=s.pool_id, Username=unverified, Password=PASSWORD, Permanent=True)
    new_user = "fp-new-" + secrets.token_hex(3)
    idp.admin_create_user(UserPoolId=s.pool_id, Username=new_user, TemporaryPassword=PASSWORD,
                          MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": new_user + "@x.org"},
                                          {"Name": "email_verified", "Value": "true"}])
    cases = [
        ({"ClientId": "nosuchclient0000000000000", "Username": s.username}, "ResourceNotFoundException",
         "User pool client nosuchclient0000000000000 does not exist."),
        ({"ClientId": s.client_id, "Username": s.username}, "NotAuthorizedException",
         f"Client {s.client_id} is configured with secret but SECRET_HASH was not received"),
        ({"ClientId": s.client_id, "Username": "nobody", **s.hash("nobody")}, "UserNotFoundException",
         "Username/client id combination not found."),
        ({"ClientId": s.client_id, "Username": unverified, **s.hash(unverified)}, "InvalidParameterException",
         "Cannot reset password for the user as there is no registered/verified email or phone_number"),
        ({"ClientId": s.client_id, "Username": new_user, **s.hash(new_user)}, "NotAuthorizedException",
         "User password cannot be reset in the current state."),
    ]
    for params, error, message in cases:
        snapshot = store_snapshot(cognito.data_dir)
        with pytest.raises(ClientError) as e:
            public.forgot_password(**params)
        assert error_of(e) == (error, message)
        response = cognito.query_call("ForgotPassword", params, sign=False)
        assert response.status_code == 400
        assert (response.json()["__type"], response.json()["message"]) == (error, message)
        assert store_snapshot(cognito.data_dir) == snapshot
