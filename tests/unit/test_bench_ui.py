"""The UI bench reads a page's own time from its Server-Timing header."""

from __future__ import annotations

import pytest
from bench.ui import csrf_field, server_timing_ms


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("cache;desc=hit", None),
        ("total;dur=12.5", 12.5),
        ("db;dur=3.1, render;dur=4, total;dur=9.75", 9.75),
        ('app;desc="page";dur=41', 41.0),
    ],
)
def test_server_timing_is_its_largest_duration(header: str | None, expected: float | None) -> None:
    assert server_timing_ms(header) == expected


@pytest.mark.parametrize(
    "form",
    [
        '<input type="hidden" name="csrf_token" value="a&amp;b">',
        '<input value="a&amp;b" name="csrf_token" type="hidden">',
    ],
)
def test_the_login_forms_csrf_token_is_read(form: str) -> None:
    assert csrf_field(f"<form>{form}<input name=username></form>") == "a&b"
    assert csrf_field("<form><input name=username></form>") is None
