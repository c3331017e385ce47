"""What a job's runs leave behind: artifacts, a cache, test reports.

One shape for stored jobs (``/v1``), ``.ishcd.yml`` jobs, runs (copied when a
run is created) and assignments (what a runner is told to collect). Parsing
and checking what a user wrote is ``ishcd.outputs_config``; this module holds
the checked values and their JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WHEN = ("always", "on_success", "on_failure")


@dataclass(frozen=True)
class ArtifactsSpec:
    """Files to keep: glob patterns relative to the workspace."""

    paths: tuple[str, ...]
    when: str = "always"  # one of WHEN: after which outcomes to collect them
    expire_in: int | None = None  # seconds; None: the project's or the server's default

    def to_json(self) -> dict[str, Any]:
        return {"paths": list(self.paths), "when": self.when, "expire_in": self.expire_in}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ArtifactsSpec:
        return cls(tuple(data["paths"]), data.get("when", "always"), data.get("expire_in"))


@dataclass(frozen=True)
class CacheSpec:
    """CircleCI's restore_cache/save_cache: key templates to restore from (in order,
    each also as a prefix) before the script, and what to save after a successful one."""

    restore: tuple[str, ...] = ()
    save_key: str | None = None  # a template, e.g. 'deps-{{ checksum "requirements.txt" }}'
    save_paths: tuple[str, ...] = ()  # relative to the workspace

    def to_json(self) -> dict[str, Any]:
        save = (
            None
            if self.save_key is None
            else {"key": self.save_key, "paths": list(self.save_paths)}
        )
        return {"restore": list(self.restore), "save": save}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CacheSpec:
        save = data.get("save")
        if save is None:
            return cls(tuple(data.get("restore", ())))
        return cls(tuple(data.get("restore", ())), save["key"], tuple(save["paths"]))


@dataclass(frozen=True)
class Outputs:
    artifacts: ArtifactsSpec | None = None
    cache: CacheSpec | None = None
    test_reports: tuple[str, ...] = field(default=())  # JUnit XML globs

    @property
    def empty(self) -> bool:
        return self.artifacts is None and self.cache is None and not self.test_reports

    def to_json(self) -> dict[str, Any]:
        return {
            "artifacts": None if self.artifacts is None else self.artifacts.to_json(),
            "cache": None if self.cache is None else self.cache.to_json(),
            "test_reports": list(self.test_reports),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Outputs:
        if not data:
            return cls()
        artifacts = data.get("artifacts")
        cache = data.get("cache")
        return cls(
            None if artifacts is None else ArtifactsSpec.from_json(artifacts),
            None if cache is None else CacheSpec.from_json(cache),
            tuple(data.get("test_reports") or ()),
        )
