from __future__ import annotations

from pathlib import Path

import pytest

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
