"""The Python client's access-control calls against a real server: users, members,
invitations, account and project tokens, env vars, credentials, audit."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ishcd.client import (
    Client,
    Conflict,
    CreatedProjectToken,
    CreatedUser,
    Forbidden,
    Member,
    NotFound,
    Unauthorized,
)
from tests.e2e.conftest import LiveServer

PASSWORD = "a long enough passphrase"


@pytest.fixture
def admin(live_server: LiveServer) -> Iterator[Client]:
    with Client(live_server.token, host=live_server.url) as made:
        yield made


@pytest.fixture
def alice(live_server: LiveServer, admin: Client) -> Iterator[Client]:
    """alice, logged in with her password, admin of project "p"."""
    admin.users().create("alice", password=PASSWORD, email="alice@example.com")
    with Client(None, host=live_server.url) as anonymous:
        session = anonymous.login("alice", PASSWORD)
    with Client(session, host=live_server.url) as made:
        made.projects().create("p")
        yield made


def test_users_create_list_get_update_delete(admin: Client) -> None:
    carol = admin.users().create("carol", email="carol@example.com")
    assert isinstance(carol, CreatedUser)
    assert len(carol.password or "") >= 16
    assert (carol.username, carol.email, carol.is_admin, carol.disabled) == (
        "carol",
        "carol@example.com",
        False,
        False,
    )
    given = admin.users().create("dave", password=PASSWORD, is_admin=True)
    assert given.password is None
    assert given.is_admin
    assert [u.username for u in admin.users().iter_all(per_page=1)] == ["admin", "carol", "dave"]
    assert admin.users("carol").get().id == carol.id
    assert admin.users(carol.id).get().username == "carol"
    assert admin.users("carol").update(disabled=True, name="Carol").disabled
    assert admin.users("carol").get().name == "Carol"
    admin.users("carol").delete()
    with pytest.raises(NotFound):
        admin.users("carol").get()
    with pytest.raises(Conflict):
        admin.users().create("dave")


def test_login_gives_a_session_and_bad_passwords_are_401(live_server: LiveServer) -> None:
    with Client(None, host=live_server.url) as anonymous:
        session = anonymous.login("admin", live_server.password)
        with pytest.raises(Unauthorized) as caught:
            anonymous.login("admin", "wrong password")
    assert caught.value.message == "wrong user name or password"
    with Client(session, host=live_server.url) as client:
        assert client.account().get().username == "admin"


def test_users_are_for_site_admins(admin: Client, alice: Client) -> None:
    with pytest.raises(Forbidden):
        alice.users().list()
    with pytest.raises(Forbidden):
        alice.audit().list()


def test_members_add_find_update_invite_remove(
    live_server: LiveServer, admin: Client, alice: Client
) -> None:
    admin.users().create("bob", password=PASSWORD)
    members = alice.projects("p").members()
    bob = members.add("read", username="bob")
    assert isinstance(bob, Member)
    assert (bob.who, bob.role, bob.status) == ("bob", "read", "active")
    dana = members.add("write", email="dana@example.com")
    assert (dana.user, dana.who, dana.status) == (None, "dana@example.com", "invited")
    assert [m.who for m in members.list()] == ["alice", "bob", "dana@example.com"]
    assert members.find("bob").id == bob.id
    assert members.find("dana@example.com").id == dana.id
    assert members.find(bob.id).who == "bob"
    with pytest.raises(NotFound, match="'nobody' is not a member of project 'p'"):
        members.find("nobody")

    assert alice.projects("p").members(bob.id).update("write").role == "write"
    invitation = alice.projects("p").members(dana.id).invite()
    assert invitation.url == f"{live_server.url}/v1/invitations/{invitation.token}"
    accepted = httpx.post(invitation.url, json={"username": "dana", "password": PASSWORD})
    assert accepted.status_code == 201, accepted.text
    assert members.find("dana").status == "active"

    alice.projects("p").members(bob.id).remove()
    assert [m.who for m in members.iter_all()] == ["alice", "dana"]
    alice_id = members.find("alice").id
    with pytest.raises(Conflict):
        alice.projects("p").members(alice_id).update("read")


def test_account_tokens_create_list_revoke(live_server: LiveServer, alice: Client) -> None:
    made = alice.tokens().create("laptop", expires=30)
    assert made.expires is not None
    assert [(t.id, t.name) for t in alice.tokens().list()] == [(made.id, "laptop")]
    with Client(made.token, host=live_server.url) as laptop:
        assert laptop.account().get().username == "alice"
        alice.tokens(made.id).revoke()
        with pytest.raises(Unauthorized, match="revoked"):
            laptop.account().get()


def test_project_tokens_create_list_revoke(live_server: LiveServer, alice: Client) -> None:
    tokens = alice.projects("p").tokens()
    bot = tokens.create("chatbot", "write")
    assert isinstance(bot, CreatedProjectToken)
    assert (bot.name, bot.role, bot.project.machine_name, bot.expires) == (
        "chatbot",
        "write",
        "p",
        None,
    )
    listed = tokens.list()
    assert [(t.id, t.role) for t in listed] == [(bot.id, "write")]
    assert not hasattr(listed[0], "token")
    with Client(bot.token, host=live_server.url) as chatbot:
        assert chatbot.projects("p").get().machine_name == "p"
        with pytest.raises(Forbidden):
            chatbot.account().get()
        alice.projects("p").tokens(bot.id).revoke()
        with pytest.raises(Unauthorized):
            chatbot.projects("p").get()
    assert list(tokens.iter_all()) == []


def test_envvars_set_list_get_delete_masked(alice: Client) -> None:
    envvars = alice.projects("p").envvars()
    key = envvars.set("DEPLOY_KEY", "s3cr3t-deploy-key-1234")
    assert (key.name, key.value) == ("DEPLOY_KEY", "xxxx1234")
    assert envvars.set("STAGE", "dev").value == "xxxx"
    assert envvars.set("STAGE", "production-stage").value == "xxxxtage"
    assert [(e.name, e.value) for e in envvars.iter_all(per_page=1)] == [
        ("DEPLOY_KEY", "xxxx1234"),
        ("STAGE", "xxxxtage"),
    ]
    assert alice.projects("p").envvars("STAGE").get().value == "xxxxtage"
    alice.projects("p").envvars("STAGE").delete()
    with pytest.raises(NotFound):
        alice.projects("p").envvars("STAGE").get()
    assert [e.name for e in envvars.list()] == ["DEPLOY_KEY"]


def test_credentials_create_list_delete_masked(alice: Client, admin: Client) -> None:
    made = alice.credentials().create("alice on AWS", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIDENG")
    assert (made.name, made.env, made.value) == (
        "alice on AWS",
        "AWS_SECRET_ACCESS_KEY",
        "xxxxDENG",
    )
    assert [c.id for c in alice.credentials().list()] == [made.id]
    assert admin.credentials().list() == []  # nobody else sees them, not even site admins
    alice.credentials(made.id).delete()
    assert list(alice.credentials().iter_all()) == []
    with pytest.raises(NotFound):
        alice.credentials(made.id).delete()


def test_audit_of_a_project_and_of_the_site_with_filters(admin: Client, alice: Client) -> None:
    alice.projects("p").envvars().set("A_NAME", "a value")
    alice.projects().create("q")
    events = alice.projects("p").audit().list()
    assert [e.action for e in events] == ["envvar.create", "project.create"]
    first = events[0]
    assert (first.actor.type, str(first.actor)) == ("user", "alice")
    assert first.project is not None
    assert first.project.machine_name == "p"
    assert first.target is not None
    assert (first.target.type, first.target.name) == ("envvar", "A_NAME")
    assert "a value" not in str(first.raw)

    assert [e.action for e in alice.projects("p").audit().iter_all(action="project.create")] == [
        "project.create"
    ]
    site = admin.audit()
    assert {e.action for e in site.list(action="login")} == {"login"}
    p_id = alice.projects("p").get().id
    of_p = list(site.iter_all(project=p_id, per_page=1))
    assert [e.action for e in of_p] == ["envvar.create", "project.create"]
    created = site.list(action="user.create", per_page=1)[0]
    assert str(created.actor) == "admin (token initial token)"
