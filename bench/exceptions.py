"""The bench's one error: the measurement itself broke (exit status 1)."""

from __future__ import annotations


class BenchError(Exception):
    """The benchmark could not measure what it set out to."""
