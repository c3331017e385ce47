"""Artifacts through the API: a run's kept files, listed and downloaded, and the
latest successful run's file of a job.

Downloads stream to a file (never whole in memory); ``read`` takes a byte range.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ishcd.client.models import parse
from ishcd.client.transport import Params, Transport, segment


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """One of a run's kept files."""

    path: str  # in the run's workspace, "/"-separated
    size: int
    sha256: str
    content_type: str
    url: str  # where to download it
    created: int
    expires: int | None  # None: kept for ever
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Artifact:
        def build(d: Any) -> Artifact:
            return cls(
                path=str(d["path"]),
                size=int(d["size"]),
                sha256=str(d["sha256"]),
                content_type=str(d["content_type"]),
                url=str(d["url"]),
                created=int(d["created"]),
                expires=None if d["expires"] is None else int(d["expires"]),
                raw=dict(d),
            )

        return parse("artifact", data, build)


def _range(start: int | None, end: int | None) -> dict[str, str] | None:
    """The ``Range`` header for bytes [start, end) (``end`` None: to the end)."""
    if start is None and end is None:
        return None
    first = start or 0
    last = "" if end is None else str(end - 1)
    return {"Range": f"bytes={first}-{last}"}


def _save(chunks: Iterator[bytes], to: str | os.PathLike[str]) -> Path:
    target = Path(to)
    with target.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return target


class RunArtifacts:
    """A run's artifacts: ``client.runs(id).artifacts()``."""

    def __init__(self, transport: Transport, run_path: str):
        self._transport = transport
        self._path = run_path + "/artifacts"

    def list(self, *, page: int | None = None, per_page: int | None = None) -> list[Artifact]:
        """One page of the run's artifacts, by path."""
        items = self._transport.items(self._path, {"page": page, "per_page": per_page})
        return [Artifact.from_json(item) for item in items]

    def iter_all(self, *, per_page: int = 100) -> Iterator[Artifact]:
        """Every artifact of the run, by path, page after page."""
        for items in self._transport.pages(self._path, {"per_page": per_page}):
            yield from (Artifact.from_json(item) for item in items)

    def stream(
        self, path: str, *, start: int | None = None, end: int | None = None
    ) -> Iterator[bytes]:
        """The artifact's bytes [start, end) (all of it when neither is given), in chunks."""
        url = f"{self._path}/{segment_path(path)}"
        with self._transport.stream(url, headers=_range(start, end)) as response:
            yield from response.iter_bytes()

    def read(self, path: str, *, start: int | None = None, end: int | None = None) -> bytes:
        """The artifact's bytes [start, end), in memory: for small files or parts."""
        return b"".join(self.stream(path, start=start, end=end))

    def download(self, path: str, to: str | os.PathLike[str]) -> Path:
        """Write the artifact to the file ``to``, streamed; that file's path."""
        return _save(self.stream(path), to)


class ProjectArtifacts:
    """A project's artifacts by job: ``client.projects(p).artifacts()``."""

    def __init__(self, transport: Transport, project_path: str):
        self._transport = transport
        self._path = project_path + "/artifacts/latest"

    def stream_latest(self, job: str, path: str, *, branch: str | None = None) -> Iterator[bytes]:
        """The file at ``path`` of the latest successful run of ``job`` (on ``branch``;
        None: any) that kept one, in chunks. A 404 :class:`~ishcd.client.errors.NotFound`
        says when there is none."""
        params: Params = {"job": job, "path": path, "branch": branch}
        with self._transport.stream(self._path, params) as response:
            yield from response.iter_bytes()

    def read_latest(self, job: str, path: str, *, branch: str | None = None) -> bytes:
        """As :meth:`stream_latest`, in memory."""
        return b"".join(self.stream_latest(job, path, branch=branch))

    def download_latest(
        self, job: str, path: str, to: str | os.PathLike[str], *, branch: str | None = None
    ) -> Path:
        """Write the latest successful run's file to ``to``, streamed; that file's path."""
        return _save(self.stream_latest(job, path, branch=branch), to)


def segment_path(path: str) -> str:
    """An artifact's path in a URL: each part quoted, the slashes kept."""
    return "/".join(segment(part) for part in path.split("/"))
