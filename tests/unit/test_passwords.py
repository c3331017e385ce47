"""The server's password hashes cost what RFC 9106 asks (the suite hashes more cheaply:
tests/conftest.py ``cheap_password_hashes``)."""

from __future__ import annotations

from argon2 import extract_parameters, profiles

from ishcd.services import passwords
from tests.conftest import SERVER_HASHER


def test_the_server_hashes_with_argon2id_at_rfc_9106_s_low_memory_cost() -> None:
    hashed = SERVER_HASHER.hash("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert extract_parameters(hashed) == profiles.RFC_9106_LOW_MEMORY
    assert SERVER_HASHER.verify(hashed, "correct horse battery staple")


async def test_the_suite_s_cheap_hashes_are_still_checked() -> None:
    hashed = await passwords.hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert await passwords.verify_password(hashed, "correct horse battery staple")
    assert not await passwords.verify_password(hashed, "wrong horse battery staple")
    assert not await passwords.verify_password(None, "correct horse battery staple")
