"""The config file ``ishcd login`` writes, and how a command finds its server and token."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import typer

from ishcd.cli import connect, userconfig
from ishcd.client import DEFAULT_HOST

SAVED = userconfig.Saved(url="http://ci.example:8080", token="saved-token", username="alice")


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "conf" / "config.json"
    monkeypatch.setenv("ISHCD_CONFIG", str(path))
    monkeypatch.delenv("ISHCD_URL", raising=False)
    monkeypatch.delenv("ISHCD_TOKEN", raising=False)
    return path


def test_the_file_is_0600_even_with_umask_0_and_reads_back(config: Path) -> None:
    old = os.umask(0)
    try:
        assert userconfig.save(SAVED) == config
    finally:
        os.umask(old)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert userconfig.load() == SAVED
    assert os.listdir(config.parent) == ["config.json"]


def test_saving_again_replaces_the_file_whole(config: Path) -> None:
    userconfig.save(SAVED)
    userconfig.save(userconfig.Saved(url="http://x", token="t2", token_id="id"))
    assert userconfig.load() == userconfig.Saved(url="http://x", token="t2", token_id="id")
    assert userconfig.remove()
    assert not userconfig.remove()
    assert userconfig.load() is None


@pytest.mark.parametrize("text", ["{not json", "[]", '{"url": "x"}'])
def test_a_file_ishcd_did_not_write_is_an_error_naming_it(config: Path, text: str) -> None:
    config.parent.mkdir()
    config.write_text(text)
    with pytest.raises(userconfig.ConfigFileError, match=str(config)):
        userconfig.load()


def test_without_ishcd_config_the_file_is_in_the_xdg_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ISHCD_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert userconfig.path() == Path(typer.get_app_dir("ishcd")) / "config.json"
    assert userconfig.path() == tmp_path / "xdg" / "ishcd" / "config.json"


def test_nothing_set_is_the_default_server_and_no_token() -> None:
    found = connect.resolve(None, None)
    assert (found.url, found.url_from, found.token, found.token_from) == (
        DEFAULT_HOST,
        "the default",
        None,
        None,
    )


def test_options_beat_the_environment_which_beats_the_config_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    userconfig.save(SAVED)
    saved = connect.resolve(None, None)
    assert (saved.url, saved.token, saved.url_from) == (SAVED.url, "saved-token", "the config file")
    monkeypatch.setenv("ISHCD_TOKEN", "env-token")
    by_env = connect.resolve(None, None)
    assert (by_env.url, by_env.token, by_env.token_from) == (SAVED.url, "env-token", "ISHCD_TOKEN")
    by_option = connect.resolve(None, "option-token")
    assert (by_option.token, by_option.token_from) == ("option-token", "--token")


def test_the_saved_token_never_goes_to_another_server(monkeypatch: pytest.MonkeyPatch) -> None:
    userconfig.save(SAVED)
    assert connect.resolve("http://ci.example:8080/v1/", None).token == "saved-token"
    assert connect.resolve("http://elsewhere:8080", None).token is None
    monkeypatch.setenv("ISHCD_URL", "http://elsewhere:8080")
    assert connect.resolve(None, None).token is None
    with pytest.raises(typer.Exit) as exited:
        connect.client_from(None, None)
    assert exited.value.exit_code == 2
