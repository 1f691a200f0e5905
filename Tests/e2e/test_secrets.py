"""Secrets stay secret (issue 7, item 3): a whole account's life at `--log-level trace`, then no password, code,
token, session, client secret, secret hash or SigV4 secret in the worker log, in nginx's logs, or in any error
message a caller got; and the store's files are private (folders 0700, files 0600, outbox messages too).

The flow: SignUp with a password (client with a secret, so SecretHash), a wrong then the right ConfirmSignUp
code from the outbox, a wrong then the right sign-in (tokens), GetUser, ForgotPassword and a wrong code, a weak
and then a good ConfirmForgotPassword (JSON, form-encoded POST and the seed's GET form), AdminCreateUser with a
TemporaryPassword, its NEW_PASSWORD_REQUIRED challenge, AdminSetUserPassword, and requests signed with a wrong
secret. Message delivery (the outbox) is where codes and temporary passwords are meant to go: it is not scanned,
only its permissions are checked.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import re
import secrets
import stat
from pathlib import Path

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from conftest import REGION, SERVICE, TARGET_PREFIX, AccessKey, Instance
from test_signup import latest_code, secret_hash

TRACE_ARGS = ("--log-level", "trace",
              # Weak hashing only to keep the flow quick (test setups only).
              "--allow-weak-password-hashing", "--argon2-memory", "1024", "--argon2-iterations", "1")


@pytest.fixture(scope="module")
def traced(start_instance) -> Instance:
    return start_instance(*TRACE_ARGS)


def strong(prefix: str) -> str:
    """A password no policy refuses: upper and lower case, digits, symbols, long enough, and random."""
    return prefix + secrets.token_urlsafe(12) + "-9aZ"


class Recorder:
    """Collects every secret the flow handles and every error a caller got back."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.errors: list[str] = []

    def secret(self, label: str, value: str) -> str:
        assert value, label
        self.secrets[label] = value
        return value

    def expect_error(self, code: str, call) -> dict:
        with pytest.raises(ClientError) as e:
            call()
        error = e.value.response["Error"]
        assert error["Code"] == code, error
        self.errors.append(json.dumps(e.value.response.get("Error")) + json.dumps(
            e.value.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})))
        return error

    def expect_error_response(self, response: requests.Response, code: str) -> None:
        assert response.status_code >= 400 and response.json()["__type"] == code, response.text
        self.errors.append(response.text + json.dumps(dict(response.headers)))


# Numbers the log carries that may by chance contain six digits (durations, pids, request ids, timestamps):
# removed before looking for six-digit codes, which would otherwise match them now and then.
NOISE = re.compile(r"\b(?:us|pid|status|threads|count)=\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                   r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}|\d{4}/\d\d/\d\d \d\d:\d\d:\d\d"
                   r"|\[\d\d/\w{3}/\d{4}:[\d:]+ [+-]\d{4}\]"
                   r"|#\d+|\*\d+|127\.0\.0\.1:\d+|\b\d+ \d+\.\d+")


def leaks(text: str, found_in: str, recorded: dict[str, str]) -> list[str]:
    quiet = NOISE.sub(" ", text)
    out = []
    for label, value in recorded.items():
        haystack = quiet if re.fullmatch(r"\d{6}", value) else text
        if re.search(r"(?<![0-9A-Za-z])" + re.escape(value) + r"(?![0-9A-Za-z])", haystack) or (
                len(value) >= 12 and value in text):
            out.append(f"{label} ({value[:6]}...) in {found_in}")
    return out


