"""Argon2 password hashes. Hashing is slow on purpose: it runs off the event loop."""

from __future__ import annotations

import asyncio
import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 8


def generate() -> str:
    """A random password for accounts created without one."""
    return secrets.token_urlsafe(15)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, as slow as a real check, and False."""

    def check() -> bool:
        try:
            matches = _hasher.verify(password_hash or _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and password_hash is not None

    return await asyncio.to_thread(check)
