from __future__ import annotations

import base64

import pytest

from ishcd import exceptions
from ishcd.api.deps import credential_from


def basic(value: str) -> str:
    return "Basic " + base64.b64encode(value.encode()).decode()


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("Token abc", "abc"),
        (basic("abc:"), "abc"),
        (basic("abc:ignored"), "abc"),
        (basic("abc"), "abc"),
        (None, None),
        ("", None),
        (basic(":"), None),
    ],
)
def test_credentials(header: str | None, token: str | None) -> None:
    assert credential_from(header) == token


@pytest.mark.parametrize("header", ["Digest x", "Bearer", "Basic ###", "Basic " + "gA=="])
def test_unusable_credentials(header: str) -> None:
    with pytest.raises(exceptions.Unauthorized):
        credential_from(header)
