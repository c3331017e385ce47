"""Identifiers: UUIDs for everything, machine names for people."""

from __future__ import annotations

import re
import unicodedata
import uuid

MACHINE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?$")
MACHINE_NAME_RULE = (
    "lowercase letters, digits, '-' and '_', starting and ending with a letter or digit, "
    "at most 64 characters, and not shaped like a UUID"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def new_id() -> str:
    return str(uuid.uuid4())


def looks_like_uuid(value: str) -> bool:
    return _UUID.match(value) is not None


def valid_machine_name(value: str) -> bool:
    return MACHINE_NAME.match(value) is not None and not looks_like_uuid(value)


def slugify(name: str, fallback: str) -> str:
    """A machine name made from a display name: "My Corp!" -> "my-corp"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    if not slug or not valid_machine_name(slug):
        return fallback
    return slug


def with_suffix(base: str, n: int) -> str:
    """``base`` with ``-n`` appended, still at most 64 characters."""
    suffix = f"-{n}"
    return base[: 64 - len(suffix)].rstrip("-_") + suffix
