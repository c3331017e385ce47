"""Sizes as people read them, in log lines and pages."""

from __future__ import annotations

UNITS = ("kB", "MB", "GB", "TB")


def human_size(size: int) -> str:
    """``12.4 MB``: decimal units, one decimal past a thousand bytes."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = size / 1000
    index = 0
    while value >= 1000 and index < len(UNITS) - 1:
        value /= 1000
        index += 1
    return f"{value:.1f} {UNITS[index]}"
