"""The job form's part for what a job's runs leave behind: artifacts, test reports, a cache.

Lists are typed one item a line. Fields left empty send nothing (``null``), so the
edit form clears what it no longer shows.
"""

from __future__ import annotations

from typing import Any

from ishcd import outputs_config
from ishcd.db.jobs import JobRecord
from ishcd.services import jobs

LISTS = ("artifact_paths", "test_reports", "cache_restore", "cache_save_paths")
FIELDS = (*LISTS, "artifact_when", "artifact_expire_in", "cache_save_key")


def fields_of(job: JobRecord) -> dict[str, str]:
    """The form's fields for ``job``'s stored outputs."""
    kept = jobs.outputs_of(job)
    fields = dict.fromkeys(FIELDS, "")
    if kept.artifacts is not None:
        fields["artifact_paths"] = "\n".join(kept.artifacts.paths)
        fields["artifact_when"] = kept.artifacts.when
        expire_in = kept.artifacts.expire_in
        fields["artifact_expire_in"] = (
            "" if expire_in is None else outputs_config.duration_text(expire_in)
        )
    fields["test_reports"] = "\n".join(kept.test_reports)
    if kept.cache is not None:
        fields["cache_restore"] = "\n".join(kept.cache.restore)
        fields["cache_save_key"] = kept.cache.save_key or ""
        fields["cache_save_paths"] = "\n".join(kept.cache.save_paths)
    return fields


def _items(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def body_of(fields: dict[str, str]) -> dict[str, Any]:
    """``artifacts``, ``cache`` and ``test_reports`` as the API's request body has them."""
    paths = _items(fields["artifact_paths"])
    expire_in = fields["artifact_expire_in"].strip()
    artifacts = None
    if paths or expire_in:
        when = fields["artifact_when"] or "always"
        artifacts = {"paths": paths, "when": when, "expire_in": expire_in or None}
    restore = _items(fields["cache_restore"])
    key = fields["cache_save_key"].strip()
    save_paths = _items(fields["cache_save_paths"])
    cache: dict[str, Any] | None = None
    if restore or key or save_paths:
        cache = {"restore": restore or None}
        if key or save_paths:
            cache["save"] = {"key": key, "paths": save_paths}
    reports = _items(fields["test_reports"])
    return {"artifacts": artifacts, "cache": cache, "test_reports": reports or None}
