"""Masking secret values in a run's output, also when one is split across chunks.

The runner knows every secret value it put into the run's environment; it
replaces each with ``***`` before the output reaches the log, so the log
store (and every reader of it) only ever sees masked bytes.

To catch a value split across two reads, the masker holds back the end of
each chunk that could be the start of a secret (within its last
``longest - 1`` bytes) until more output (or the end) shows whether it is
one. Any match that begins before that held-back tail is complete in what
has been read: the longest secret that could begin there would still end
inside it, and longer secrets are tried first. Only a possible start is held:
a quiet script's last line ("waiting for approval") reaches the log at once
unless it ends with the first bytes of a secret.

Values shorter than ``MINIMUM`` characters are not masked (as CircleCI does):
masking every "a" would destroy a log and hide nothing. A multi-line value is
also masked line by line, since programs often print one line of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = b"***"
MINIMUM = 4
# Bytes compared at most per chunk while looking for a possible start of a secret;
# past it, the rest of the tail is held back (safe, only later).
SCAN_BUDGET = 1 << 20


class Masker:
    def __init__(self, secrets: Iterable[str]):
        values: set[bytes] = set()
        for secret in secrets:
            for candidate in (secret, *secret.splitlines()):
                if len(candidate.strip()) >= MINIMUM:
                    values.add(candidate.encode())
        ordered = sorted(values, key=len, reverse=True)
        self._pattern = re.compile(b"|".join(map(re.escape, ordered))) if ordered else None
        self._hold = len(ordered[0]) - 1 if ordered else 0
        self._values = ordered
        self._firsts = frozenset(value[0] for value in ordered)
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        """Masked output that is safe to write now; the rest waits for more."""
        if self._pattern is None:
            return data
        return self._mask(self._pending + data, final=False)

    def flush(self) -> bytes:
        """Whatever is still held back, masked: the output has ended."""
        if self._pattern is None:
            return b""
        return self._mask(self._pending, final=True)

    def _mask(self, data: bytes, final: bool) -> bytes:
        assert self._pattern is not None
        cut = len(data) if final else self._start_of_tail(data)
        out = bytearray()
        position = 0
        for match in self._pattern.finditer(data):
            if match.start() >= cut:
                break
            out += data[position : match.start()]
            out += MASK
            position = match.end()
        end = max(cut, position)
        out += data[position:end]
        self._pending = data[end:]
        return bytes(out)

    def _start_of_tail(self, data: bytes) -> int:
        """Where the held-back tail begins: the first of the last ``longest - 1``
        positions from which the rest of ``data`` could begin a secret."""
        budget = SCAN_BUDGET
        for position in range(max(0, len(data) - self._hold), len(data)):
            if data[position] not in self._firsts:
                continue
            rest = data[position:]
            if any(value.startswith(rest) for value in self._values):
                return position
            budget -= len(rest) * len(self._values)
            if budget < 0:
                return position  # a pathological tail: hold it all back
        return len(data)
