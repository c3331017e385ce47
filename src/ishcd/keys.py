"""The server's secret key and the keys derived from it.

The key comes from ``ISHCD_SECRET_KEY`` or is generated once into
``<data dir>/secret.key`` (mode 0600). It never goes into the database, so
the database alone can neither mint tokens nor read secrets. Replicas that
share a PostgreSQL database must share ``ISHCD_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_FILE = "secret.key"


@dataclass(frozen=True)
class Keys:
    jwt: bytes
    fernet: bytes


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def derive_keys(master: str) -> Keys:
    raw = master.encode()
    return Keys(
        jwt=_derive(raw, b"ishcd jwt v1"),
        fernet=base64.urlsafe_b64encode(_derive(raw, b"ishcd fernet v1")),
    )


def load_master_key(secret_key: str | None, data_dir: Path) -> str:
    """The configured key, else the data directory's, created on first use."""
    if secret_key:
        return secret_key
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text().strip()


def load_keys(secret_key: str | None, data_dir: Path) -> Keys:
    return derive_keys(load_master_key(secret_key, data_dir))
