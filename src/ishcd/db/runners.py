"""Queries on runners (agents registered over HTTP) and their registration tokens."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection, Row
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import runner_registration_tokens as tokens
from ishcd.db.tables import runners, runs, users


@dataclass(frozen=True)
class RunnerRecord:
    id: str
    name: str
    labels: frozenset[str]
    version: str | None
    host: str | None
    concurrency: int
    paused: bool
    created: float
    last_contact: float | None


# The prefix of ``runs.runner_id`` for runs of a registered runner: ``runner:{id}:{slot}``.
RUN_PREFIX = "runner:"


class RegistrationTokenRecord(NamedTuple):
    id: str
    description: str
    secret_hash: str
    created: float
    created_by: str | None
    last_used: float | None


def join_labels(labels: frozenset[str] | list[str]) -> str:
    """Labels as stored: sorted, comma-joined."""
    return ",".join(sorted(set(labels)))


def split_labels(stored: str) -> frozenset[str]:
    return frozenset(label for label in stored.split(",") if label)


_RUNNER_COLUMNS = (
    runners.c.id,
    runners.c.name,
    runners.c.labels,
    runners.c.version,
    runners.c.host,
    runners.c.concurrency,
    runners.c.paused,
    runners.c.created,
    runners.c.last_contact,
)
_SELECT_RUNNER = sa.select(*_RUNNER_COLUMNS)
check_columns(_SELECT_RUNNER, tuple(f.name for f in RunnerRecord.__dataclass_fields__.values()))


def _runner(row: Row) -> RunnerRecord:
    return RunnerRecord(
        id=row[0],
        name=row[1],
        labels=split_labels(row[2]),
        version=row[3],
        host=row[4],
        concurrency=row[5],
        paused=bool(row[6]),
        created=row[7],
        last_contact=row[8],
    )


_INSERT_RUNNER = insert(runners)
_RUNNER_BY_ID = Query(_SELECT_RUNNER.where(runners.c.id == sa.bindparam("id")))
_RUNNER_BY_SECRET = Query(
    _SELECT_RUNNER.where(runners.c.secret_hash == sa.bindparam("secret_hash"))
)
_LIST_RUNNERS = Query(
    _SELECT_RUNNER.order_by(runners.c.name, runners.c.id)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
# Touched at most once a second per runner: the WHERE makes a second writer a no-op.
_TOUCH_RUNNER = Query(
    sa.update(runners)
    .where(
        runners.c.id == sa.bindparam("id"),
        sa.or_(
            runners.c.last_contact.is_(None),
            runners.c.last_contact < sa.bindparam("before"),
        ),
    )
    .values(last_contact=sa.bindparam("now"))
)
_SET_PAUSED = Query(
    sa.update(runners)
    .where(runners.c.id == sa.bindparam("id"))
    .values(paused=sa.bindparam("paused"))
)
_DELETE_RUNNER = Query(sa.delete(runners).where(runners.c.id == sa.bindparam("id")))
# Running runs by runner id, of registered runners only (``status`` is indexed).
_RUNNING = Query(
    sa.select(runs.c.runner_id, sa.func.count())
    .where(runs.c.status == "running", runs.c.runner_id.like(RUN_PREFIX + "%"))
    .group_by(runs.c.runner_id)
)
_RUNNING_OF = Query(
    sa.select(sa.func.count()).where(
        runs.c.status == "running", runs.c.runner_id.like(sa.bindparam("prefix"))
    )
)


async def insert_runner(
    conn: Connection,
    record: RunnerRecord,
    *,
    secret_hash: str,
    registration_token_id: str | None,
) -> None:
    await conn.execute(
        _INSERT_RUNNER,
        id=record.id,
        name=record.name,
        labels=join_labels(record.labels),
        version=record.version,
        host=record.host,
        concurrency=record.concurrency,
        secret_hash=secret_hash,
        paused=record.paused,
        created=record.created,
        last_contact=record.last_contact,
        registration_token_id=registration_token_id,
    )


async def get_runner(conn: Connection, runner_id: str) -> RunnerRecord | None:
    row = await conn.fetch_one(_RUNNER_BY_ID, id=runner_id)
    return None if row is None else _runner(row)


async def runner_by_secret(conn: Connection, secret_hash: str) -> RunnerRecord | None:
    row = await conn.fetch_one(_RUNNER_BY_SECRET, secret_hash=secret_hash)
    return None if row is None else _runner(row)


async def list_runners(conn: Connection, limit: int, offset: int) -> list[RunnerRecord]:
    rows = await conn.fetch_all(_LIST_RUNNERS, limit=limit, offset=offset)
    return [_runner(row) for row in rows]


def run_prefix(runner_id: str) -> str:
    """What the ``runs.runner_id`` of each run of this runner starts with."""
    return f"{RUN_PREFIX}{runner_id}:"


async def running_counts(conn: Connection) -> dict[str, int]:
    """How many runs each registered runner is running, by runner id (none: absent)."""
    counts: dict[str, int] = {}
    for claimant, count in await conn.fetch_all(_RUNNING):
        runner_id = claimant[len(RUN_PREFIX) :].partition(":")[0]
        counts[runner_id] = counts.get(runner_id, 0) + int(count)
    return counts


async def running_count(conn: Connection, runner_id: str) -> int:
    """How many runs one runner is running (its id is a UUID: no LIKE wildcards in it)."""
    return int(await conn.fetch_value(_RUNNING_OF, prefix=run_prefix(runner_id) + "%"))


async def touch_runner(conn: Connection, runner_id: str, now: float, before: float) -> bool:
    """Set ``last_contact`` to ``now`` unless it is already at or after ``before``."""
    return await conn.execute(_TOUCH_RUNNER, id=runner_id, now=now, before=before) > 0


async def set_paused(conn: Connection, runner_id: str, paused: bool) -> bool:
    return await conn.execute(_SET_PAUSED, id=runner_id, paused=paused) > 0


async def delete_runner(conn: Connection, runner_id: str) -> bool:
    return await conn.execute(_DELETE_RUNNER, id=runner_id) > 0


# Registration tokens.

_SELECT_TOKEN = sa.select(tokens)
check_columns(_SELECT_TOKEN, RegistrationTokenRecord._fields)
_INSERT_TOKEN = insert(tokens)
_TOKEN_BY_SECRET = Query(_SELECT_TOKEN.where(tokens.c.secret_hash == sa.bindparam("secret_hash")))
_TOKEN_BY_ID = Query(_SELECT_TOKEN.where(tokens.c.id == sa.bindparam("id")))
_TOKEN_USED = Query(
    sa.update(tokens).where(tokens.c.id == sa.bindparam("id")).values(last_used=sa.bindparam("now"))
)
_DELETE_TOKEN = Query(sa.delete(tokens).where(tokens.c.id == sa.bindparam("id")))
_LIST_TOKENS = Query(
    sa.select(*tokens.c, users.c.username.label("created_by_username"))
    .select_from(tokens.outerjoin(users, users.c.id == tokens.c.created_by))
    .order_by(tokens.c.created.desc(), tokens.c.id)
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)


class ListedRegistrationToken(NamedTuple):
    token: RegistrationTokenRecord
    created_by_username: str | None  # None: made by a local command, or its maker is gone


async def insert_registration_token(conn: Connection, record: RegistrationTokenRecord) -> None:
    await conn.execute(_INSERT_TOKEN, **record._asdict())


async def registration_token_by_secret(
    conn: Connection, secret_hash: str
) -> RegistrationTokenRecord | None:
    row = await conn.fetch_one(_TOKEN_BY_SECRET, secret_hash=secret_hash)
    return None if row is None else RegistrationTokenRecord._make(row)


async def get_registration_token(conn: Connection, token_id: str) -> RegistrationTokenRecord | None:
    row = await conn.fetch_one(_TOKEN_BY_ID, id=token_id)
    return None if row is None else RegistrationTokenRecord._make(row)


async def registration_token_used(conn: Connection, token_id: str, now: float) -> None:
    await conn.execute(_TOKEN_USED, id=token_id, now=now)


async def delete_registration_token(conn: Connection, token_id: str) -> bool:
    return await conn.execute(_DELETE_TOKEN, id=token_id) > 0


async def list_registration_tokens(
    conn: Connection, limit: int, offset: int
) -> list[ListedRegistrationToken]:
    """Newest first, with their makers' user names."""
    rows = await conn.fetch_all(_LIST_TOKENS, limit=limit, offset=offset)
    return [
        ListedRegistrationToken(RegistrationTokenRecord._make(row[:-1]), row[-1]) for row in rows
    ]
