"""Project members and invitations.

A member is an account with a role in a project, added by user name or by
the e-mail address of its account. Someone without an account yet is added
by email as an invited member; ``invite`` makes a
one-time link (its token stored only as a hash, valid for a week), and
accepting it creates the account and completes the membership. A project
never loses its last admin.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from ishcd import exceptions
from ishcd.db import projects as projects_db
from ishcd.db import users as users_db
from ishcd.db.database import Connection
from ishcd.db.projects import MemberRecord, ProjectRecord
from ishcd.db.users import UserRecord
from ishcd.services import access, audit, ids, users
from ishcd.services.principal import Caller

INVITATION_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _target(member: MemberRecord) -> tuple[str, str, str | None]:
    return ("member", member.id, member.username or member.invited_email)


async def list_members(
    conn: Connection, caller: Caller, project_ish: str, limit: int, offset: int
) -> list[MemberRecord]:
    project = await access.project_for(conn, caller, project_ish)
    return await projects_db.list_members(conn, project.id, limit, offset)


async def _member(conn: Connection, project: ProjectRecord, member_id: str) -> MemberRecord:
    member = None
    if ids.looks_like_uuid(member_id):
        member = await projects_db.get_member(conn, project.id, member_id)
    if member is None:
        raise exceptions.NotFound(f"member {member_id!r} not found in this project")
    return member


async def add_member(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    *,
    username: str | None,
    email: str | None,
    role: access.Role,
) -> MemberRecord:
    """Give an account a role, found by ``username`` or by ``email``; or, when no
    account has that ``email``, add an invited member (``invite`` makes the link)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    if (username is None) == (email is None):
        raise exceptions.ValidationFailed.one("username", "give a username or an email, not both")
    user = None
    if username is not None:
        user = await users_db.get_user_by_username(conn, username)
        if user is None:
            raise exceptions.ValidationFailed.one(
                "username", f"no user {username!r}: invite them by email instead"
            )
    else:
        user = await _account_with_email(conn, str(email))
    if user is not None:
        if await projects_db.member_of_user(conn, project.id, user.id) is not None:
            raise exceptions.Conflict(f"{user.username!r} is already a member")
        username, email = user.username, None
    elif await projects_db.invited(conn, project.id, str(email)):
        raise exceptions.Conflict(f"{email} is already invited to this project")
    user_id = user.id if user is not None else None
    now = time.time()
    member = MemberRecord(
        id=ids.new_id(),
        project_id=project.id,
        user_id=user_id,
        role=role,
        invited_email=email,
        invitation_hash=None,
        invitation_expires=None,
        created=now,
        changed=now,
        username=username,
    )
    await projects_db.insert_member(conn, member)
    details = {"role": role}
    await audit.record(
        conn, caller, "member.add", project=project, target=_target(member), details=details
    )
    return member


async def _account_with_email(conn: Connection, email: str) -> UserRecord | None:
    """The one account with this e-mail address, or None; several is a 422."""
    found = await users_db.users_with_email(conn, email, limit=2)
    if len(found) > 1:
        raise exceptions.ValidationFailed.one(
            "email", "several accounts have this e-mail address: add one by username"
        )
    return found[0] if found else None


async def _keep_an_admin(conn: Connection, project: ProjectRecord, member: MemberRecord) -> None:
    is_admin = member.role == "admin" and member.user_id is not None
    if is_admin and await projects_db.count_admins(conn, project.id) <= 1:
        raise exceptions.Conflict(
            f"this is the last admin of {project.machine_name!r}: make another admin first"
        )


async def update_member(
    conn: Connection, caller: Caller, project_ish: str, member_id: str, role: access.Role
) -> MemberRecord:
    project = await access.project_for(conn, caller, project_ish, "admin")
    member = await _member(conn, project, member_id)
    if role != member.role:
        if role != "admin":
            await _keep_an_admin(conn, project, member)
        await projects_db.update_member(conn, member.id, {"role": role, "changed": time.time()})
        details = {"from": member.role, "to": role}
        await audit.record(
            conn, caller, "member.update", project=project, target=_target(member), details=details
        )
    return await _member(conn, project, member.id)


async def remove_member(conn: Connection, caller: Caller, project_ish: str, member_id: str) -> None:
    project = await access.project_for(conn, caller, project_ish, "admin")
    member = await _member(conn, project, member_id)
    await _keep_an_admin(conn, project, member)
    await projects_db.delete_member(conn, member.id)
    details = {}
    if member.user_id is not None:
        # Tokens for this project made by someone who is no longer in it die with it.
        revoked = await users_db.revoke_project_tokens_of(
            conn, project.id, member.user_id, time.time()
        )
        details["project_tokens_revoked"] = revoked
    await audit.record(
        conn, caller, "member.remove", project=project, target=_target(member), details=details
    )


@dataclass(frozen=True)
class Invitation:
    member: MemberRecord
    token: str  # shown once; only its hash is kept
    expires: float


async def invite(conn: Connection, caller: Caller, project_ish: str, member_id: str) -> Invitation:
    """A one-time acceptance token for an invited member (any earlier one stops working)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    member = await _member(conn, project, member_id)
    if member.user_id is not None:
        raise exceptions.Conflict(f"{member.username!r} already has an account and is a member")
    token = secrets.token_urlsafe(32)
    expires = time.time() + INVITATION_DAYS * 86400
    values = {"invitation_hash": _hash(token), "invitation_expires": expires}
    await projects_db.update_member(conn, member.id, values)
    await audit.record(conn, caller, "member.invite", project=project, target=_target(member))
    return Invitation(await _member(conn, project, member.id), token, expires)


@dataclass(frozen=True)
class Pending:
    member: MemberRecord
    project: ProjectRecord


async def find_invitation(conn: Connection, token: str) -> Pending:
    """The invitation behind a token, if it is still good."""
    member = await projects_db.member_by_invitation(conn, _hash(token))
    expires = member.invitation_expires if member is not None else None
    if member is None or member.user_id is not None or (expires or 0) < time.time():
        raise exceptions.NotFound("this invitation does not exist, was used or has expired")
    project = await projects_db.get_project(conn, member.project_id)
    assert project is not None  # the membership would be gone with the project
    return Pending(member, project)


@dataclass(frozen=True)
class Accepted:
    user: UserRecord
    member: MemberRecord
    project: ProjectRecord


async def accept_invitation(
    conn: Connection,
    token: str,
    *,
    username: str,
    password_hash: str,
    name: str | None,
    email: str | None,
    ip: str | None,
) -> Accepted:
    """Create the invited person's account and complete their membership."""
    pending = await find_invitation(conn, token)
    member, project = pending.member, pending.project
    user = await users.create_user(
        conn,
        username,
        password_hash=password_hash,
        name=name,
        email=email or member.invited_email,
    )
    values = {"user_id": user.id, "invitation_hash": None, "changed": time.time()}
    await projects_db.update_member(conn, member.id, values)
    caller = Caller(user.id, user.username, False, ip=ip)
    await audit.record(conn, caller, "member.accept", project=project, target=_target(member))
    done = await projects_db.get_member(conn, project.id, member.id)
    assert done is not None
    return Accepted(user, done, project)