def test_no_secret_in_logs_or_error_messages(traced: Instance):
    idp = traced.client()
    public = traced.client(signed=False)
    rec = Recorder()
    rec.secret("SigV4 secret access key", traced.credentials.secret_access_key)

    pool_id = idp.create_user_pool(
        PoolName="secrets-" + secrets.token_hex(4), AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 10}},
    )["UserPool"]["Id"]
    app = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    client_id = app["ClientId"]
    client_secret = rec.secret("client secret", app["ClientSecret"])

    def hashed(username: str) -> str:
        return rec.secret(f"secret hash of {username}", secret_hash(username, client_id, client_secret))

    # ---- sign-up and confirmation
    email = f"alice-{secrets.token_hex(4)}@example.com"
    password = rec.secret("sign-up password", strong("Sign-up-"))
    rec.expect_error("InvalidPasswordException", lambda: public.sign_up(
        ClientId=client_id, SecretHash=hashed("alice"), Username="alice",
        Password=rec.secret("weak password", "wE1!" + secrets.token_hex(2)),
        UserAttributes=[{"Name": "email", "Value": email}]))
    rec.expect_error("InvalidParameterException", lambda: public.sign_up(
        ClientId=client_id, SecretHash=hashed("alice"), Username="alice",
        Password=rec.secret("password with a leading space", " Lead1!" + secrets.token_hex(6)),
        UserAttributes=[{"Name": "email", "Value": email}]))
    rec.expect_error("NotAuthorizedException", lambda: public.sign_up(
        ClientId=client_id, Username="alice",
        SecretHash=rec.secret("forged secret hash", base64.b64encode(secrets.token_bytes(32)).decode()),
        Password=password, UserAttributes=[{"Name": "email", "Value": email}]))
    public.sign_up(ClientId=client_id, SecretHash=hashed("alice"), Username="alice", Password=password,
                   UserAttributes=[{"Name": "email", "Value": email}])
    code = rec.secret("sign-up code", latest_code(traced, pool_id, email))
    wrong_code = rec.secret("wrong sign-up code", f"{(int(code) + 1) % 1_000_000:06d}")
    rec.expect_error("CodeMismatchException", lambda: public.confirm_sign_up(
        ClientId=client_id, SecretHash=hashed("alice"), Username="alice", ConfirmationCode=wrong_code))
    public.confirm_sign_up(ClientId=client_id, SecretHash=hashed("alice"), Username="alice", ConfirmationCode=code)

    # ---- sign-in, tokens
    rec.expect_error("NotAuthorizedException", lambda: public.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": rec.secret("wrong password", "Wrong-" + secrets.token_hex(8)),
                        "SECRET_HASH": hashed("alice")}))
    tokens = public.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": password, "SECRET_HASH": hashed("alice")},
    )["AuthenticationResult"]
    for kind in ("AccessToken", "IdToken", "RefreshToken"):
        rec.secret(kind, tokens[kind])
        # A JWT's signature part on its own, too (a log that cut a token at a dot would still leak it).
        if tokens[kind].count(".") == 2:
            rec.secret(kind + " signature", tokens[kind].rsplit(".", 1)[1])
    assert public.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    rec.expect_error("NotAuthorizedException", lambda: public.get_user(
        AccessToken=rec.secret("forged access token", tokens["AccessToken"][:-8] + "AAAAAAAA")))

    # ---- forgotten password, in every wire form
    public.forgot_password(ClientId=client_id, SecretHash=hashed("alice"), Username="alice")
    reset_code = rec.secret("reset code", latest_code(traced, pool_id, email))
    rec.expect_error("CodeMismatchException", lambda: public.confirm_forgot_password(
        ClientId=client_id, SecretHash=hashed("alice"), Username="alice",
        ConfirmationCode=rec.secret("wrong reset code", f"{(int(reset_code) + 7) % 1_000_000:06d}"),
        Password=rec.secret("new password (wrong code)", "Never-used-" + secrets.token_hex(6))))
    rec.expect_error("InvalidPasswordException", lambda: public.confirm_forgot_password(
        ClientId=client_id, SecretHash=hashed("alice"), Username="alice", ConfirmationCode=reset_code,
        Password=rec.secret("weak new password", "wk" + secrets.token_hex(3))))
    form = {"Action": "ConfirmForgotPassword", "ClientId": client_id, "SecretHash": hashed("alice"),
            "Username": "alice", "ConfirmationCode": f"{(int(reset_code) + 3) % 1_000_000:06d}",
            "Password": rec.secret("form-posted password", "Form-post-" + secrets.token_hex(6))}
    rec.secret("form-posted wrong code", form["ConfirmationCode"])
    rec.expect_error_response(traced.request(
        "POST", "/", headers={"Content-Type": "application/x-www-form-urlencoded"}, data=form),
        "CodeMismatchException")
    query = dict(form, ConfirmationCode=f"{(int(reset_code) + 5) % 1_000_000:06d}",
                 Password=rec.secret("query-string password", "Query-get-" + secrets.token_hex(6)))
    rec.secret("query-string wrong code", query["ConfirmationCode"])
    rec.expect_error_response(traced.request("GET", "/", params=query), "CodeMismatchException")
    new_password = rec.secret("reset password", strong("Reset-"))
    public.confirm_forgot_password(ClientId=client_id, SecretHash=hashed("alice"), Username="alice",
                                   ConfirmationCode=reset_code, Password=new_password)

    # ---- an administrator's user with a temporary password
    bob_email = f"bob-{secrets.token_hex(4)}@example.com"
    temporary = rec.secret("temporary password", strong("Temp-"))
    idp.admin_create_user(UserPoolId=pool_id, Username="bob", TemporaryPassword=temporary,
                          UserAttributes=[{"Name": "email", "Value": bob_email},
                                          {"Name": "email_verified", "Value": "true"}])
    challenge = idp.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bob", "PASSWORD": temporary, "SECRET_HASH": hashed("bob")})
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    session = rec.secret("challenge session", challenge["Session"])
    bob_password = rec.secret("bob's new password", strong("Bob-"))
    answered = public.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=session,
        ChallengeResponses={"USERNAME": "bob", "NEW_PASSWORD": bob_password, "SECRET_HASH": hashed("bob")})
    rec.secret("bob's access token", answered["AuthenticationResult"]["AccessToken"])
    rec.expect_error("InvalidPasswordException", lambda: idp.admin_set_user_password(
        UserPoolId=pool_id, Username="bob", Password=rec.secret("weak admin password", "x" + secrets.token_hex(2)),
        Permanent=True))
    idp.admin_set_user_password(UserPoolId=pool_id, Username="bob", Permanent=True,
                                Password=rec.secret("admin-set password", strong("Admin-set-")))

    # ---- SigV4: a request signed with the wrong secret must not be told the signature the right one makes
    when = datetime.datetime.now(datetime.timezone.utc)
    body = b'{"MaxResults": 5}'
    headers = {"X-Amz-Target": TARGET_PREFIX + "ListUserPools", "Content-Type": "application/x-amz-json-1.1"}

    def sign(key: AccessKey) -> AWSRequest:
        req = AWSRequest(method="POST", url=traced.endpoint + "/", headers=dict(headers), data=body)
        signer = SigV4Auth(key.botocore(), SERVICE, REGION)
        signer._timestamp = lambda: when.strftime("%Y%m%dT%H%M%SZ")  # both signatures at the same instant
        signer.add_auth(req)
        return req

    right = sign(traced.credentials).headers["Authorization"].rsplit("Signature=", 1)[1]
    rec.secret("the right signature", right)
    forged = sign(AccessKey(traced.credentials.access_key_id, secrets.token_urlsafe(30))).prepare()
    rec.expect_error_response(traced.http.post(forged.url, headers=dict(forged.headers.items()), data=body, timeout=30),
                              "InvalidSignatureException")

    # ---- where nothing may show up
    logs = {
        "worker log": traced.worker_log.read_text(errors="replace"),
        "nginx access log": traced.access_log.read_text(errors="replace"),
        "nginx error log": traced.nginx_log.read_text(errors="replace"),
    }
    assert logs["worker log"].count(" request") >= 20  # one access line per request (and anything trace adds)
    found: list[str] = []
    for where, text in logs.items():
        found += leaks(text, where, rec.secrets)
    for n, error in enumerate(rec.errors):
        found += leaks(error, f"error answer #{n + 1}", rec.secrets)
    assert not found, "\n".join(found)
    assert len(rec.errors) >= 12


