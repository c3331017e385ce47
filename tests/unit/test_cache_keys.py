"""Cache key templates (runner.cache_keys), as CircleCI's."""

from __future__ import annotations

import hashlib
import platform
import time
from pathlib import Path

import pytest

from ishcd.runner.cache_keys import MAX_KEY, resolve

ENV = {"ISHCD_BRANCH": "main", "ISHCD_REVISION": "abc123", "ISHCD_JOB": "build", "LANG": "C"}


def test_each_template_is_resolved(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("httpx==1\n")
    digest = hashlib.sha256(b"httpx==1\n").hexdigest()
    template = (
        'deps-{{ checksum "requirements.txt" }}-{{ branch }}-{{.Branch}}-{{ revision }}'
        "-{{ .Revision }}-{{ job }}-{{ arch }}-{{ os }}-{{ .Environment.LANG }}"
    )
    resolved = resolve(template, tmp_path, ENV)
    arch, os_name = platform.machine().lower(), platform.system().lower()
    assert resolved.problems == []
    assert resolved.key == f"deps-{digest}-main-main-abc123-abc123-build-{arch}-{os_name}-C"


def test_epoch_is_now_and_text_without_templates_is_kept(tmp_path: Path) -> None:
    before = int(time.time())
    key = resolve("v1-{{ epoch }}", tmp_path, {}).key
    assert key is not None
    assert before <= int(key.removeprefix("v1-")) <= int(time.time())
    assert resolve("plain {not} a template", tmp_path, {}).key == "plain {not} a template"


def test_a_stored_jobs_branch_is_empty_and_an_unset_variable_is_a_note(tmp_path: Path) -> None:
    resolved = resolve("deps-{{ branch }}-{{ .Environment.NOPE }}", tmp_path, {})
    assert resolved.key == "deps--"
    assert resolved.notes == ["{{ .Environment.NOPE }}: NOPE is not set, it is empty"]


def test_the_same_file_is_read_once_and_its_checksum_follows_its_content(tmp_path: Path) -> None:
    lock = tmp_path / "a" / "lock"
    lock.parent.mkdir()
    lock.write_text("one")
    first = resolve("{{ checksum 'a/lock' }}/{{ checksum \"a/lock\" }}", tmp_path, {}).key
    lock.write_text("two")
    second = resolve('{{ checksum "a/lock" }}', tmp_path, {}).key
    assert first is not None
    assert second is not None
    assert first.split("/")[0] == first.split("/")[1] != second


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ('{{ checksum "missing.txt" }}', "missing.txt does not exist in the workspace"),
        ('{{ checksum "dir" }}', "dir is not a file in the workspace"),
        ('{{ checksum "../secret" }}', "must be inside the workspace"),
        ('{{ checksum "/etc/passwd" }}', "must be inside the workspace"),
        ('{{ checksum "out" }}', "must be inside the workspace"),
        ("{{ .BuildNum }}", "unknown template {{ .BuildNum }}"),
        ("{{ checksum requirements.txt }}", "unknown template"),
        ("{{ branch }}", "is empty"),
        ("x" * (MAX_KEY + 1), f"is longer than {MAX_KEY} characters"),
        ("a\nb", "contains a control character"),
    ],
)
def test_a_key_that_cannot_be_resolved_says_why(
    tmp_path: Path, template: str, problem: str
) -> None:
    (tmp_path / "dir").mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.write_text("secret")
    (tmp_path / "out").symlink_to(outside)
    resolved = resolve(template, tmp_path, {})
    assert resolved.key is None
    assert any(problem in line for line in resolved.problems), resolved.problems
