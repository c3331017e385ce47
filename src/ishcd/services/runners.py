"""Runners: agents that register with a registration token and then work over HTTP.

A runner registers once with a registration token a site admin made
(``ishrt_…``) and gets its own credential (``ishr_…``), shown once; only its
sha256 is stored. Every call of the runner protocol names that credential
(``authenticate``). A deleted runner's credential stops working at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from ishcd import exceptions
from ishcd.db import runners as runners_db
from ishcd.db.database import Connection
from ishcd.db.run_queue import MAX_RUNNER_LABELS
from ishcd.db.runners import RunnerRecord
from ishcd.exceptions import FieldError
from ishcd.pipelines.build import LABEL
from ishcd.services import access, audit, ids
from ishcd.services.principal import Caller

__all__ = [
    "CREDENTIAL_PREFIX",
    "REGISTRATION_PREFIX",
    "RunnerRecord",
    "RunnerStatus",
    "authenticate",
    "delete_runner",
    "find",
    "get_runner",
    "hash_secret",
    "list_runners",
    "register",
    "set_paused",
    "touch",
]

CREDENTIAL_PREFIX = "ishr_"
REGISTRATION_PREFIX = "ishrt_"
MAX_NAME = 200
MAX_VERSION = 64
MAX_HOST = 255
MAX_CONCURRENCY = 256
# A runner's last contact is written at most this often (seconds).
TOUCH_EVERY = 1.0
LABEL_RULE = "1 to 64 letters, digits, '_', '.', ':' or '-'"
# Longer than any credential or token we make: refused before hashing.
MAX_SECRET = 200


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def check_labels(labels: list[str], field: str = "labels") -> frozenset[str]:
    """Labels as a runner may have them (the same rule as jobs' labels)."""
    errors = [
        FieldError(f"{field}[{i}]", f"must be {LABEL_RULE}")
        for i, label in enumerate(labels)
        if not isinstance(label, str) or not LABEL.fullmatch(label)
    ]
    if errors:
        raise exceptions.ValidationFailed.many("invalid labels", errors)
    unique = frozenset(labels)
    if len(unique) > MAX_RUNNER_LABELS:
        raise exceptions.ValidationFailed.one(field, f"at most {MAX_RUNNER_LABELS} labels")
    return unique


def _check(
    name: str, labels: list[str], version: str | None, host: str | None, concurrency: int
) -> frozenset[str]:
    errors: list[FieldError] = []
    if not name.strip() or len(name) > MAX_NAME or not name.isprintable():
        errors.append(FieldError("name", f"must be 1 to {MAX_NAME} printable characters"))
    if version is not None and (len(version) > MAX_VERSION or not version.isprintable()):
        errors.append(FieldError("version", f"must be at most {MAX_VERSION} printable characters"))
    if host is not None and (len(host) > MAX_HOST or not host.isprintable()):
        errors.append(FieldError("host", f"must be at most {MAX_HOST} printable characters"))
    if isinstance(concurrency, bool) or not 1 <= concurrency <= MAX_CONCURRENCY:
        errors.append(FieldError("concurrency", f"must be from 1 to {MAX_CONCURRENCY}"))
    if errors:
        raise exceptions.ValidationFailed.many("invalid runner", errors)
    return check_labels(labels)


async def register(
    conn: Connection,
    registration_token: str,
    *,
    name: str,
    labels: list[str],
    version: str | None,
    host: str | None,
    concurrency: int,
    now: float,
    ip: str | None = None,
) -> tuple[RunnerRecord, str]:
    """Register a runner with a registration token: the runner and its credential (shown once).

    ``conn`` must be a transaction. An unknown or revoked token is a 401. ``ip``,
    the agent's address, goes to the audit log.
    """
    token = None
    if registration_token.startswith(REGISTRATION_PREFIX) and len(registration_token) <= MAX_SECRET:
        token = await runners_db.registration_token_by_secret(conn, hash_secret(registration_token))
    if token is None:
        raise exceptions.Unauthorized("unknown or revoked registration token")
    unique = _check(name, labels, version, host, concurrency)
    credential = new_secret(CREDENTIAL_PREFIX)
    record = RunnerRecord(
        id=ids.new_id(),
        name=name,
        labels=unique,
        version=version,
        host=host,
        concurrency=concurrency,
        paused=False,
        created=now,
        last_contact=now,
    )
    await runners_db.insert_runner(
        conn, record, secret_hash=hash_secret(credential), registration_token_id=token.id
    )
    await runners_db.registration_token_used(conn, token.id, now)
    details = {"registration_token": token.id, "labels": sorted(unique), "host": host}
    await audit.record(
        conn, None, "runner.register", target=_target(record), details=details, ip=ip
    )
    return record, credential


async def find(conn: Connection, credential: str) -> RunnerRecord | None:
    """The runner whose credential this is (None: unknown or deleted); reads only."""
    if not credential.startswith(CREDENTIAL_PREFIX) or len(credential) > MAX_SECRET:
        return None
    return await runners_db.runner_by_secret(conn, hash_secret(credential))


async def touch(conn: Connection, runner: RunnerRecord, now: float) -> RunnerRecord:
    """Note contact from ``runner`` at ``now`` (written at most about once a second)."""
    if runner.last_contact is not None and now - runner.last_contact < TOUCH_EVERY:
        return runner
    await runners_db.touch_runner(conn, runner.id, now, now - TOUCH_EVERY)
    return dataclasses.replace(runner, last_contact=now)


async def authenticate(conn: Connection, credential: str, now: float) -> RunnerRecord | None:
    """The runner with this credential, its last contact noted; None for unknown or deleted.

    ``conn`` must be able to write (a transaction) when the last contact is over
    a second old; ``find`` then ``touch`` split the read from that write.
    """
    runner = await find(conn, credential)
    return None if runner is None else await touch(conn, runner, now)


# Administration (site admins).

State = Literal["online", "offline", "paused"]


@dataclass(frozen=True)
class RunnerStatus:
    runner: RunnerRecord
    running: int  # runs it is running now
    state: State


def _target(runner: RunnerRecord) -> tuple[str, str, str]:
    return ("runner", runner.id, runner.name)


def state_of(runner: RunnerRecord, now: float, lost_after: float) -> State:
    """Paused, else online when heard from within ``lost_after`` seconds, else offline."""
    if runner.paused:
        return "paused"
    if runner.last_contact is not None and now - runner.last_contact <= lost_after:
        return "online"
    return "offline"


async def list_runners(
    conn: Connection, caller: Caller, limit: int, offset: int, *, lost_after: float
) -> list[RunnerStatus]:
    """Registered runners by name, with their running runs and state (site admins)."""
    access.require_site_admin(caller)
    found = await runners_db.list_runners(conn, limit, offset)
    counts = await runners_db.running_counts(conn) if found else {}
    now = time.time()
    return [
        RunnerStatus(runner, counts.get(runner.id, 0), state_of(runner, now, lost_after))
        for runner in found
    ]


async def _runner(conn: Connection, caller: Caller, runner_id: str) -> RunnerRecord:
    access.require_site_admin(caller)
    runner = None
    if ids.looks_like_uuid(runner_id):
        runner = await runners_db.get_runner(conn, runner_id)
    if runner is None:
        raise exceptions.NotFound(f"runner {runner_id!r} not found")
    return runner


async def get_runner(
    conn: Connection, caller: Caller, runner_id: str, *, lost_after: float
) -> RunnerStatus:
    """One registered runner, with its running runs and state (site admins)."""
    runner = await _runner(conn, caller, runner_id)
    running = await runners_db.running_count(conn, runner.id)
    return RunnerStatus(runner, running, state_of(runner, time.time(), lost_after))


async def set_paused(
    conn: Connection, caller: Caller, runner_id: str, paused: bool, *, lost_after: float
) -> RunnerStatus:
    """Pause a runner (it gets no new work; its running runs go on) or resume it."""
    runner = await _runner(conn, caller, runner_id)
    if runner.paused != paused:
        await runners_db.set_paused(conn, runner.id, paused)
        action = "runner.pause" if paused else "runner.resume"
        await audit.record(conn, caller, action, target=_target(runner))
    return await get_runner(conn, caller, runner.id, lost_after=lost_after)


async def delete_runner(conn: Connection, caller: Caller, runner_id: str) -> None:
    """Delete a runner (site admins): its credential stops working at once."""
    runner = await _runner(conn, caller, runner_id)
    if not await runners_db.delete_runner(conn, runner.id):
        raise exceptions.NotFound(f"runner {runner_id!r} not found")
    await audit.record(conn, caller, "runner.delete", target=_target(runner))