def test_store_files_are_private(traced: Instance):
    # The flow above has written every kind of file (records, keys, outbox, credentials) by now in this
    # instance; make sure of the outbox's and the keys' existence whatever ran before.
    idp = traced.client()
    pool_id = idp.create_user_pool(PoolName="perm-" + secrets.token_hex(4),
                                   AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="p")["UserPoolClient"]["ClientId"]
    traced.client(signed=False).sign_up(ClientId=client_id, Username="perm", Password="Passw0rd!",
                                        UserAttributes=[{"Name": "email", "Value": "perm@example.com"}])
    data = traced.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    wrong: list[str] = []
    kinds: set[str] = set()
    for folder, dirs, files in os.walk(data):
        for name in dirs:
            mode = stat.S_IMODE((Path(folder) / name).stat().st_mode)
            if mode != 0o700:
                wrong.append(f"{Path(folder) / name}: folder {mode:o}")
        for name in files:
            path = Path(folder) / name
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode != 0o600:
                wrong.append(f"{path}: {mode:o}")
            relative = path.relative_to(data).parts
            kinds.add(relative[0] if relative[0] != "pools" or len(relative) < 3 else "pools/" + relative[2])
    assert not wrong, "\n".join(wrong)
    # Every kind of secret file was among those checked.
    assert {"credentials.json", "secret.key", "outbox", "clients", "pools/users", "pools/pool.json"} <= kinds, kinds
    assert any(k.startswith("pools/keys") for k in kinds), kinds
