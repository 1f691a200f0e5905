"""ListUsers through nginx and real workers: AWS's filter forms, AttributesToGet, pagination, refusals."""

from __future__ import annotations

import base64
import secrets

import pytest
from botocore.exceptions import ClientError

from conftest import Instance

pytestmark = pytest.mark.needs_ops(
    "AdminCreateUser", "AdminDisableUser", "AdminSetUserPassword", "AdminDeleteUser", "AdminGetUser", "ListUsers")

PASSWORD = "Passw0rd!" + "x"


@pytest.fixture
def idp(cognito: Instance):
    return cognito.client()


def new_pool(idp, **extra) -> str:
    return idp.create_user_pool(PoolName="e2e-list-" + secrets.token_hex(4), **extra)["UserPool"]["Id"]


def create_user(idp, pool_id: str, username: str, **attributes: str) -> None:
    idp.admin_create_user(
        UserPoolId=pool_id, Username=username, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items()],
    )


def refused(call, code: str, message: str) -> None:
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["Error"]["Message"] == message
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def usernames(response: dict) -> list[str]:
    return [u["Username"] for u in response["Users"]]


@pytest.fixture(scope="module")
def people(cognito: Instance) -> str:
    """A pool of four users made through AdminCreateUser, one confirmed and one disabled."""
    idp = cognito.client()
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "alice", email="alice@example.com", phone_number="+15550001111",
                name="Alice Reddy", given_name="Alice", family_name="Reddy", preferred_username="ally")
    create_user(idp, pool_id, "alfred", email="alfred@example.org", phone_number="+15550002222",
                name="Alfred Jones", given_name="Alfred", family_name="Jones")
    create_user(idp, pool_id, "bob", email="Bob@Example.com", given_name="Bob", family_name="Reddy")
    create_user(idp, pool_id, "carol")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True)
    idp.admin_disable_user(UserPoolId=pool_id, Username="bob")
    return pool_id


def test_lists_every_user_as_user_type(idp, people):
    out = idp.list_users(UserPoolId=people)
    assert usernames(out) == ["alfred", "alice", "bob", "carol"]
    assert "PaginationToken" not in out
    bob = next(u for u in out["Users"] if u["Username"] == "bob")
    assert bob["Enabled"] is False and bob["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert bob["UserCreateDate"] <= bob["UserLastModifiedDate"]
    attributes = {a["Name"]: a["Value"] for a in bob["Attributes"]}
    assert attributes["email"] == "Bob@Example.com" and attributes["family_name"] == "Reddy"
    assert bob["Attributes"][0]["Name"] == "sub"


@pytest.mark.parametrize(
    "filter_, expected",
    [
        ('username = "alice"', ["alice"]),
        ('username ^= "al"', ["alfred", "alice"]),
        ('username = "ALICE"', ["alice"]),  # the pool is case-insensitive (CreateUserPool's default)
        ('email = "bob@example.com"', ["bob"]),  # attribute values match without regard to case
        ('email ^= "al"', ["alfred", "alice"]),
        ('phone_number = "+15550002222"', ["alfred"]),
        ('phone_number ^= "+1555"', ["alfred", "alice"]),
        ('name = "Alice Reddy"', ["alice"]),
        ('name ^= "Al"', ["alfred", "alice"]),
        ('given_name = "Bob"', ["bob"]),
        ('given_name ^= "Alf"', ["alfred"]),
        ('family_name = "Reddy"', ["alice", "bob"]),
        ('family_name ^= "Jo"', ["alfred"]),
        ('preferred_username = "ally"', ["alice"]),
        ('preferred_username ^= "al"', ["alice"]),
        ('cognito:user_status = "CONFIRMED"', ["alice"]),
        ('cognito:user_status = "force_change_password"', ["alfred", "bob", "carol"]),
        ('cognito:user_status ^= "FORCE"', ["alfred", "bob", "carol"]),
        ('status = "Disabled"', ["bob"]),
        ('status ^= "En"', ["alfred", "alice", "carol"]),
        ('status = "disabled"', []),  # status is case-sensitive
        ('family_name="Reddy"', ["alice", "bob"]),
        ('  given_name   ^=   "A"  ', ["alfred", "alice"]),
        ('given_name = "\\B\\ob"', ["bob"]),
        ("", ["alfred", "alice", "bob", "carol"]),
    ],
)
def test_filter_forms(idp, people, filter_, expected):
    assert usernames(idp.list_users(UserPoolId=people, Filter=filter_)) == expected


def test_filter_on_sub(idp, people):
    carol = idp.admin_get_user(UserPoolId=people, Username="carol")
    sub = next(a["Value"] for a in carol["UserAttributes"] if a["Name"] == "sub")
    assert usernames(idp.list_users(UserPoolId=people, Filter=f'sub = "{sub}"')) == ["carol"]
    assert usernames(idp.list_users(UserPoolId=people, Filter=f'sub ^= "{sub[:13]}"')) == ["carol"]


def test_escaped_quotes(idp):
    pool_id = new_pool(idp)
    create_user(idp, pool_id, "quoted", family_name='O"Brien')
    create_user(idp, pool_id, "plain", family_name="OBrien")
    assert usernames(idp.list_users(UserPoolId=pool_id, Filter='family_name = "O\\"Brien"')) == ["quoted"]
    assert usernames(idp.list_users(UserPoolId=pool_id, Filter='family_name ^= "OB"')) == ["plain"]
    idp.delete_user_pool(UserPoolId=pool_id)


@pytest.mark.parametrize("name", ["custom:team", "address", "Email", "cognito:username"])
def test_unsearchable_attribute(idp, people, name):
    refused(lambda: idp.list_users(UserPoolId=people, Filter=f'{name} = "x"'),
            "InvalidParameterException", f"Invalid search attribute: {name}")


@pytest.mark.parametrize(
    "filter_", ["email", 'email == "a"', "email = a", 'email = "a', "email = 'a'", 'email = "a" x', 'email ~= "a"'])
def test_malformed_filter(idp, people, filter_):
    refused(lambda: idp.list_users(UserPoolId=people, Filter=filter_),
            "InvalidParameterException", "Error while parsing filter.")


def test_attributes_to_get(idp, people):
    out = idp.list_users(UserPoolId=people, Filter='family_name = "Reddy"', AttributesToGet=["email", "given_name"])
    assert [u["Attributes"] for u in out["Users"]] == [
        [{"Name": "email", "Value": "alice@example.com"}, {"Name": "given_name", "Value": "Alice"}],
        [{"Name": "email", "Value": "Bob@Example.com"}, {"Name": "given_name", "Value": "Bob"}],
    ]
    refused(lambda: idp.list_users(UserPoolId=people, AttributesToGet=["email", "nonsense"]),
            "InvalidParameterException", "One or more requested attributes do not exist.")
    # Attributes that cannot be searched must be set on every user returned (AWS's documented rule).
    refused(lambda: idp.list_users(UserPoolId=people, AttributesToGet=["email_verified", "locale"]),
            "InvalidParameterException", "One or more requested attributes do not exist.")


def test_pagination_across_pages_while_users_come_and_go(idp):
    pool_id = new_pool(idp)
    for i in range(8):
        create_user(idp, pool_id, f"user{i}", given_name="Even" if i % 2 == 0 else "Odd")

    first = idp.list_users(UserPoolId=pool_id, Limit=3)
    assert usernames(first) == ["user0", "user1", "user2"]
    # Delete the user the token names and one further on; add one before the token and one after it.
    idp.admin_delete_user(UserPoolId=pool_id, Username="user2")
    idp.admin_delete_user(UserPoolId=pool_id, Username="user4")
    create_user(idp, pool_id, "user0a")
    create_user(idp, pool_id, "user3a")

    second = idp.list_users(UserPoolId=pool_id, Limit=3, PaginationToken=first["PaginationToken"])
    assert usernames(second) == ["user3", "user3a", "user5"]
    create_user(idp, pool_id, "user9")

    third = idp.list_users(UserPoolId=pool_id, Limit=3, PaginationToken=second["PaginationToken"])
    assert usernames(third) == ["user6", "user7", "user9"]
    assert "PaginationToken" not in third

    # boto3's paginator walks the same pages, and a filter pages too.
    pages = idp.get_paginator("list_users").paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2})
    assert [usernames(p) for p in pages] == [
        ["user0", "user0a"], ["user1", "user3"], ["user3a", "user5"], ["user6", "user7"], ["user9"]]
    pages = idp.get_paginator("list_users").paginate(
        UserPoolId=pool_id, Filter='given_name = "Even"', PaginationConfig={"PageSize": 1})
    assert [usernames(p) for p in pages] == [["user0"], ["user6"]]
    idp.delete_user_pool(UserPoolId=pool_id)


