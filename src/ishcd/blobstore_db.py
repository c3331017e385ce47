"""The database blob store: blobs in PostgreSQL, so any replica serves any blob.

A blob is its row in ``blobs`` and its bytes in ``blob_chunks``: rows of
``CHUNK`` bytes (the last one shorter) keyed by the offset they start at, so
a range is read by selecting only the chunks it spans.

Adopting is one transaction: the blob's row is inserted (or, when it is
there, touched) first, which locks it; only the transaction that made the
row writes the chunks. Two uploads of the same content at once therefore
store it once: the second waits for the first's row, then finds it. A
transaction cut off (a lost connection, a killed server) leaves nothing, as
the row and its chunks commit together; readers never see part of a blob.

Reads go ``READ_BATCH`` chunks per query, with no connection held between
queries (a slow client holds none).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

from ishcd.blobstore import CHUNK, Blob, BlobMissing, BlobStore
from ishcd.db import blobs as blobs_db
from ishcd.db.database import Database
from ishcd.services import staging

READ_BATCH = 4


class DatabaseBlobStore(BlobStore):
    def __init__(self, db: Database):
        self.db = db

    async def adopt(self, staged: Path, sha256: str, size: int) -> Blob:
        try:
            async with self.db.transaction() as conn:
                if await blobs_db.claim(conn, sha256, size, time.time()):
                    await blobs_db.drop_chunks(conn, sha256)  # a freed blob's leftovers
                    start, pending = 0, bytearray()
                    # Rows of exactly CHUNK bytes (the last one shorter): reads count on it.
                    async for piece in staging.file_pieces(staged, CHUNK):
                        pending += piece
                        while len(pending) >= CHUNK:
                            await blobs_db.insert_chunk(conn, sha256, start, bytes(pending[:CHUNK]))
                            del pending[:CHUNK]
                            start += CHUNK
                    if pending:
                        await blobs_db.insert_chunk(conn, sha256, start, bytes(pending))
        finally:
            staging.remove(staged)
        return Blob(sha256, size)

    async def size(self, sha256: str) -> int | None:
        async with self.db.read() as conn:
            return await blobs_db.size_of(conn, sha256)

    async def read(
        self, sha256: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        size = await self.size(sha256)
        if size is None:
            raise BlobMissing(sha256)
        stop = size if end is None else min(end, size)
        position = start
        while position < stop:
            first = position - position % CHUNK
            async with self.db.read() as conn:
                found = await blobs_db.chunks(
                    conn, sha256, first, min(stop, first + READ_BATCH * CHUNK)
                )
            if not found:
                raise BlobMissing(sha256)  # freed while it was read
            for chunk_start, data in found:
                piece = data[position - chunk_start : stop - chunk_start]
                if piece:
                    position += len(piece)
                    yield piece

    async def copy_to(self, sha256: str, path: Path) -> None:
        with path.open("wb") as out:
            async for piece in self.read(sha256):
                await asyncio.to_thread(out.write, piece)

    async def free(self, sha256s: list[str]) -> None:
        async with self.db.transaction() as conn:
            await blobs_db.free_chunks(conn, sha256s)
