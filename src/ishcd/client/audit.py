"""The audit log: ``client.audit()`` (site admins), ``client.projects("p").audit()``."""

from __future__ import annotations

from collections.abc import Iterator

from ishcd.client.access_models import AuditEvent
from ishcd.client.transport import Params, Transport

AuditList = list[AuditEvent]


class Audit:
    """Audit events, newest first: a project's (its admins) or the whole site's."""

    def __init__(self, transport: Transport, path: str):
        self._transport = transport
        self._path = path

    def list(
        self,
        *,
        action: str | None = None,
        project: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> AuditList:
        """One page of events; ``action`` (``run.create`` …) filters them, and on the
        site's log ``project`` (a project id) too."""
        params: Params = {"action": action, "project": project, "page": page, "per_page": per_page}
        return [AuditEvent.from_json(e) for e in self._transport.items(self._path, params)]

    def iter_all(
        self, *, action: str | None = None, project: str | None = None, per_page: int = 100
    ) -> Iterator[AuditEvent]:
        """Every event (filtered as :meth:`list`), fetching page after page as needed."""
        params: Params = {"action": action, "project": project, "per_page": per_page}
        for items in self._transport.pages(self._path, params):
            yield from (AuditEvent.from_json(item) for item in items)
