"""What a trigger would ask for: the parameters a project's config declares at a commit.

A trigger form needs them before any pipeline exists, so they are read the way a
trigger reads the config (fetch the project's mirror, resolve the branch, tag or
revision, read ``.ishcd.yml`` there) without creating anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from ishcd import exceptions
from ishcd.db.database import Database
from ishcd.pipelines import compile as compiler
from ishcd.pipelines.model import ConfigError
from ishcd.pipelines.source import ParamSpec
from ishcd.services import access, pipelines
from ishcd.services.principal import Caller
from ishcd.services.runtime import Runtime


@dataclass(frozen=True)
class Declared:
    """A config's parameters at a commit, and the problems a trigger there would meet."""

    file: str
    branch: str | None
    tag: str | None
    revision: str
    found: bool  # whether the config file is at that commit
    parameters: tuple[ParamSpec, ...]
    errors: list[ConfigError]


async def declared_parameters(
    db: Database,
    runtime: Runtime,
    caller: Caller,
    project_ish: str,
    *,
    branch: str | None,
    tag: str | None,
    revision: str | None,
) -> Declared:
    """The parameters of a project's config at a branch, tag or revision (the default
    branch when none is named); 409 for a project without a repository."""
    async with db.read() as conn:
        project = await access.project_for(conn, caller, project_ish)
    pipelines.check_refs(branch, tag, revision)
    if project.repository is None:
        raise exceptions.Conflict(
            f"project {project.machine_name!r} has no repository: "
            "its pipelines are triggered with the config sent in the trigger"
        )
    mirror, branch, sha = await pipelines.fetch_commit(runtime, project, branch, tag, revision)
    file = pipelines.CONFIG_FILE
    text = await runtime.mirrors.read(mirror, sha, file)
    if text is None:
        missing = ConfigError(f"{file} is not in the repository at this commit", "")
        return Declared(file, branch, tag, sha, False, (), [missing])
    specs, errors = compiler.declared_parameters(text)
    return Declared(file, branch, tag, sha, True, specs, errors)
