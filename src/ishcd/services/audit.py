"""The audit log: who (user or token) did what to what, and when.

Services record events inside the transaction of the change itself, so an
event exists exactly when its change does.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ishcd.db import audit as audit_db
from ishcd.db.audit import AuditRecord
from ishcd.db.database import Connection
from ishcd.db.projects import ProjectRecord
from ishcd.services import access, ids
from ishcd.services.principal import Caller


async def record(
    conn: Connection,
    caller: Caller | None,
    action: str,
    *,
    project: ProjectRecord | None = None,
    target: tuple[str, str, str | None] | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    """Record ``action`` (e.g. ``job.update``) by ``caller`` (None: anonymous).

    ``target`` is (type, id, name) of what was acted on.
    """
    target_type, target_id, target_name = target or (None, None, None)
    await audit_db.insert_event(
        conn,
        {
            "id": ids.new_id(),
            "created": time.time(),
            "action": action,
            "actor_user_id": caller.user_id if caller else None,
            "actor_username": caller.username if caller else None,
            "actor_token_id": caller.token_id if caller else None,
            "actor_token_name": caller.token_name if caller else None,
            "project_id": project.id if project else None,
            "project_machine_name": project.machine_name if project else None,
            "target_type": target_type,
            "target_id": target_id,
            "target_name": target_name,
            "details": json.dumps(details or {}),
            "ip": ip if ip is not None else (caller.ip if caller else None),
        },
    )


async def project_events(
    conn: Connection,
    caller: Caller,
    project_ish: str,
    *,
    action: str | None,
    limit: int,
    offset: int,
) -> list[AuditRecord]:
    """A project's events, newest first (project admins)."""
    project = await access.project_for(conn, caller, project_ish, "admin")
    return await audit_db.list_events(
        conn, project_id=project.id, action=action, limit=limit, offset=offset
    )


async def site_events(
    conn: Connection,
    caller: Caller,
    *,
    project_id: str | None,
    action: str | None,
    limit: int,
    offset: int,
) -> list[AuditRecord]:
    """Every event, newest first (site admins)."""
    access.require_site_admin(caller)
    return await audit_db.list_events(
        conn, project_id=project_id, action=action, limit=limit, offset=offset
    )
