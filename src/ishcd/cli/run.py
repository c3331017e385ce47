"""``ishcd run``: start a run through the API (placeholder, replaced below)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
