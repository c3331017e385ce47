from __future__ import annotations

import pytest

from ishcd.services import ids


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Corp", "my-corp"),
        ("  Backup -- prod!! ", "backup-prod"),
        ("Café crème", "cafe-creme"),
        ("日本", "fallback"),
        ("a" * 80, "a" * 64),
        ("3abed1d7-68ec-4151-ae87-edcc918315b4", "fallback"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert ids.slugify(name, fallback="fallback") == slug


def test_with_suffix_stays_within_64_characters() -> None:
    assert ids.with_suffix("ops", 2) == "ops-2"
    long = ids.with_suffix("a" * 64, 12)
    assert len(long) == 64
    assert long.endswith("-12")
    assert ids.valid_machine_name(long)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("my-corp", True),
        ("a", True),
        ("job_1", True),
        ("My-Corp", False),
        ("-a", False),
        ("a-", False),
        ("", False),
        ("a b", False),
        ("3abed1d7-68ec-4151-ae87-edcc918315b4", False),
    ],
)
def test_valid_machine_name(value: str, valid: bool) -> None:
    assert ids.valid_machine_name(value) is valid


def test_looks_like_uuid() -> None:
    assert ids.looks_like_uuid(ids.new_id())
    assert not ids.looks_like_uuid("my-corp")
