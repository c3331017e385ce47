"""The client commands' pure parts: ``-e`` pairs, ``PROJECT/JOB``, how times read, repositories."""

from __future__ import annotations

from pathlib import Path

import pytest

from ishcd.cli import lists, projects, run


def test_env_pairs_become_a_dict_splitting_at_the_first_equals() -> None:
    assert run.parse_env(["A=1", "B=x=y", "C=", "A=2"]) == {"A": "2", "B": "x=y", "C": ""}


@pytest.mark.parametrize("pair", ["A", "=1", ""])
def test_a_malformed_env_pair_is_an_error_naming_it(pair: str) -> None:
    with pytest.raises(ValueError, match=repr(pair)):
        run.parse_env(["OK=1", pair])


def test_a_target_is_project_slash_job() -> None:
    assert run.parse_target("my-corp/backup-prod") == ("my-corp", "backup-prod")


@pytest.mark.parametrize("target", ["my-corp", "my-corp/", "/job", "a/b/c"])
def test_a_malformed_target_is_an_error_naming_it(target: str) -> None:
    with pytest.raises(ValueError, match=repr(target)):
        run.parse_target(target)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m 00s"), (185, "3m 05s"), (3600, "1h 00m"), (7380, "2h 03m")],
)
def test_durations_read_like_a_person_would_write_them(seconds: int, text: str) -> None:
    assert lists.duration_text(seconds) == text


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (0, "just now"),
        (-3, "just now"),
        (42, "42 seconds ago"),
        (60, "1 minute ago"),
        (7200, "2 hours ago"),
        (86400 * 3, "3 days ago"),
    ],
)
def test_creation_times_read_as_ages(age: int, text: str) -> None:
    assert lists.ago(1_000_000, 1_000_000 + age) == text


def test_creation_times_older_than_a_month_read_as_dates() -> None:
    assert lists.ago(40 * 86400, 80 * 86400).startswith("1970-02-")


@pytest.mark.parametrize(
    "given",
    [
        "https://git.example.com/shop.git",
        "ssh://git@example.com/shop.git",
        "git@example.com:shop.git",
        "file:///srv/git/shop",
        "no/such/directory",
        "",
    ],
)
def test_a_repository_that_is_no_local_directory_is_sent_as_given(given: str) -> None:
    assert projects.local_repository(given) == given


def test_a_local_repository_directory_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "shop").mkdir()
    monkeypatch.chdir(tmp_path)
    assert projects.local_repository(".") == str(tmp_path.resolve())
    assert projects.local_repository("shop") == str((tmp_path / "shop").resolve())
    assert projects.local_repository(str(tmp_path)) == str(tmp_path.resolve())
