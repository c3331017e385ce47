"""Queries on the audit log."""

from __future__ import annotations

import functools
import json
from typing import Any, NamedTuple

import sqlalchemy as sa

from ishcd.db.database import Connection
from ishcd.db.query import Query, check_columns, insert
from ishcd.db.tables import audit_events


class AuditRecord(NamedTuple):
    seq: int
    id: str
    created: float
    action: str
    actor_user_id: str | None
    actor_username: str | None
    actor_token_id: str | None
    actor_token_name: str | None
    project_id: str | None
    project_machine_name: str | None
    target_type: str | None
    target_id: str | None
    target_name: str | None
    details_json: str
    ip: str | None

    @property
    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = json.loads(self.details_json)
        return details


_SELECT = sa.select(
    *(c.label("details_json") if c.name == "details" else c for c in audit_events.c)
)
check_columns(_SELECT, AuditRecord._fields)
_INSERT = insert(audit_events, exclude=("seq",))


async def insert_event(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(_INSERT, **values)


@functools.lru_cache(maxsize=8)
def _list_query(by_project: bool, by_action: bool) -> Query:
    stmt = _SELECT
    if by_project:
        stmt = stmt.where(audit_events.c.project_id == sa.bindparam("project_id"))
    if by_action:
        stmt = stmt.where(audit_events.c.action == sa.bindparam("action"))
    stmt = stmt.order_by(audit_events.c.seq.desc()).limit(sa.bindparam("limit"))
    return Query(stmt.offset(sa.bindparam("offset")))


async def list_events(
    conn: Connection,
    *,
    project_id: str | None,
    action: str | None,
    limit: int,
    offset: int,
) -> list[AuditRecord]:
    """Events newest first, of one project and/or one action, or all."""
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if project_id is not None:
        params["project_id"] = project_id
    if action is not None:
        params["action"] = action
    query = _list_query(project_id is not None, action is not None)
    return [AuditRecord._make(row) for row in await conn.fetch_all(query, **params)]
