"""Files runs leave behind (artifacts, caches): one interface, two stores.

A blob is a file's bytes, stored once by content: its name is its SHA-256, so
the same file from a hundred runs is one blob. Blobs are written whole (a
staged file is adopted only once complete: a reader never sees half a blob)
and read by byte range, never held whole in memory. ``blobs`` rows (the
database) list every blob of either store; artifacts and caches refer to them
by sha256, and the retention sweep frees blobs nothing refers to.

``FileBlobStore`` (``blobstore_file``) keeps them as files under the data
directory (one server, SQLite); ``DatabaseBlobStore`` (``blobstore_db``) keeps
them in PostgreSQL in chunks, so any replica serves any blob. ``open_store``
picks one as the log store is picked (``ISHCD_BLOB_STORE``).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ishcd.db.database import Database
    from ishcd.settings import Settings

# Bytes per piece read, written and (database store) stored per row.
CHUNK = 1024 * 1024
# Blobs freed per transaction of the sweep.
FREE_BATCH = 500


@dataclass(frozen=True)
class Blob:
    sha256: str  # hex
    size: int


class BlobMissing(Exception):
    """No such blob (never stored, or freed)."""


class BlobStore(abc.ABC):
    @abc.abstractmethod
    async def adopt(self, staged: Path, sha256: str, size: int) -> Blob:
        """Store the complete file at ``staged`` (whose checksum and size the caller
        computed while writing it) as a blob. The file is moved or copied and is
        gone afterwards; a blob already stored is kept as it is."""

    @abc.abstractmethod
    async def size(self, sha256: str) -> int | None:
        """The blob's size; None when it is not stored."""

    @abc.abstractmethod
    def read(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Bytes [start, end) of the blob (``end`` None: to its end), in chunks.

        Raises ``BlobMissing`` (at the first iteration) when it is not stored."""

    @abc.abstractmethod
    async def copy_to(self, sha256: str, path: Path) -> None:
        """Write the whole blob to the new file ``path`` (a restore, a local download)."""

    @abc.abstractmethod
    async def free(self, sha256s: list[str]) -> None:
        """Remove these blobs (nothing refers to them any more)."""


class BlobStoreRefused(ValueError):
    """The settings ask for a blob store this database cannot hold."""


def choose(settings: Settings, dialect: str) -> str:
    """``file`` or ``database``: what ``ISHCD_BLOB_STORE`` gives on this database."""
    wanted = settings.blob_store
    if wanted == "auto":
        return "database" if dialect == "postgresql" else "file"
    if wanted == "database" and dialect != "postgresql":
        raise BlobStoreRefused(
            "ISHCD_BLOB_STORE=database keeps files in PostgreSQL, and the database is "
            f"{dialect}: use ISHCD_BLOB_STORE=file (or auto) with SQLite"
        )
    return wanted


def open_store(settings: Settings, db: Database) -> BlobStore:
    """The blob store the settings ask for on ``db``."""
    if choose(settings, db.dialect) == "database":
        from ishcd.blobstore_db import DatabaseBlobStore

        return DatabaseBlobStore(db)
    from ishcd.blobstore_file import FileBlobStore

    return FileBlobStore(settings.blobs_dir, db)


async def free_unreferenced(db: Database, blobs: BlobStore, older_than: float) -> int:
    """Free the blobs no artifact or cache refers to, adopted before ``older_than``
    (Unix time: a blob adopted since, e.g. by an upload whose artifact is not
    written yet, is kept). How many were freed."""
    from ishcd.db import blobs as blobs_db

    freed = 0
    while True:
        async with db.transaction() as conn:
            gone = await blobs_db.delete_unreferenced(conn, older_than, FREE_BATCH)
        if gone:
            await blobs.free(gone)
            freed += len(gone)
        if len(gone) < FREE_BATCH:
            return freed
