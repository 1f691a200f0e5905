"""Issue 6's acceptance table: the seed's five operations (ConfirmForgotPassword, DeleteUser, DeleteUserPoolClient,
UpdateUserAttributes, UpdateUserPoolClient), each in both wire forms, through nginx and real workers.

For every operation: the success path, and every error in botocore's error list for it that this service can raise,
each sent
  - over the AWS JSON 1.1 protocol (boto3; raw JSON where boto3 refuses to send the request, e.g. a missing member),
  - and in the seed's query form, `GET /?Action=<Op>&...` (SigV4-presigned for the two IAM operations, plain for the
    three public ones; UpdateUserAttributes' `UserAttributes` both as `.member.N.Name/Value` and as a JSON string),
asserting the error code (`Error.Code` / `__type`), its message where AWS's wording is known, and that the store is
unchanged afterwards; the two errors that legitimately write assert exactly what they wrote (a wrong code counts one
attempt; a failed delivery comes after the change it reports, which is durable first).

`EXCLUDED` lists, per operation, the botocore errors this service never raises, with the reason, and
`test_every_botocore_error_is_tested_or_excluded` fails when botocore lists an error that is neither tested here nor
excluded (a newer botocore, or a row removed). Helpers come from the files that test these operations in depth
(test_clients.py, test_forgot_password.py, test_user_self_service.py).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from conftest import Instance
from test_clients import UNKNOWN_CLIENT, new_client
from test_forgot_password import (EXPIRED, HISTORY_POLICY, HISTORY_VIOLATION, LIMIT, MISMATCH, NEW_PASSWORD, PASSWORD,
                                  Setup, make_setup, wrong)
from test_https import HttpsInstance, assert_throttled, burst, https, tls  # noqa: F401 (fixtures)
from test_pools import store_snapshot
from test_signup import secret_hash
from test_user_self_service import SignedIn, signed_in

pytestmark = pytest.mark.needs_ops(
    "ConfirmForgotPassword", "DeleteUser", "DeleteUserPoolClient", "UpdateUserAttributes", "UpdateUserPoolClient",
    "ForgotPassword", "AdminInitiateAuth")

SEED_OPERATIONS = ["ConfirmForgotPassword", "DeleteUser", "DeleteUserPoolClient", "UpdateUserAttributes",
                   "UpdateUserPoolClient"]
IAM = {"DeleteUserPoolClient", "UpdateUserPoolClient"}
INTERNAL = ("InternalErrorException", "Internal server error.")

# ---- the botocore errors this service never raises, and why ---------------------------------------------------

LAMBDA = "raised when a Lambda trigger fails or answers badly; this service runs no Lambda triggers"
SMS_ROLE = "about the IAM role AWS uses to send SMS through SNS; this service has no such role (SMS goes to the outbox)"
EMAIL_ROLE = ("about the SES email identity AWS sends from; this service delivers through the outbox or a sendmail "
              "command (their failures are CodeDeliveryFailureException, tested)")
FORBIDDEN = "raised by an AWS WAF web ACL associated with the pool; this service has none"
NOT_ENABLED = "raised when an AWS account- or tier-level feature is off; this service has no feature switches or tiers"
TIER = "about AWS's feature plans (Lite/Essentials/Plus); this service has no tiers"
NOT_THROTTLED = ("only nginx throttles, and only the public sign-in operations (deploy/nginx.conf's limit_req); this "
                 "operation is never throttled")
TOKEN_USER_STATE = ("the access-token check (Tokens/TokenCheck.swift) answers a deleted user with NotAuthorizedException "
                    "'User does not exist.', as AWS does; a signed-in user's tokens stay valid whatever their status "
                    "(an UNCONFIRMED user cannot sign in at all; RESET_REQUIRED refuses new sign-ins only)")
TOKEN_POOL = ("a token of a deleted pool is refused by the token check as NotAuthorizedException 'Invalid Access Token' "
              "(tested): the pool is only ever named by the token")
IAM_AUTH = ("IAM operations are refused by SigV4 with the errors every AWS service uses (MissingAuthenticationToken, "
            "InvalidSignature, UnrecognizedClient; tested in test_clients.py); keys have no per-operation permissions")
SERIALIZED = ("every change of an app client holds the pool's exclusive flock (Store/Store.swift), so concurrent "
              "changes wait for each other instead of failing")

EXCLUDED: dict[str, dict[str, str]] = {
    "ConfirmForgotPassword": {
        "UnexpectedLambdaException": LAMBDA,
        "UserLambdaValidationException": LAMBDA,
        "InvalidLambdaResponseException": LAMBDA,
        "TooManyFailedAttemptsException": ("too many wrong codes are LimitExceededException, as AWS answers them "
                                           "(AWS-NOTES; tested); TooManyFailedAttempts belongs to sign-in OTP challenges"),
        "UserNotConfirmedException": ("a code that reached a verified destination confirms an UNCONFIRMED user, as "
                                      "confirming a sign-up would (Operations/ConfirmForgotPassword.swift)"),
        "OperationNotEnabledException": NOT_ENABLED,
        "ForbiddenException": FORBIDDEN,
    },
    "DeleteUser": {
        "ResourceNotFoundException": TOKEN_POOL,
        "TooManyRequestsException": NOT_THROTTLED,
        "PasswordResetRequiredException": TOKEN_USER_STATE,
        "UserNotFoundException": TOKEN_USER_STATE,
        "UserNotConfirmedException": TOKEN_USER_STATE,
        "OperationNotEnabledException": NOT_ENABLED,
        "ForbiddenException": FORBIDDEN,
    },
    "DeleteUserPoolClient": {
        "TooManyRequestsException": NOT_THROTTLED,
        "NotAuthorizedException": IAM_AUTH,
        "ConcurrentModificationException": SERIALIZED,
        "OperationNotEnabledException": NOT_ENABLED,
    },
    "UpdateUserAttributes": {
        "ResourceNotFoundException": TOKEN_POOL,
        "CodeMismatchException": "the request carries no code: nothing to mismatch (VerifyUserAttribute checks codes)",
        "ExpiredCodeException": "the request carries no code: nothing to expire (VerifyUserAttribute checks codes)",
        "UnexpectedLambdaException": LAMBDA,
        "UserLambdaValidationException": LAMBDA,
        "InvalidLambdaResponseException": LAMBDA,
        "TooManyRequestsException": NOT_THROTTLED,
        "InvalidSmsRoleAccessPolicyException": SMS_ROLE,
        "InvalidSmsRoleTrustRelationshipException": SMS_ROLE,
        "InvalidEmailRoleAccessPolicyException": EMAIL_ROLE,
        "PasswordResetRequiredException": TOKEN_USER_STATE,
        "UserNotFoundException": TOKEN_USER_STATE,
        "UserNotConfirmedException": TOKEN_USER_STATE,
        "OperationNotEnabledException": NOT_ENABLED,
        "ForbiddenException": FORBIDDEN,
    },
    "UpdateUserPoolClient": {
        "ConcurrentModificationException": SERIALIZED,
        "TooManyRequestsException": NOT_THROTTLED,
        "NotAuthorizedException": IAM_AUTH,
        "OperationNotEnabledException": NOT_ENABLED,
        "FeatureUnavailableInTierException": TIER,
    },
}


# ---- one row of the table ----------------------------------------------------------------------------------

@dataclass
class Call:
    """What a row sends, and what it expects besides the error code."""
    instance: Instance
    params: dict[str, Any]
    # False where boto3 refuses to send the request (a missing required member): then raw JSON 1.1.
    boto3: bool = True
    # The exact message, where AWS's wording is known.
    message: str | None = None
    # Success rows: checks the output (JSON body, without ResponseMetadata) and the store.
    check: Callable[[dict], None] | None = None
    # Error rows that legitimately write: checks the changed files ({relative path}) instead of "nothing changed".
    writes: Callable[[set[str]], None] | None = None


@dataclass(frozen=True)
class Row:
    operation: str
    error: str | None  # None: the success path
    name: str
    arrange: Callable[["World"], Call]
    # Serve arguments of the instance the row needs (an instance per distinct list); () is the main one.
    serve_args: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.operation}-{self.error or 'success'}-{self.name}"


@dataclass
class World:
    """An instance and its clients; arrange functions build what a row needs in it, fresh each time."""
    cognito: Instance
    idp: Any = field(init=False)
    public: Any = field(init=False)

    def __post_init__(self):
        self.idp = self.cognito.client()
        self.public = self.cognito.client(signed=False)

    def user(self, **setup_args) -> Setup:
        return make_setup(self.cognito, self.idp, **setup_args)

    def signed_in(self, **kwargs) -> SignedIn:
        return signed_in(self.cognito, self.idp, **kwargs)

    def pool_and_client(self, **settings) -> tuple[str, dict]:
        pool_id = self.idp.create_user_pool(PoolName="seed-" + secrets.token_hex(4))["UserPool"]["Id"]
        return pool_id, new_client(self.idp, pool_id, **settings)

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.cognito.data_dir))


def damage(cognito: Instance, pool_id: str, path: Path) -> None:
    """Replaces a record with bytes no parser accepts, the way the store writes (under the pool's exclusive flock, a
    temp file beside it, fsync, rename): a damaged store, which the workers answer with InternalErrorException."""
    with open(cognito.data_dir / "pools" / pool_id / "lock", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            temp = path.with_name(f".tmp.e2e.{secrets.token_hex(4)}")
            with open(temp, "w") as f:
                f.write("{damaged")
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def client_record(cognito: Instance, pool_id: str, client_id: str) -> Path:
    return cognito.data_dir / "pools" / pool_id / "clients" / f"{client_id}.json"


# ---- ConfirmForgotPassword ---------------------------------------------------------------------------------

def cfp_params(s: Setup, code: str, **overrides) -> dict:
    params = {"ClientId": s.client_id, "Username": s.username, "ConfirmationCode": code, "Password": NEW_PASSWORD,
              **s.hash()}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def cfp_success(w: World) -> Call:
    s = w.user(secret=True)
    code = s.request_code(w.public)

    def check(out: dict) -> None:
        assert out == {}
        record = s.record()
        assert record["Status"] == "CONFIRMED" and "Codes" not in record

    return Call(w.cognito, cfp_params(s, code), check=check)


def cfp_unknown_client(w: World) -> Call:
    s = w.user()
    return Call(w.cognito, cfp_params(s, s.request_code(w.public), ClientId=UNKNOWN_CLIENT),
                message=f"User pool client {UNKNOWN_CLIENT} does not exist.")


def cfp_missing_code(w: World) -> Call:
    s = w.user()
    s.request_code(w.public)
    return Call(w.cognito, cfp_params(s, "", ConfirmationCode=None), boto3=False, message=(
        "1 validation error detected: Value null at 'confirmationCode' failed to satisfy constraint: "
        "Member must not be null"))


def cfp_weak_password(w: World) -> Call:
    s = w.user()
    return Call(w.cognito, cfp_params(s, s.request_code(w.public), Password="weakpassword"),
                message="Password does not conform to policy: Password must have uppercase characters")


def cfp_recent_password(w: World) -> Call:
    # The pool remembers 2 passwords from now on: the current one may not come back. Refused as a weak password is,
    # after the code was found right: nothing is written, the code stays usable.
    s = w.user()
    w.idp.update_user_pool(UserPoolId=s.pool_id, Policies={"PasswordPolicy": HISTORY_POLICY})
    return Call(w.cognito, cfp_params(s, s.request_code(w.public), Password=PASSWORD), message=HISTORY_VIOLATION)


def cfp_missing_secret_hash(w: World) -> Call:
    s = w.user(secret=True)
    return Call(w.cognito, cfp_params(s, s.request_code(w.public), SecretHash=None),
                message=f"Client {s.client_id} is configured with secret but SECRET_HASH was not received")


def cfp_wrong_code(w: World) -> Call:
    s = w.user()
    code = s.request_code(w.public)
    before = s.record()

    def writes(changed: set[str]) -> None:
        assert changed == {w.relative(s.user_path())}
        after = s.record()
        assert after["Codes"]["ForgotPassword"]["Attempts"] == before["Codes"]["ForgotPassword"]["Attempts"] + 1
        after["Codes"]["ForgotPassword"]["Attempts"] = before["Codes"]["ForgotPassword"]["Attempts"]
        # The hour's count of requests and wrong codes gains the wrong one.
        recent = after["Codes"]["ForgotPassword"].pop("Recent")
        assert recent[:-1] == before["Codes"]["ForgotPassword"].pop("Recent") and len(recent) == 2
        assert after == before

    return Call(w.cognito, cfp_params(s, wrong(code)), message=MISMATCH[1], writes=writes)


def cfp_expired_code(w: World) -> Call:
    s = w.user()
    code = s.request_code(w.public)
    s.expire_code()
    return Call(w.cognito, cfp_params(s, code), message=EXPIRED[1])


def cfp_attempt_limit(w: World) -> Call:
    s = w.user()
    code = s.request_code(w.public)
    for _ in range(5):
        with pytest.raises(ClientError):
            s.confirm(w.public, wrong(code))
    return Call(w.cognito, cfp_params(s, code), message=LIMIT[1])


def cfp_unknown_user(w: World) -> Call:
    s = w.user()
    s.request_code(w.public)
    return Call(w.cognito, cfp_params(s, "123456", Username="nobody-" + secrets.token_hex(3)),
                message="Username/client id combination not found.")


def cfp_damaged_user(w: World) -> Call:
    s = w.user()
    code = s.request_code(w.public)
    damage(w.cognito, s.pool_id, s.user_path())
    return Call(w.cognito, cfp_params(s, code), message=INTERNAL[1])


# ---- DeleteUser ----------------------------------------------------------------------------------------------

def du_success(w: World) -> Call:
    u = w.signed_in()
    path = u.setup.user_path()

    def check(out: dict) -> None:
        assert out == {}
        assert not path.exists()

    return Call(w.cognito, {"AccessToken": u.access}, check=check)


def du_missing_token(w: World) -> Call:
    w.signed_in()
    return Call(w.cognito, {}, boto3=False, message=(
        "1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null"))


def du_id_token(w: World) -> Call:
    u = w.signed_in()
    return Call(w.cognito, {"AccessToken": u.tokens["IdToken"]}, message="Invalid Access Token")


def du_deleted_user(w: World) -> Call:
    u = w.signed_in()
    w.public.delete_user(AccessToken=u.access)
    return Call(w.cognito, {"AccessToken": u.access}, message="User does not exist.")


def du_deleted_pool(w: World) -> Call:
    u = w.signed_in()
    w.idp.delete_user_pool(UserPoolId=u.pool_id)
    return Call(w.cognito, {"AccessToken": u.access}, message="Invalid Access Token")


def du_damaged_user(w: World) -> Call:
    u = w.signed_in()
    damage(w.cognito, u.pool_id, u.setup.user_path())
    return Call(w.cognito, {"AccessToken": u.access}, message=INTERNAL[1])


# ---- DeleteUserPoolClient ------------------------------------------------------------------------------------

def dupc_success(w: World) -> Call:
    pool_id, client = w.pool_and_client(GenerateSecret=True)
    client_id = client["ClientId"]

    def check(out: dict) -> None:
        assert out == {}
        assert not client_record(w.cognito, pool_id, client_id).exists()
        assert not (w.cognito.data_dir / "clients" / client_id).exists()

    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": client_id}, check=check)


def dupc_unknown_client(w: World) -> Call:
    pool_id, _ = w.pool_and_client()
    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": UNKNOWN_CLIENT},
                message=f"User pool client {UNKNOWN_CLIENT} does not exist.")


def dupc_unknown_pool(w: World) -> Call:
    _, client = w.pool_and_client()
    return Call(w.cognito, {"UserPoolId": "us-east-1_nothere00", "ClientId": client["ClientId"]},
                message="User pool us-east-1_nothere00 does not exist.")


def dupc_missing_client_id(w: World) -> Call:
    pool_id, _ = w.pool_and_client()
    return Call(w.cognito, {"UserPoolId": pool_id}, boto3=False, message=(
        "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"))


def dupc_damaged_index(w: World) -> Call:
    pool_id, client = w.pool_and_client()
    # The global client index entry, unreadable: a directory where the file should be.
    index = w.cognito.data_dir / "clients" / client["ClientId"]
    index.unlink()
    index.mkdir()
    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": client["ClientId"]}, message=INTERNAL[1])


# ---- UpdateUserAttributes ----------------------------------------------------------------------------------------

def uua_params(u: SignedIn, attributes: list[tuple[str, str]], **extra) -> dict:
    return {"AccessToken": u.access, "UserAttributes": [{"Name": n, "Value": v} for n, v in attributes], **extra}


def uua_success(w: World) -> Call:
    u = w.signed_in(pool_extra={"AutoVerifiedAttributes": ["email"]})
    new_email = "new-" + secrets.token_hex(3) + "@example.org"

    def check(out: dict) -> None:
        assert out == {"CodeDeliveryDetailsList": [
            {"Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}]}
        record = u.setup.record()
        assert record["Attributes"]["email"] == new_email and record["Attributes"]["email_verified"] == "false"
        assert record["Attributes"]["name"] == "Seed Name"
        assert "Attribute:email" in record["Codes"]

    return Call(w.cognito, uua_params(u, [("email", new_email), ("name", "Seed Name")]), check=check)


def uua_immutable(w: World) -> Call:
    u = w.signed_in()
    return Call(w.cognito, uua_params(u, [("sub", "00000000-0000-4000-8000-000000000000")]),
                message="user.sub: Attribute cannot be updated.")


def uua_undefined_custom(w: World) -> Call:
    u = w.signed_in()
    return Call(w.cognito, uua_params(u, [("custom:undefined", "x")]),
                message="Invalid user attributes: custom:undefined: Attribute does not exist in the schema.\n")


def uua_missing_attributes(w: World) -> Call:
    u = w.signed_in()
    return Call(w.cognito, {"AccessToken": u.access}, boto3=False, message=(
        "1 validation error detected: Value null at 'userAttributes' failed to satisfy constraint: "
        "Member must not be null"))


def uua_unwritable(w: World) -> Call:
    u = w.signed_in()
    return Call(w.cognito, uua_params(u, [("email_verified", "true")]),
                message="A client attempted to write unauthorized attribute")


def uua_outside_write_attributes(w: World) -> Call:
    u = w.signed_in(client={"WriteAttributes": ["name"]})
    return Call(w.cognito, uua_params(u, [("name", "ok"), ("nickname", "no")]),
                message="A client attempted to write unauthorized attribute")


def uua_id_token(w: World) -> Call:
    u = w.signed_in()
    return Call(w.cognito, {**uua_params(u, [("name", "x")]), "AccessToken": u.tokens["IdToken"]},
                message="Invalid Access Token")


def uua_alias_taken(w: World) -> Call:
    u = w.signed_in(pool_extra={"AliasAttributes": ["email", "preferred_username"]})
    w.idp.admin_create_user(UserPoolId=u.pool_id, Username="holder-" + secrets.token_hex(3), MessageAction="SUPPRESS",
                            UserAttributes=[{"Name": "preferred_username", "Value": "seed-rabbit"}])
    return Call(w.cognito, uua_params(u, [("preferred_username", "Seed-Rabbit")]),
                message="An account with the given preferred_username already exists.")


def uua_delivery_fails(w: World) -> Call:
    # An instance whose mail command always fails (--sendmail /bin/false).
    u = w.signed_in(pool_extra={"AutoVerifiedAttributes": ["email"]})
    new_email = "undeliverable-" + secrets.token_hex(3) + "@example.org"

    def writes(changed: set[str]) -> None:
        # The change is durable before delivery is tried (DESIGN.md): the user's record, and nothing else.
        assert changed == {w.relative(u.setup.user_path())}
        record = u.setup.record()
        assert record["Attributes"]["email"] == new_email and record["Attributes"]["email_verified"] == "false"
        assert "Attribute:email" in record["Codes"]

    return Call(w.cognito, uua_params(u, [("email", new_email)]), message="Unable to deliver the message.",
                writes=writes)


def uua_damaged_user(w: World) -> Call:
    u = w.signed_in()
    damage(w.cognito, u.pool_id, u.setup.user_path())
    return Call(w.cognito, uua_params(u, [("name", "x")]), message=INTERNAL[1])


# ---- UpdateUserPoolClient ----------------------------------------------------------------------------------------

UUPC_SETTINGS = {
    "ClientName": "renamed",
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "RefreshTokenValidity": 10,
    "AccessTokenValidity": 2,
    "TokenValidityUnits": {"AccessToken": "hours", "RefreshToken": "days"},
    "ReadAttributes": ["email", "name"],
    "WriteAttributes": ["name"],
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": False,
}


def uupc_success(w: World) -> Call:
    pool_id, client = w.pool_and_client(GenerateSecret=True)

    def check(out: dict) -> None:
        updated = out["UserPoolClient"]
        for name, value in UUPC_SETTINGS.items():
            if isinstance(value, dict):  # units not given are shown with their defaults
                assert {k: updated[name].get(k) for k in value} == value, name
            else:
                assert updated[name] == value, name
        assert updated["ClientSecret"] == client["ClientSecret"] and updated["ClientId"] == client["ClientId"]
        stored = json.loads(client_record(w.cognito, pool_id, client["ClientId"]).read_text())
        assert stored["ClientName"] == "renamed" and stored["RefreshTokenValidity"] == 10

    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": client["ClientId"], **UUPC_SETTINGS}, check=check)


def uupc_unknown_client(w: World) -> Call:
    pool_id, _ = w.pool_and_client()
    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": UNKNOWN_CLIENT},
                message=f"User pool client {UNKNOWN_CLIENT} does not exist.")


def uupc_bad_validity(w: World) -> Call:
    pool_id, client = w.pool_and_client()
    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": client["ClientId"], "RefreshTokenValidity": 3651},
                message="Invalid range for token validity.")


def uupc_unknown_scope(w: World) -> Call:
    pool_id, client = w.pool_and_client()
    return Call(w.cognito, {
        "UserPoolId": pool_id, "ClientId": client["ClientId"], "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["api/read"], "CallbackURLs": ["https://app.example/cb"],
    }, message="Invalid scope requested: api/read")


def uupc_bad_oauth_flow(w: World) -> Call:
    pool_id, client = w.pool_and_client()
    return Call(w.cognito, {
        "UserPoolId": pool_id, "ClientId": client["ClientId"], "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["openid"],
    }, message="client_credentials flow can not be selected if client does not have a client secret.")


def uupc_damaged_client(w: World) -> Call:
    pool_id, client = w.pool_and_client()
    damage(w.cognito, pool_id, client_record(w.cognito, pool_id, client["ClientId"]))
    return Call(w.cognito, {"UserPoolId": pool_id, "ClientId": client["ClientId"]}, message=INTERNAL[1])


ROWS = [
    Row("ConfirmForgotPassword", None, "new-password", cfp_success),
    Row("ConfirmForgotPassword", "ResourceNotFoundException", "unknown-client", cfp_unknown_client),
    Row("ConfirmForgotPassword", "InvalidParameterException", "missing-code", cfp_missing_code),
    Row("ConfirmForgotPassword", "InvalidPasswordException", "weak-password", cfp_weak_password),
    Row("ConfirmForgotPassword", "PasswordHistoryPolicyViolationException", "recent-password", cfp_recent_password),
    Row("ConfirmForgotPassword", "NotAuthorizedException", "missing-secret-hash", cfp_missing_secret_hash),
    Row("ConfirmForgotPassword", "CodeMismatchException", "wrong-code", cfp_wrong_code),
    Row("ConfirmForgotPassword", "ExpiredCodeException", "expired-code", cfp_expired_code),
    Row("ConfirmForgotPassword", "LimitExceededException", "attempt-limit", cfp_attempt_limit),
    Row("ConfirmForgotPassword", "UserNotFoundException", "unknown-user", cfp_unknown_user),
    Row("ConfirmForgotPassword", "InternalErrorException", "damaged-user", cfp_damaged_user),

    Row("DeleteUser", None, "delete", du_success),
    Row("DeleteUser", "InvalidParameterException", "missing-token", du_missing_token),
    Row("DeleteUser", "NotAuthorizedException", "id-token", du_id_token),
    Row("DeleteUser", "NotAuthorizedException", "deleted-user", du_deleted_user),
    Row("DeleteUser", "NotAuthorizedException", "deleted-pool", du_deleted_pool),
    Row("DeleteUser", "InternalErrorException", "damaged-user", du_damaged_user),

    Row("DeleteUserPoolClient", None, "delete", dupc_success),
    Row("DeleteUserPoolClient", "ResourceNotFoundException", "unknown-client", dupc_unknown_client),
    Row("DeleteUserPoolClient", "ResourceNotFoundException", "unknown-pool", dupc_unknown_pool),
    Row("DeleteUserPoolClient", "InvalidParameterException", "missing-client-id", dupc_missing_client_id),
    Row("DeleteUserPoolClient", "InternalErrorException", "damaged-index", dupc_damaged_index),

    Row("UpdateUserAttributes", None, "new-email", uua_success),
    Row("UpdateUserAttributes", "InvalidParameterException", "immutable-sub", uua_immutable),
    Row("UpdateUserAttributes", "InvalidParameterException", "undefined-custom", uua_undefined_custom),
    Row("UpdateUserAttributes", "InvalidParameterException", "missing-attributes", uua_missing_attributes),
    Row("UpdateUserAttributes", "NotAuthorizedException", "verified-flag", uua_unwritable),
    Row("UpdateUserAttributes", "NotAuthorizedException", "write-attributes", uua_outside_write_attributes),
    Row("UpdateUserAttributes", "NotAuthorizedException", "id-token", uua_id_token),
    Row("UpdateUserAttributes", "AliasExistsException", "alias-taken", uua_alias_taken),
    Row("UpdateUserAttributes", "CodeDeliveryFailureException", "mail-fails", uua_delivery_fails,
        serve_args=("--sendmail", "/bin/false")),
    Row("UpdateUserAttributes", "InternalErrorException", "damaged-user", uua_damaged_user),

    Row("UpdateUserPoolClient", None, "settings", uupc_success),
    Row("UpdateUserPoolClient", "ResourceNotFoundException", "unknown-client", uupc_unknown_client),
    Row("UpdateUserPoolClient", "InvalidParameterException", "validity-range", uupc_bad_validity),
    Row("UpdateUserPoolClient", "ScopeDoesNotExistException", "unknown-scope", uupc_unknown_scope),
    Row("UpdateUserPoolClient", "InvalidOAuthFlowException", "client-credentials", uupc_bad_oauth_flow),
    Row("UpdateUserPoolClient", "InternalErrorException", "damaged-client", uupc_damaged_client),
]

# Errors tested outside the table (they need another instance or many requests), by the test that covers them in
# both wire forms.
TESTED_ELSEWHERE = {
    ("ConfirmForgotPassword", "TooManyRequestsException"): "test_confirm_forgot_password_is_throttled_by_nginx",
}


# ---- sending a row in each wire form --------------------------------------------------------------------------

def to_query(params: dict[str, Any], attribute_lists: str) -> dict[str, str]:
    """The seed's query form of a JSON input: scalars by name, lists as `Name.member.N`, structures and maps as
    `Name.Key`; `UserAttributes` as `.member.N.Name/.Value` (attribute_lists="members") or as the JSON string the seed
    documents (attribute_lists="json")."""
    out: dict[str, str] = {}

    def put(name: str, value: Any) -> None:
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, (int, str)):
            out[name] = str(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                put(f"{name}.{key}", item)
        elif isinstance(value, list):
            for index, item in enumerate(value, start=1):
                put(f"{name}.member.{index}", item)
        else:
            raise TypeError(name)

    for name, value in params.items():
        if name == "UserAttributes" and attribute_lists == "json":
            out[name] = json.dumps(value, separators=(",", ":"))
        else:
            put(name, value)
    return out


def send(row: Row, call: Call, wire: str) -> tuple[int, dict]:
    """Sends the call; returns (HTTP status, body): the output, or {"__type", "message"} for an error."""
    inst = call.instance
    signed = row.operation in IAM
    if wire == "json" and call.boto3:
        client = inst.client() if signed else inst.client(signed=False)
        try:
            out = getattr(client, xform_name(row.operation))(**call.params)
        except ClientError as e:
            error = e.response["Error"]
            return e.response["ResponseMetadata"]["HTTPStatusCode"], {"__type": error["Code"],
                                                                       "message": error["Message"]}
        out.pop("ResponseMetadata", None)
        return 200, out
    if wire == "json":
        resp = inst.json_call(row.operation, call.params, sign=signed)
        expected_type = "application/x-amz-json-1.1"
    else:
        resp = inst.query_call(row.operation, to_query(call.params, wire.split("-", 1)[1]), sign=signed)
        expected_type = "application/json"
    assert resp.headers["Content-Type"].startswith(expected_type), resp.headers
    assert resp.headers.get("x-amzn-RequestId")
    body = resp.json()
    if resp.status_code != 200:
        assert resp.headers["x-amzn-ErrorType"].split(":")[0] == body["__type"]
    return resp.status_code, body


def wires(row: Row) -> list[str]:
    """JSON 1.1, and the query form; UpdateUserAttributes' attribute list in both of the seed's spellings."""
    if row.operation == "UpdateUserAttributes":
        return ["json", "query-members", "query-json"]
    return ["json", "query-members"]


CASES = [pytest.param(row, wire, id=f"{row.id}-{wire}") for row in ROWS for wire in wires(row)]


@pytest.mark.parametrize("row, wire", CASES)
def test_seed_operation(start_instance, row: Row, wire: str):
    world = World(start_instance(*row.serve_args))
    call = row.arrange(world)
    before = store_snapshot(call.instance.data_dir)
    status, body = send(row, call, wire)

    if row.error is None:
        assert status == 200, body
        assert call.check is not None
        call.check(body)
        return
    assert body.get("__type") == row.error, body
    assert status == (500 if row.error == "InternalErrorException" else 400), (status, body)
    if call.message is not None:
        assert body["message"] == call.message, body
    after = store_snapshot(call.instance.data_dir)
    if call.writes is None:
        assert after == before, "a refused call changed the store"
    else:
        call.writes({path for path in set(before) | set(after) if before.get(path) != after.get(path)})


# ---- the table covers botocore's lists -------------------------------------------------------------------------

def test_every_botocore_error_is_tested_or_excluded():
    model = botocore.session.get_session().get_service_model("cognito-idp")
    for operation in SEED_OPERATIONS:
        listed = {shape.name for shape in model.operation_model(operation).error_shapes}
        rows = [row for row in ROWS if row.operation == operation]
        assert any(row.error is None for row in rows), f"{operation}: no success row"
        tested = {row.error for row in rows if row.error} | {e for (op, e) in TESTED_ELSEWHERE if op == operation}
        excluded = set(EXCLUDED[operation])
        assert not tested & excluded, f"{operation}: both tested and excluded: {sorted(tested & excluded)}"
        assert listed - tested - excluded == set(), (
            f"{operation}: botocore lists errors neither tested nor excluded: {sorted(listed - tested - excluded)}")
        assert tested | excluded <= listed, f"{operation}: not in botocore's list: {sorted((tested | excluded) - listed)}"
        assert all(reason.strip() for reason in EXCLUDED[operation].values())
    assert set(EXCLUDED) == set(SEED_OPERATIONS)
    for (operation, error), test_name in TESTED_ELSEWHERE.items():
        assert callable(globals().get(test_name)), test_name


# ---- TooManyRequestsException: nginx's sign-in limit (deploy/nginx.conf, as shipped) ---------------------------------

def test_confirm_forgot_password_is_throttled_by_nginx(https: HttpsInstance):
    """ConfirmForgotPassword is one of the public operations deploy/nginx.conf rate-limits per client address: a
    burst gets 429 TooManyRequestsException, in both wire forms, and what nginx refused never reached the store."""
    params = {"ClientId": UNKNOWN_CLIENT, "Username": "u", "ConfirmationCode": "123456", "Password": NEW_PASSWORD}
    before = store_snapshot(https.data_dir)
    by_json = burst(https, 40, lambda: https.json_call("ConfirmForgotPassword", params, sign=False))
    assert_throttled(by_json, "JSON protocol")
    # boto3 (retries off, as the harness's clients are) sees AWS's throttling error.
    public = https.client(signed=False)
    codes = set()
    for _ in range(30):
        try:
            public.confirm_forgot_password(**params)
        except ClientError as e:
            codes.add(e.response["Error"]["Code"])
    assert "TooManyRequestsException" in codes, codes
    by_query = burst(https, 40, lambda: https.query_call("ConfirmForgotPassword", params, sign=False))
    assert_throttled(by_query, "query form")
    # What got through was answered by the workers (unknown client); nothing was written either way.
    assert {r.status_code for r in by_json + by_query} <= {400, 429}
    assert store_snapshot(https.data_dir) == before


# ---- query strings stay out of nginx's access log ----------------------------------------------------------------

@pytest.mark.parametrize("which", ["local", "production"])
def test_query_strings_stay_out_of_the_access_log(cognito: Instance, https: HttpsInstance, which: str):
    """The seed's GET form carries tokens and passwords in the query string; nginx logs `$uri`, never the query
    (deploy/nginx.conf and the e2e template share the format: test_nginx_config.py)."""
    inst = cognito if which == "local" else https
    token = "eyJSecretAccessToken" + secrets.token_hex(8)
    password = "Secret-Pa55word-" + secrets.token_hex(8)
    code = "98" + secrets.token_hex(2)
    resp = inst.request("GET", "/", params={"Action": "DeleteUser", "AccessToken": token, "Password": password})
    assert resp.status_code == 400 and resp.json()["__type"] == "NotAuthorizedException"
    inst.request("GET", "/", params={"Action": "ConfirmForgotPassword", "ClientId": UNKNOWN_CLIENT, "Username": "u",
                                     "ConfirmationCode": code, "Password": password, "SecretHash":
                                     secret_hash("u", UNKNOWN_CLIENT, "s")})
    logs = sorted(p for p in (inst.nginx_prefix / "logs").glob("*.log") if "access" in p.name)
    assert logs, f"no access log under {inst.nginx_prefix / 'logs'}"
    text = "".join(p.read_text(errors="replace") for p in logs)
    assert '"GET / HTTP/' in text, "the request was not logged"
    for secret in (token, password, code, "AccessToken=", "Password="):
        assert secret not in text, f"{secret!r} reached the access log"
