"""The run page's artifacts: each with its size and a link (templates/run_artifacts.html).

Links go to the API's download route (``GET /v1/runs/{id}/artifacts/{path}``), which
the page's login session authenticates: text, images and HTML open in the browser
(HTML sandboxed, by the answer's headers), the rest download.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from ishcd.db import artifacts as artifacts_db
from ishcd.db.database import Database
from ishcd.db.runs import RunRecord
from ishcd.services import artifacts
from ishcd.sizes import human_size

# The page lists this many; the rest are in the API's list.
SHOWN = 100


@dataclass(frozen=True)
class ArtifactRow:
    path: str
    size: str  # for people: "12.4 MB"
    bytes: int
    content_type: str
    url: str
    opens: bool  # shown in the browser rather than downloaded


@dataclass(frozen=True)
class ArtifactList:
    rows: list[ArtifactRow]
    more: bool  # past SHOWN: the page links the API's list
    api_url: str


async def artifacts_of(db: Database, run: RunRecord) -> ArtifactList | None:
    """The run's first ``SHOWN`` artifacts by path (the caller may see the run); None
    when it has none and its job declares none (the page then leaves them out)."""
    async with db.read() as conn:
        found = await artifacts_db.list_artifacts(conn, run.id, SHOWN + 1, 0)
    if not found and artifacts.declared(run) is None:
        return None
    base = f"/v1/runs/{run.id}/artifacts"
    rows = []
    for record in found[:SHOWN]:
        opens = artifacts.serving(record.content_type, download=False).inline
        url = f"{base}/{quote(record.path, safe='/')}"
        rows.append(
            ArtifactRow(
                record.path,
                human_size(record.size),
                record.size,
                record.content_type,
                url if opens else url + "?download=1",
                opens,
            )
        )
    return ArtifactList(rows, len(found) > SHOWN, base + f"?per_page={SHOWN}")