def test_forged_and_foreign_tokens(idp, people):
    other = new_pool(idp)
    for name in ("x1", "x2"):
        create_user(idp, other, name)
    token = idp.list_users(UserPoolId=other, Limit=1)["PaginationToken"]
    forged = base64.urlsafe_b64encode(b"bob").decode().rstrip("=") + "." + "A" * 43
    for pool_id, bad, filter_ in [
        (people, token, ""),  # another pool's token
        (other, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), ""),  # altered
        (other, forged, ""),  # made without the deployment's secret
        (other, token, 'username ^= "x"'),  # the same pool, another filter
    ]:
        refused(lambda: idp.list_users(UserPoolId=pool_id, Limit=1, PaginationToken=bad, Filter=filter_),
                "InvalidParameterException", "Invalid pagination token.")
    idp.delete_user_pool(UserPoolId=other)


def test_limit_and_unknown_pool(idp, people):
    refused(lambda: idp.list_users(UserPoolId=people, Limit=61), "InvalidParameterException",
            "1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: "
            "Member must have value less than or equal to 60")
    refused(lambda: idp.list_users(UserPoolId="us-east-1_nothere00"), "ResourceNotFoundException",
            "User pool us-east-1_nothere00 does not exist.")


def test_query_form(cognito: Instance, people):
    r = cognito.query_call("ListUsers", {
        "UserPoolId": people, "Filter": 'family_name = "Reddy"', "Limit": "1",
        "AttributesToGet.member.1": "given_name",
    })
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(u["Username"], u["Attributes"]) for u in body["Users"]] == [
        ("alice", [{"Name": "given_name", "Value": "Alice"}])]
    r = cognito.query_call("ListUsers", {
        "UserPoolId": people, "Filter": 'family_name = "Reddy"', "PaginationToken": body["PaginationToken"],
    })
    assert r.status_code == 200, r.text
    assert [u["Username"] for u in r.json()["Users"]] == ["bob"] and "PaginationToken" not in r.json()

    r = cognito.query_call("ListUsers", {"UserPoolId": people, "Filter": 'custom:x = "1"'})
    assert r.status_code == 400
    assert r.json() == {"__type": "InvalidParameterException", "message": "Invalid search attribute: custom:x"}
