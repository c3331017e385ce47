"""Argon2 password hashes. Hashing is slow on purpose: it runs off the event loop."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher

_hasher = PasswordHasher()


def generate() -> str:
    """A random password for accounts created without one."""
    return secrets.token_urlsafe(15)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)
