"""A job's ``artifacts``, ``cache`` and ``test_reports`` in requests and answers.

The shapes are checked here; what is in them (patterns, durations, keys) by
``ishcd.outputs_config``, the same checks as for ``.ishcd.yml``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ishcd import outputs_config
from ishcd.api.schemas.common import In
from ishcd.outputs import ArtifactsSpec, CacheSpec, Outputs

PATTERNS_DOC = (
    "Glob patterns relative to the workspace (`dist/*.whl`, `screenshots/**`, `reports`: a "
    "directory takes every file below it); no absolute path, no `..`"
)
ARTIFACTS_DOC = (
    "Files its runs keep after the script: a list of patterns, or `{paths, when, expire_in}`. "
    "null: none. Answered as `{paths, when, expire_in}` with `expire_in` in seconds."
)
WHEN_DOC = (
    "After which runs to keep them: `always` (the default: a failure's screenshots are "
    "what people need most), `on_success` or `on_failure`"
)
EXPIRE_IN_DOC = (
    "How long they are kept: "
    + outputs_config.DURATION_RULE
    + "; null: the project's default, else the server's (30 days)"
)
CACHE_DOC = (
    "A cache restored before the script and saved after a successful one (CircleCI's "
    "restore_cache and save_cache): `restore` key templates are tried in order, each also as "
    "a prefix (the newest match wins); `save` never overwrites a key that exists. Templates: "
    '`{{ checksum "file" }}`, `{{ branch }}`, `{{ revision }}`, `{{ job }}`, `{{ epoch }}`, '
    "`{{ arch }}`, `{{ os }}`, `{{ .Environment.VAR }}`. null: none."
)
TEST_REPORTS_DOC = (
    "JUnit XML files its runs send after the script (pytest --junitxml, jest-junit, "
    "go-junit-report, Maven Surefire): patterns as for artifacts. null or []: none."
)

Pattern = str
Patterns = Field(min_length=1, max_length=outputs_config.MAX_PATTERNS, description=PATTERNS_DOC)
Key = Field(min_length=1, max_length=outputs_config.MAX_KEY, description="A key template")


class ArtifactsIn(In):
    paths: list[Pattern] = Patterns
    when: Literal["always", "on_success", "on_failure"] = Field(
        default="always", description=WHEN_DOC
    )
    expire_in: int | str | None = Field(default=None, description=EXPIRE_IN_DOC)


class CacheSaveIn(In):
    key: str = Key
    paths: list[Pattern] = Patterns


class CacheIn(In):
    restore: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=outputs_config.MAX_RESTORE_KEYS,
        description="Key templates to restore from, in order; each is also tried as a prefix",
    )
    save: CacheSaveIn | None = Field(
        default=None, description="What to save after a successful run, under `key`"
    )


ArtifactsField = list[Pattern] | ArtifactsIn | None
TestReportsField = list[Pattern] | None


def artifacts_field() -> Any:
    return Field(default=None, description=ARTIFACTS_DOC)


def cache_field() -> Any:
    return Field(default=None, description=CACHE_DOC)


def test_reports_field() -> Any:
    return Field(default=None, max_length=outputs_config.MAX_PATTERNS, description=TEST_REPORTS_DOC)


def plain(value: BaseModel | list[str] | None) -> Any:
    """A field's value as outputs_config reads it."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_unset=True)
    return value


class ArtifactsOut(BaseModel):
    paths: list[str]
    when: Literal["always", "on_success", "on_failure"] = Field(description=WHEN_DOC)
    expire_in: int | None = Field(
        description="Seconds; null: the project's default, else the server's"
    )

    @classmethod
    def of(cls, spec: ArtifactsSpec | None) -> ArtifactsOut | None:
        if spec is None:
            return None
        return cls(paths=list(spec.paths), when=spec.when, expire_in=spec.expire_in)


class CacheSaveOut(BaseModel):
    key: str
    paths: list[str]


class CacheOut(BaseModel):
    restore: list[str]
    save: CacheSaveOut | None

    @classmethod
    def of(cls, spec: CacheSpec | None) -> CacheOut | None:
        if spec is None:
            return None
        save = None
        if spec.save_key is not None:
            save = CacheSaveOut(key=spec.save_key, paths=list(spec.save_paths))
        return cls(restore=list(spec.restore), save=save)


class OutputsOut(BaseModel):
    """What a runner collects for a run (and the cache it restores first)."""

    artifacts: ArtifactsOut | None
    cache: CacheOut | None
    test_reports: list[str]

    @classmethod
    def of(cls, kept: Outputs) -> OutputsOut:
        return cls(
            artifacts=ArtifactsOut.of(kept.artifacts),
            cache=CacheOut.of(kept.cache),
            test_reports=list(kept.test_reports),
        )
