"""The file ``ishcd login`` keeps the server and token in, and how a command finds them.

One JSON object: ``url``, ``token``, ``username``, and ``token_id`` when
``ishcd login`` made the token (so ``ishcd logout`` may revoke it). The file
is ``$ISHCD_CONFIG``, else ``config.json`` in the user's config directory
(``$XDG_CONFIG_HOME/ishcd``, by default ``~/.config/ishcd`` on Linux). It is
written to a temporary file made with mode 0600 and renamed over the old one,
so it is never readable by others, nor ever half-written.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import typer

CONFIG_ENV = "ISHCD_CONFIG"
FILE_NAME = "config.json"


class ConfigFileError(Exception):
    """The config file cannot be read."""


@dataclass(frozen=True, kw_only=True)
class Saved:
    """What ``ishcd login`` stored."""

    url: str
    token: str
    username: str | None = None
    token_id: str | None = None  # set when ``ishcd login`` created the token


def path() -> Path:
    """Where the config file is (whether or not it exists)."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser()
    return Path(typer.get_app_dir("ishcd")) / FILE_NAME


def load() -> Saved | None:
    """The stored login, or None when there is no file."""
    where = path()
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigFileError(f"cannot read {where}: {exc.strerror or exc}") from exc
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        saved = Saved(
            url=str(data["url"]),
            token=str(data["token"]),
            username=_text(data.get("username")),
            token_id=_text(data.get("token_id")),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigFileError(f"{where} is not a config file ishcd wrote: {exc}") from exc
    return saved


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def save(saved: Saved) -> Path:
    """Write the file atomically, mode 0600 from the start; its directory 0700 if new."""
    where = path()
    where.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    content = json.dumps(asdict(saved), indent=2) + "\n"
    fd, temporary = tempfile.mkstemp(dir=where.parent, prefix=".ishcd-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp made it 0600
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, where)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return where


def remove() -> bool:
    """Delete the file; False if there was none."""
    try:
        path().unlink()
    except FileNotFoundError:
        return False
    return True
