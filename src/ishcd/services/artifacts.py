"""Artifacts: the files a run keeps, stored once by content, listed, served, expired.

A runner sends each file through the runner protocol (``services.uploads``,
kind "artifact", named by its path in the workspace); ``receive`` checks the
path and the limits (``ISHCD_ARTIFACT_MAX_FILE`` per file, ``ISHCD_ARTIFACT_MAX_RUN``
per run) and keeps it as a blob. Each artifact expires after its job's
``expire_in``, else its project's ``artifacts_expire_in``, else the server's
``ISHCD_ARTIFACT_EXPIRE_IN`` (0 at the level that decides: kept for ever); the
sweep (``sweep``, in the retention sweep) removes the expired ones, never those
of the latest successful run of their job and branch, and frees the blobs
nothing refers to any more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from ishcd import blobstore, exceptions
from ishcd.blobstore import BlobStore
from ishcd.db import artifacts as artifacts_db
from ishcd.db import jobs as jobs_db
from ishcd.db.artifacts import ArtifactRecord
from ishcd.db.database import Connection, Database
from ishcd.db.runs import RunRecord
from ishcd.outputs import ArtifactsSpec
from ishcd.runner.protocol import UploadRefused
from ishcd.services import access, ids, runs
from ishcd.services.principal import Caller
from ishcd.settings import Settings

if TYPE_CHECKING:
    from ishcd.services.uploads import Keeping, Staged

MAX_PATH = 1024  # characters: the column's size
SWEEP_BATCH = 500
# A blob younger than this is never freed: an upload may be between keeping the
# blob and recording the artifact that refers to it.
FREE_GRACE = 3600.0

# By extension (lower case); anything else is application/octet-stream. A fixed
# table rather than the system's mime.types: the same answer on every server.
CONTENT_TYPES = {
    "txt": "text/plain",
    "log": "text/plain",
    "out": "text/plain",
    "md": "text/markdown",
    "rst": "text/plain",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "html": "text/html",
    "htm": "text/html",
    "css": "text/css",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "xml": "text/xml",
    "svg": "image/svg+xml",
    "json": "application/json",
    "yaml": "text/yaml",
    "yml": "text/yaml",
    "toml": "text/plain",
    "ini": "text/plain",
    "cfg": "text/plain",
    "diff": "text/plain",
    "patch": "text/plain",
    "py": "text/plain",
    "sh": "text/plain",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "ico": "image/x-icon",
    "avif": "image/avif",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "tgz": "application/gzip",
    "bz2": "application/x-bzip2",
    "xz": "application/x-xz",
    "zst": "application/zstd",
    "tar": "application/x-tar",
    "whl": "application/zip",
    "jar": "application/java-archive",
    "deb": "application/vnd.debian.binary-package",
    "rpm": "application/x-rpm",
    "wasm": "application/wasm",
}
OCTET_STREAM = "application/octet-stream"
# Served as plain text: a script file must never be usable as a script on this origin.
_AS_TEXT = frozenset({"text/javascript"})


def content_type(path: str) -> str:
    """The content type of a file by its name's extension."""
    suffix = PurePosixPath(path).suffix.lower().lstrip(".")
    return CONTENT_TYPES.get(suffix, OCTET_STREAM)


@dataclass(frozen=True)
class Serving:
    """How a download answers: its Content-Type and whether it opens in the browser."""

    media_type: str
    inline: bool


