"""Runners and their registration tokens, for site admins: ``client.runners()``,
``client.runners(id)``, ``client.registration_tokens()`` and ``client.registration_tokens(id)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ishcd.client.models import _pick, int_or_none, parse
from ishcd.client.transport import Transport, segment

RUNNERS = "/v1/runners"
TOKENS = "/v1/runners/registration-tokens"


@dataclass(frozen=True, kw_only=True)
class Runner:
    """A registered runner. ``state``: ``online``, ``offline`` or ``paused``;
    ``running``: the runs it is running now."""

    id: str
    name: str
    labels: tuple[str, ...]
    version: str | None
    host: str | None
    concurrency: int
    created: int
    last_contact: int | None
    running: int
    state: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Runner:
        def build(d: Any) -> Runner:
            picked = _pick(cls, d)
            picked["labels"] = tuple(str(label) for label in d["labels"])
            picked["last_contact"] = int_or_none(d["last_contact"])
            return cls(**picked, raw=dict(d))

        return parse("runner", data, build)


@dataclass(frozen=True, kw_only=True)
class RegistrationToken:
    """A registration token's record (never the token itself); ``created_by`` is its
    maker's user name, ``last_used`` when it last registered a runner."""

    id: str
    description: str
    created: int
    created_by: str | None
    last_used: int | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> RegistrationToken:
        return parse("registration token", data, lambda d: cls(**_pick(cls, d), raw=dict(d)))


@dataclass(frozen=True, kw_only=True)
class CreatedRegistrationToken(RegistrationToken):
    """A registration token just made: ``token`` (``ishrt_…``) is shown this once."""

    token: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedRegistrationToken:
        return parse("registration token", data, lambda d: cls(**_pick(cls, d), raw=dict(d)))


class Runners:
    """Every registered runner, by name (site admins only)."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def list(self, *, page: int | None = None, per_page: int | None = None) -> list[Runner]:
        """One page of runners."""
        items = self._transport.items(RUNNERS, {"page": page, "per_page": per_page})
        return [Runner.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Runner]:
        """Every runner, fetching page after page as needed."""
        for items in self._transport.pages(RUNNERS, {"per_page": per_page}):
            yield from (Runner.from_json(item) for item in items)


class RunnerHandle:
    """One runner, by id."""

    def __init__(self, transport: Transport, runner_id: str):
        self.id = runner_id
        self._transport = transport
        self.path = f"{RUNNERS}/{segment(runner_id)}"

    def __repr__(self) -> str:
        return f"RunnerHandle({self.id!r})"

    def get(self) -> Runner:
        return Runner.from_json(self._transport.json("GET", self.path))

    def pause(self) -> Runner:
        """It gets no new work; what it runs goes on."""
        return Runner.from_json(self._transport.json("POST", f"{self.path}/pause"))

    def resume(self) -> Runner:
        return Runner.from_json(self._transport.json("POST", f"{self.path}/resume"))

    def delete(self) -> None:
        """Delete the runner: its credential stops working at once."""
        self._transport.request("DELETE", self.path)


class RegistrationTokens:
    """The tokens runners register with (site admins only), newest first."""

    def __init__(self, transport: Transport):
        self._transport = transport

    def list(
        self, *, page: int | None = None, per_page: int | None = None
    ) -> list[RegistrationToken]:
        items = self._transport.items(TOKENS, {"page": page, "per_page": per_page})
        return [RegistrationToken.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[RegistrationToken]:
        for items in self._transport.pages(TOKENS, {"per_page": per_page}):
            yield from (RegistrationToken.from_json(item) for item in items)

    def create(self, description: str) -> CreatedRegistrationToken:
        """Make a registration token; its ``token`` is in this answer only."""
        data = self._transport.json("POST", TOKENS, json={"description": description})
        return CreatedRegistrationToken.from_json(data)


class RegistrationTokenHandle:
    """One registration token, by id."""

    def __init__(self, transport: Transport, token_id: str):
        self.id = token_id
        self._transport = transport

    def revoke(self) -> None:
        """It registers no more runners; those it registered keep working."""
        self._transport.request("DELETE", f"{TOKENS}/{segment(self.id)}")
