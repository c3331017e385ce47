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
