from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest

from ishcd import exceptions, keys
from ishcd.services import auth


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = keys.load_master_key(None, tmp_path)
    assert keys.load_master_key(None, tmp_path) == first
    mode = stat.S_IMODE((tmp_path / keys.KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_configured_key_wins_and_derivations_differ(tmp_path: Path) -> None:
    assert keys.load_master_key("given", tmp_path) == "given"
    derived = keys.derive_keys("given")
    assert derived.jwt != derived.fernet
    assert keys.derive_keys("given") == derived
    assert keys.derive_keys("other").jwt != derived.jwt


def test_session_jwts_expire_in_12_hours() -> None:
    k = keys.derive_keys("k")
    claims = jwt.decode(auth.session_jwt(k, "user", "token"), k.jwt, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert claims["tid"] == "token"
    assert claims["typ"] == "session"


def test_decode_refuses_tampering() -> None:
    k = keys.derive_keys("k")
    good = auth.session_jwt(k, "user", None)
    with pytest.raises(exceptions.Unauthorized):
        auth.decode(k, good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1])
    with pytest.raises(exceptions.Unauthorized):
        auth.decode(keys.derive_keys("other"), good)
