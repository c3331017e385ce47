"""What the API returns, as typed objects: the JSON fields as attributes, plus ``raw``.

Timestamps are integer Unix seconds, as in the API. ``raw`` is the JSON object
as received, for fields a newer server adds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field
from typing import Any, TypeVar

from ishcd.client import errors

T = TypeVar("T")
Json = Mapping[str, Any]


def parse(kind: str, data: Any, build: Callable[[Json], T]) -> T:
    """``build(data)``, or :class:`~ishcd.client.errors.UnexpectedResponse` if it lacks fields."""
    if not isinstance(data, Mapping):
        raise errors.UnexpectedResponse(f"expected a JSON object for a {kind}")
    try:
        return build(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise errors.UnexpectedResponse(f"a {kind} with a missing or bad field: {exc}") from exc


def dict_or_none(value: Any) -> dict[str, Any] | None:
    return None if value is None else dict(value)


def int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, kw_only=True)
class ProjectRef:
    """The project a job or run belongs to."""

    id: str
    machine_name: str


@dataclass(frozen=True, kw_only=True)
class JobRef:
    """The job a run belongs to."""

    id: str
    machine_name: str
    name: str


@dataclass(frozen=True, kw_only=True)
class UserRef:
    """Who created a run."""

    id: str
    username: str


def project_ref(data: Json) -> ProjectRef:
    return ProjectRef(id=data["id"], machine_name=data["machine_name"])


def job_ref(data: Json) -> JobRef:
    return JobRef(id=data["id"], machine_name=data["machine_name"], name=data["name"])


def variable(data: Json) -> Variable:
    return Variable(
        name=data["name"],
        default=data.get("default"),
        required=bool(data.get("required", False)),
        secret=bool(data.get("secret", False)),
        description=data.get("description"),
    )


def user_ref(data: Json | None) -> UserRef | None:
    return None if data is None else UserRef(id=data["id"], username=data["username"])


@dataclass(frozen=True, kw_only=True)
class Account:
    """Your account."""

    id: str
    username: str
    name: str | None
    email: str | None
    is_admin: bool
    created: int
    changed: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Account:
        return parse("account", data, lambda d: cls(**_pick(cls, d), raw=dict(d)))


@dataclass(frozen=True, kw_only=True)
class Token:
    """An API token's record (never the token itself)."""

    id: str
    name: str
    created: int
    last_used: int | None
    expires: int | None = None  # when it stops working; None: valid until revoked
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Token:
        return parse("token", data, lambda d: cls(**_pick(cls, d), raw=dict(d)))


@dataclass(frozen=True, kw_only=True)
class CreatedToken(Token):
    """A token just created: ``token`` is the API token, shown this once."""

    token: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> CreatedToken:
        return parse("token", data, lambda d: cls(**_pick(cls, d), raw=dict(d)))


@dataclass(frozen=True, kw_only=True)
class Project:
    """A project: a named space of jobs and pipelines."""

    id: str
    machine_name: str
    name: str
    description: str | None
    created: int
    changed: int
    repository: str | None = None  # where its pipelines' code comes from
    default_branch: str = "main"
    log_retention_days: int | None = None  # None: the server's setting
    public_badges: bool = False  # badges shown to anyone, without the badge key
    artifacts_expire_in: int | None = None  # seconds; None: the server's setting
    badge: dict[str, str] | None = None  # {"url", "markdown"} of its status badge
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Project:
        return parse("project", data, lambda d: cls(**_pick(cls, d), raw=dict(d)))


@dataclass(frozen=True)
class Variable:
    """A variable a job declares; a run's ``env`` may set it."""

    name: str
    default: str | None = None
    required: bool = False
    secret: bool = False
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class Job:
    """A job: a shell script with declared variables, in a project."""

    id: str
    machine_name: str
    name: str
    description: str | None
    script: str
    variables: list[Variable]
    timeout: int | None
    project: ProjectRef
    created: int
    changed: int
    raw: dict[str, Any] = field(repr=False, compare=False)
    # Runner labels a run needs; retry {"count", "only_lost"} (older servers send neither).
    labels: list[str] = field(default_factory=list)
    retry: dict[str, Any] = field(default_factory=lambda: {"count": 0, "only_lost": False})
    # What its runs leave behind (None: nothing, or an older server): artifacts
    # {"paths", "when", "expire_in" (seconds)}, cache {"restore", "save": {"key",
    # "paths"}}, test_reports (JUnit XML patterns).
    artifacts: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
    test_reports: list[str] | None = None

    @classmethod
    def from_json(cls, data: Any) -> Job:
        def build(d: Json) -> Job:
            return cls(
                id=d["id"],
                machine_name=d["machine_name"],
                name=d["name"],
                description=d["description"],
                script=d["script"],
                variables=[variable(v) for v in d["variables"]],
                timeout=int_or_none(d["timeout"]),
                project=project_ref(d["project"]),
                created=int(d["created"]),
                changed=int(d["changed"]),
                raw=dict(d),
                labels=[str(label) for label in d.get("labels") or []],
                retry=dict(d.get("retry") or {"count": 0, "only_lost": False}),
                artifacts=dict_or_none(d.get("artifacts")),
                cache=dict_or_none(d.get("cache")),
                test_reports=None
                if d.get("test_reports") is None
                else [str(p) for p in d["test_reports"]],
            )

        return parse("job", data, build)


def _pick(cls: type[Any], data: Json) -> dict[str, Any]:
    """The fields of a flat dataclass from ``data`` (every one must be present)."""
    fields = cls.__dataclass_fields__
    # A field with a default is one an older server may not send.
    optional = {name for name, f in fields.items() if f.default is not MISSING}
    names = [name for name in fields if name != "raw"]
    return {name: data[name] for name in names if name in data or name not in optional}
