"""The server's rules for artifacts (services.artifacts): paths, content types, how a
download is served, expiry and limits."""

from __future__ import annotations

import pytest

from ishcd.services import artifacts


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("dist/app.whl", None),
        ("a b/ü.txt", None),
        ("", "is empty"),
        ("/etc/passwd", "is absolute: artifacts are paths relative to the workspace"),
        ("../up", "has a '..' part: artifacts stay inside the workspace"),
        ("a/../../b", "has a '..' part: artifacts stay inside the workspace"),
        ("a//b", "is not a normalized path (an empty or '.' part)"),
        ("./a", "is not a normalized path (an empty or '.' part)"),
        ("a/", "is not a normalized path (an empty or '.' part)"),
        ("a\nb", "contains a control character"),
        ("x" * 1025, "is longer than 1024 characters"),
    ],
)
def test_paths(path: str, problem: str | None) -> None:
    assert artifacts.path_problem(path) == problem


@pytest.mark.parametrize(
    ("path", "stored", "media", "inline"),
    [
        ("report/index.HTML", "text/html", "text/html; charset=utf-8", True),
        ("out.txt", "text/plain", "text/plain; charset=utf-8", True),
        ("shot.png", "image/png", "image/png", True),
        ("pic.svg", "image/svg+xml", "image/svg+xml", True),
        ("data.json", "application/json", "application/json", True),
        # A script file is shown as text: it can never run as a script on this origin.
        ("app.js", "text/javascript", "text/plain; charset=utf-8", True),
        ("dist/app.whl", "application/zip", "application/zip", False),
        ("report.pdf", "application/pdf", "application/pdf", False),
        ("Makefile", "application/octet-stream", "application/octet-stream", False),
    ],
)
def test_content_types_and_serving(path: str, stored: str, media: str, inline: bool) -> None:
    assert artifacts.content_type(path) == stored
    how = artifacts.serving(stored, download=False)
    assert (how.media_type, how.inline) == (media, inline)
    assert artifacts.serving(stored, download=True).inline is False


def test_expiry_comes_from_the_job_then_the_project_then_the_server() -> None:
    assert artifacts.expires_at(100.0, 10, 20, 30) == 110.0
    assert artifacts.expires_at(100.0, None, 20, 30) == 120.0
    assert artifacts.expires_at(100.0, None, None, 30) == 130.0
    assert artifacts.expires_at(100.0, None, 0, 30) is None  # 0: kept for ever
    assert artifacts.expires_at(100.0, None, None, 0) is None


def test_limits() -> None:
    assert artifacts.limit_problem(10, 0, 10, 100) is None
    assert "per file (ISHCD_ARTIFACT_MAX_FILE)" in (artifacts.limit_problem(11, 0, 10, 100) or "")
    assert artifacts.limit_problem(10, 90, 10, 100) is None
    past = artifacts.limit_problem(10, 91, 10, 100) or ""
    assert "the run has kept 91" in past
    assert "(ISHCD_ARTIFACT_MAX_RUN)" in past
