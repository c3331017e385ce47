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