def serving(stored_type: str, download: bool) -> Serving:
    """Text, images and JSON open in the browser (HTML and SVG too, always sandboxed:
    their scripts cannot run); the rest, and anything with ``download``, downloads."""
    major = stored_type.partition("/")[0]
    inline = not download and (major in ("text", "image") or stored_type == "application/json")
    media = "text/plain" if stored_type in _AS_TEXT and inline else stored_type
    if media.startswith("text/"):
        media += "; charset=utf-8"
    return Serving(media, inline)


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot be an artifact's path (relative, normalized, "/"-separated,
    inside the workspace), or None."""
    if not path:
        return "is empty"
    if len(path) > MAX_PATH:
        return f"is longer than {MAX_PATH} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return "contains a control character"
    if path.startswith("/"):
        return "is absolute: artifacts are paths relative to the workspace"
    parts = path.split("/")
    if ".." in parts:
        return "has a '..' part: artifacts stay inside the workspace"
    if "" in parts or "." in parts:
        return "is not a normalized path (an empty or '.' part)"
    return None


def expires_at(created: float, job: int | None, project: int | None, server: int) -> float | None:
    """When an artifact kept at ``created`` expires: the first of the job's, the
    project's and the server's setting that is given (seconds; 0: never)."""
    seconds = next(value for value in (job, project, server) if value is not None)
    return None if seconds == 0 else created + seconds


def max_file(settings: Settings) -> int:
    """The largest artifact a runner may send: a larger body is cut off (413)."""
    return settings.artifact_max_file


def limit_problem(size: int, run_total: int, max_file: int, max_run: int) -> str | None:
    """Why a file of ``size`` bytes cannot be kept by a run that has kept ``run_total``."""
    if size > max_file:
        return (
            f"it is {size:,} bytes, past the limit of {max_file:,} bytes per file "
            "(ISHCD_ARTIFACT_MAX_FILE)"
        )
    if run_total + size > max_run:
        return (
            f"it is {size:,} bytes and the run has kept {run_total:,}: past the limit of "
            f"{max_run:,} bytes per run (ISHCD_ARTIFACT_MAX_RUN)"
        )
    return None


async def receive(keeping: Keeping, run: RunRecord, name: str, staged: Staged) -> dict[str, Any]:
    """Keep an uploaded file as the run's artifact at path ``name`` (the runner
    protocol's "artifact" upload). Refused (``UploadRefused``): a bad path (422), a
    file past a limit (413)."""
    problem = path_problem(name)
    if problem is not None:
        raise UploadRefused(f"artifact path {name!r} {problem}", 422)
    settings = keeping.settings
    async with keeping.db.read() as conn:
        total = await artifacts_db.run_total(conn, run.id, besides=name)
        project_expire_in = await artifacts_db.project_expire_in(conn, run.project_id)
    problem = limit_problem(
        staged.size, total, settings.artifact_max_file, settings.artifact_max_run
    )
    if problem is not None:
        raise UploadRefused(f"artifact {name!r} not kept: {problem}", 413)
    spec = declared(run)
    created = time.time()
    record = ArtifactRecord(
        id=0,
        run_id=run.id,
        project_id=run.project_id,
        job_name=run.job_ref[1],
        branch=run.branch,
        path=name,
        size=staged.size,
        sha256=staged.sha256,
        content_type=content_type(name),
        created=created,
        expires=expires_at(
            created,
            None if spec is None else spec.expire_in,
            project_expire_in,
            settings.artifact_expire_in,
        ),
    )
    await keeping.blobs.adopt(staged.path, staged.sha256, staged.size)
    async with keeping.db.transaction() as conn:
        await artifacts_db.put_artifact(conn, record)
    return {
        "stored": True,
        "path": name,
        "size": staged.size,
        "sha256": staged.sha256,
        "run_total": total + staged.size,
        "max_file": settings.artifact_max_file,
        "max_run": settings.artifact_max_run,
    }


def declared(run: RunRecord) -> ArtifactsSpec | None:
    """The artifacts the run's job declared (copied onto the run), if any."""
    return run.outputs.artifacts


async def list_artifacts(
    conn: Connection,
    caller: Caller,
    run_id: str,
    *,
    limit: int,
    offset: int,
    project_ish: str | None = None,
    job_ish: str | None = None,
) -> tuple[RunRecord, list[ArtifactRecord]]:
    """A run the caller may see, and a page of its artifacts by path."""
    run = await runs.get_run(conn, caller, run_id, project_ish=project_ish, job_ish=job_ish)
    return run, await artifacts_db.list_artifacts(conn, run.id, limit, offset)


async def get_artifact(
    conn: Connection,
    caller: Caller,
    run_id: str,
    path: str,
    *,
    project_ish: str | None = None,
    job_ish: str | None = None,
) -> tuple[RunRecord, ArtifactRecord]:
    """The run's artifact at ``path``, if the caller may see the run."""
    run = await runs.get_run(conn, caller, run_id, project_ish=project_ish, job_ish=job_ish)
    found = await artifacts_db.get_artifact(conn, run.id, path)
    if found is None:
        raise exceptions.NotFound(f"run {run.id} has no artifact {path!r}")
    return run, found


async def latest_artifact(
    conn: Connection, caller: Caller, project_ish: str, job: str, branch: str | None, path: str
) -> ArtifactRecord:
    """The file at ``path`` of the latest successful run of ``job`` (a stored job's id
    or machine name, or a pipeline job's name) on ``branch`` (None: any branch)."""
    project = await access.project_for(conn, caller, project_ish)
    job_name = job
    if ids.looks_like_uuid(job):
        stored = await jobs_db.find_job(conn, project.id, job, by_id=True)
        if stored is not None:
            job_name = stored.machine_name
    found = await artifacts_db.latest_artifact(conn, project.id, job_name, branch, path)
    if found is None:
        where = "" if branch is None else f" on branch {branch!r}"
        raise exceptions.NotFound(
            f"no successful run of job {job_name!r}{where} in project "
            f"{project.machine_name!r} has kept an artifact {path!r}"
        )
    return found


async def sweep(db: Database, blobs: BlobStore, now: float) -> tuple[int, int]:
    """Remove expired artifacts (but the latest successful run's of each job and
    branch), then free the blobs nothing refers to; (artifacts removed, blobs freed)."""
    removed = 0
    while True:
        async with db.transaction() as conn:
            gone = await artifacts_db.delete_expired(conn, now, SWEEP_BATCH)
        removed += gone
        if gone < SWEEP_BATCH:
            break
    freed = await blobstore.free_unreferenced(db, blobs, older_than=now - FREE_GRACE)
    return removed, freed
