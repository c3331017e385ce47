from __future__ import annotations

from pathlib import Path

import pytest

from ishcd import settings as settings_mod
from ishcd.settings import Settings


def test_environment_variables_configure_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISHCD_PORT", "9000")
    monkeypatch.setenv("ISHCD_RUNNER_SLOTS", "3")
    monkeypatch.setenv("ISHCD_DATA_DIR", "/tmp/somewhere")
    settings = Settings()
    assert settings.port == 9000
    assert settings.runner_slots == 3
    assert settings.resolved_database_url == "sqlite:////tmp/somewhere/ishcd.db"


def test_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISHCD_PORT", "9000")
    assert Settings(port=9100).port == 9100


def test_database_url_wins_over_the_data_dir(tmp_path: Path) -> None:
    url = "postgresql://u@h/db"
    assert Settings(data_dir=tmp_path, database_url=url).resolved_database_url == url


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError, match="runner_slots"):
        Settings(runner_slots=-1)


def test_runner_slots_default_to_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISHCD_RUNNER_SLOTS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 7)
    assert Settings().runner_slots == 7


def test_every_limit_is_documented_with_its_default() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    limits = docs.split("## Limits", 1)[1].split("\n## ", 1)[0]
    names = ("max_body_bytes", "max_script_bytes", "max_variable_bytes", "max_variables")
    for name in (*names, "max_env_bytes"):
        default = Settings.model_fields[name].default
        assert f"| `ISHCD_{name.upper()}` | `{default}`" in limits, name


def test_the_services_default_limits_are_the_settings_defaults() -> None:
    from ishcd.services.limits import Limits

    assert Limits() == Limits.of(Settings())


@pytest.mark.parametrize(
    ("given", "public_url"),
    [
        ("https://ci.example.com", "https://ci.example.com"),
        ("https://ci.example.com/", "https://ci.example.com"),
        ("http://10.0.0.5:8080/ishcd//", "http://10.0.0.5:8080/ishcd"),
        ("", None),
    ],
)
def test_the_public_url_loses_its_trailing_slash(
    monkeypatch: pytest.MonkeyPatch, given: str, public_url: str | None
) -> None:
    monkeypatch.setenv("ISHCD_PUBLIC_URL", given)
    assert Settings().public_url == public_url


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("ci.example.com", "must be an http:// or https:// URL with a host"),
        ("ftp://ci.example.com", "must be an http:// or https:// URL with a host"),
        ("https://", "must be an http:// or https:// URL with a host"),
        ("https://ci.example.com/?x=1", "must not have a query (?) or a fragment (#)"),
        ("https://ci.example.com/#top", "must not have a query (?) or a fragment (#)"),
        ("https://ci.example.com?", "must not have a query (?) or a fragment (#)"),
        ("https://me:pw@ci.example.com", "must not hold a user name or password"),
        ("https://ci.example.com:99999", "is not a URL"),
        ("https://ci.example.com/a b", "must not contain spaces"),
    ],
)
def test_a_bad_public_url_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, given: str, problem: str
) -> None:
    monkeypatch.setenv("ISHCD_PUBLIC_URL", given)
    with pytest.raises(settings_mod.InvalidSettings) as refused:
        settings_mod.load()
    assert str(refused.value).startswith("invalid settings: ISHCD_PUBLIC_URL: ")
    assert problem in str(refused.value)


def test_every_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISHCD_PORT", "eighty")
    with pytest.raises(settings_mod.InvalidSettings, match=r"ISHCD_PORT: .*integer") as refused:
        settings_mod.load(runner_slots=-1)
    assert "ISHCD_RUNNER_SLOTS: " in str(refused.value)


def test_the_server_command_says_which_setting_is_bad(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ishcd.cli import app

    monkeypatch.setenv("ISHCD_PUBLIC_URL", "ci.example.com")
    result = CliRunner().invoke(app, ["server", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "ISHCD_PUBLIC_URL: 'ci.example.com' must be an http:// or https:// URL" in result.output
    assert not (tmp_path / "data").exists()  # refused before anything was made


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"`ISHCD_{name.upper()}`" in docs, name


@pytest.mark.parametrize(
    ("values", "url"),
    [
        ({}, "http://127.0.0.1:8080"),
        ({"host": "0.0.0.0", "port": 9000}, "http://127.0.0.1:9000"),
        ({"host": "::1"}, "http://[::1]:8080"),
        ({"host": "0.0.0.0", "public_url": "https://ci.example.com/"}, "https://ci.example.com"),
    ],
)
def test_the_server_announces_its_public_url(values: dict[str, object], url: str) -> None:
    from ishcd.cli.server import server_url

    assert server_url(Settings(**values)) == url  # type: ignore[arg-type]


def test_the_log_store_follows_the_database_unless_chosen() -> None:
    from ishcd import logstore

    assert logstore.choose(settings_mod.load(), "sqlite") == "file"
    assert logstore.choose(settings_mod.load(), "postgresql") == "database"
    chosen = settings_mod.load(database_url="postgresql://db/ci", log_store="file")
    assert logstore.choose(chosen, "postgresql") == "file"


def test_logs_in_the_database_are_refused_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISHCD_LOG_STORE", "database")
    with pytest.raises(settings_mod.InvalidSettings) as refused:
        settings_mod.load()
    assert str(refused.value) == (
        "invalid settings: ISHCD_LOG_STORE: database keeps logs in PostgreSQL, "
        "and the database is SQLite: use file (or auto) with SQLite"
    )
    assert settings_mod.load(database_url="postgresql://db/ci").log_store == "database"


def test_the_blob_store_follows_the_database_unless_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ishcd import blobstore

    assert blobstore.choose(settings_mod.load(), "sqlite") == "file"
    assert blobstore.choose(settings_mod.load(), "postgresql") == "database"
    chosen = settings_mod.load(database_url="postgresql://db/ci", blob_store="file")
    assert blobstore.choose(chosen, "postgresql") == "file"
    monkeypatch.setenv("ISHCD_BLOB_STORE", "database")
    with pytest.raises(settings_mod.InvalidSettings) as refused:
        settings_mod.load()
    assert str(refused.value) == (
        "invalid settings: ISHCD_BLOB_STORE: database keeps artifacts and caches in "
        "PostgreSQL, and the database is SQLite: use file (or auto) with SQLite"
    )
