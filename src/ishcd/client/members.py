"""Project members and invitations: ``client.projects("p").members()``."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

from ishcd.client import errors
from ishcd.client.access_models import Invitation, Member
from ishcd.client.transport import Transport, segment

MemberList = list[Member]


class Members:
    """The members of one project (any member lists them; project admins change them)."""

    def __init__(self, transport: Transport, project_path: str):
        self._transport = transport
        self._path = project_path + "/members"
        self._project = unquote(project_path.rsplit("/", 1)[-1])

    def list(self, *, page: int | None = None, per_page: int | None = None) -> MemberList:
        """One page of the project's members."""
        items = self._transport.items(self._path, {"page": page, "per_page": per_page})
        return [Member.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Member]:
        """Every member of the project, fetching page after page as needed."""
        for items in self._transport.pages(self._path, {"per_page": per_page}):
            yield from (Member.from_json(item) for item in items)

    def add(self, role: str, *, username: str | None = None, email: str | None = None) -> Member:
        """Add an account by ``username`` or by its ``email``; an ``email`` no account has
        adds an invited member (``status`` ``invited``: then ``invite()``)."""
        body = {"username": username, "email": email, "role": role}
        return Member.from_json(self._transport.json("POST", self._path, json=body))

    def find(self, who: str) -> Member:
        """The member whose id, user name or invited e-mail address is ``who``.

        :class:`~ishcd.client.errors.NotFound` when there is none.
        """
        for member in self.iter_all():
            if who in (member.id, member.email) or (member.user and member.user.username == who):
                return member
        raise errors.NotFound(f"{who!r} is not a member of project {self._project!r}", status=404)


class MemberHandle:
    """One member of a project, by member id (``Members.find`` gives it from a name)."""

    def __init__(self, transport: Transport, project_path: str, member_id: str):
        self.id = member_id
        self._transport = transport
        self.path = f"{project_path}/members/{segment(member_id)}"

    def __repr__(self) -> str:
        return f"MemberHandle({self.path!r})"

    def update(self, role: str) -> Member:
        """Give the member another role (a project keeps at least one admin: else 409)."""
        data = self._transport.json("PATCH", self.path, json={"role": role})
        return Member.from_json(data)

    def remove(self) -> None:
        """Remove the member; the project tokens they made are revoked with it."""
        self._transport.request("DELETE", self.path)

    def invite(self) -> Invitation:
        """A one-time link for an invited member, valid 7 days (asking again replaces it)."""
        return Invitation.from_json(self._transport.json("POST", self.path + "/invite"))
