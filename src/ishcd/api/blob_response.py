"""A stored file as an HTTP answer: ranges, validators, and headers that keep it inert.

``blob_response`` serves a blob (an artifact, a cache) from either store,
streamed in the store's chunks:

- ``Range: bytes=a-b`` (one range; ``a-`` and ``-n`` too) answers 206 with
  ``Content-Range``; a range that starts past the end answers 416 with
  ``Content-Range: bytes */size``. A malformed ``Range``, or several ranges,
  is ignored (the whole file, as RFC 9110 allows), and so is a ``Range`` whose
  ``If-Range`` names another version.
- ``ETag`` is the SHA-256 (the content's name: it never changes under one
  ETag); ``If-None-Match`` naming it answers 304.
- ``X-Content-Type-Options: nosniff`` always, and with ``sandbox`` a
  ``Content-Security-Policy: sandbox`` without ``allow-scripts``: an HTML
  report opened in the browser cannot run script on Ish CD's origin.
- ``Content-Disposition`` ``inline`` or ``attachment``, its file name escaped
  as RFC 6266 says (an ASCII fallback and ``filename*`` in UTF-8).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from ishcd import exceptions
from ishcd.blobstore import BlobMissing, BlobStore

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\%;]')


def _disposition(filename: str, inline: bool) -> str:
    how = "inline" if inline else "attachment"
    fallback = _UNSAFE.sub("_", filename) or "download"
    return f"{how}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` list names ``etag`` (weakly, as RFC 9110 says)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


class Unsatisfiable(Exception):
    """The range starts past the end of the file."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) of one satisfiable range; None to send the whole
    file (no range, a malformed one, several); ``Unsatisfiable`` past the end."""
    if header is None:
        return None
    found = _RANGE.fullmatch(header.strip())
    if found is None:
        return None
    first, last = found.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size
    start = int(first)
    end = size if not last else int(last) + 1
    if last and end <= start:
        return None  # last before first: malformed, ignored
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size)


async def _stream(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if first:
        yield first
    async for piece in rest:
        yield piece


async def blob_response(
    request: Request,
    blobs: BlobStore,
    sha256: str,
    size: int,
    content_type: str,
    filename: str,
    *,
    inline: bool,
    sandbox: bool,
) -> Response:
    """The blob as the answer to ``request`` (GET): 200, 206, 304 or 416. ``NotFound``
    when the store no longer has it."""
    etag = f'"{sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": _disposition(filename, inline),
    }
    if sandbox:
        headers["Content-Security-Policy"] = "sandbox"
    if _matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None  # another version than this one: the whole file
    try:
        span = parse_range(wanted, size)
    except Unsatisfiable:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    start, end = (0, size) if span is None else span
    status = 200 if span is None else 206
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    pieces = blobs.read(sha256, start, end)
    try:
        # The first piece before the answer starts: a blob gone is a 404, not a cut answer.
        first = await anext(pieces, b"") if end > start else b""
    except BlobMissing:
        raise exceptions.NotFound("the file is no longer stored") from None
    return StreamingResponse(
        _stream(first, pieces), status_code=status, headers=headers, media_type=content_type
    )
