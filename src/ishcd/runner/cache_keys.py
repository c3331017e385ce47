"""Cache key templates, as CircleCI's: ``deps-{{ checksum "requirements.txt" }}-{{ branch }}``.

A template is resolved on the runner, in the run's workspace and environment:

- ``{{ checksum "PATH" }}``: the SHA-256 (hex) of a file of the workspace; a
  path that is absolute, has a ``..`` part or resolves outside the workspace
  is refused, and a missing file leaves the key unresolved;
- ``{{ branch }}``, ``{{ revision }}`` (also CircleCI's ``{{ .Branch }}``,
  ``{{ .Revision }}``): the pipeline's (``ISHCD_BRANCH``, ``ISHCD_REVISION``),
  empty for a stored job's run;
- ``{{ job }}``: the job's machine name; ``{{ epoch }}``: the Unix time now;
  ``{{ arch }}``, ``{{ os }}``: the runner's machine (``x86_64``, ``linux``);
- ``{{ .Environment.NAME }}``: the run's environment variable ``NAME``.

A key that cannot be resolved (a missing file, an unknown template) is not
used, and why is a line for the run's log.
"""

from __future__ import annotations

import hashlib
import platform
import re
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_KEY = 512  # characters, as the ``caches.key`` column
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}")
_CHECKSUM = re.compile(r"""checksum\s+(?:"([^"]*)"|'([^']*)')""")
_ENVIRONMENT = re.compile(r"\.Environment\.([A-Za-z_][A-Za-z0-9_]*)")
_READ = 1024 * 1024


@dataclass
class Resolved:
    key: str | None  # None: not usable, ``problems`` say why
    problems: list[str] = field(default_factory=list)  # lines for the log
    notes: list[str] = field(default_factory=list)  # lines for the log that do not stop it


def key_problem(key: str) -> str | None:
    """Why a resolved key cannot be stored (the server checks the same), or None."""
    if not key:
        return "is empty"
    if len(key) > MAX_KEY:
        return f"is longer than {MAX_KEY} characters"
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        return "contains a control character"
    return None


def resolve(template: str, workspace: Path, env: dict[str, str]) -> Resolved:
    """The key ``template`` names in this workspace and environment (blocking: it may
    read files)."""
    result = Resolved(None)
    checksums: dict[str, str | None] = {}

    def value(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        found = _value(inner, workspace, env, checksums, result)
        return "" if found is None else found

    key = _TEMPLATE.sub(value, template)
    if result.problems:
        return result
    problem = key_problem(key)
    if problem is not None:
        result.problems.append(f"cache key {key!r} {problem}")
        return result
    result.key = key
    return result


def _value(
    inner: str,
    workspace: Path,
    env: dict[str, str],
    checksums: dict[str, str | None],
    result: Resolved,
) -> str | None:
    checksum = _CHECKSUM.fullmatch(inner)
    if checksum is not None:
        path = checksum.group(1) if checksum.group(1) is not None else checksum.group(2)
        if path not in checksums:
            checksums[path] = _checksum(workspace, path, result)
        return checksums[path]
    environment = _ENVIRONMENT.fullmatch(inner)
    if environment is not None:
        name = environment.group(1)
        if name not in env:
            result.notes.append(f"{{{{ {inner} }}}}: {name} is not set, it is empty")
        return env.get(name, "")
    simple = {
        "branch": lambda: env.get("ISHCD_BRANCH", ""),
        ".Branch": lambda: env.get("ISHCD_BRANCH", ""),
        "revision": lambda: env.get("ISHCD_REVISION", ""),
        ".Revision": lambda: env.get("ISHCD_REVISION", ""),
        "job": lambda: env.get("ISHCD_JOB", ""),
        "epoch": lambda: str(int(time.time())),
        "arch": lambda: platform.machine().lower(),
        "os": lambda: platform.system().lower(),
    }.get(inner)
    if simple is not None:
        return simple()
    result.problems.append(
        f'unknown template {{{{ {inner} }}}}: use checksum "FILE", branch, revision, '
        "job, epoch, arch, os or .Environment.NAME"
    )
    return None


def _checksum(workspace: Path, path: str, result: Resolved) -> str | None:
    """The file's SHA-256 (hex); None, with the problem, when it cannot be read."""
    pure = PurePosixPath(path)
    if not path or pure.is_absolute() or ".." in pure.parts or "\0" in path:
        result.problems.append(f"checksum {path!r}: the file must be inside the workspace")
        return None
    root = workspace.resolve()
    try:
        file = (root / path).resolve()
        file.relative_to(root)
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop
        result.problems.append(f"checksum {path!r}: the file must be inside the workspace")
        return None
    if not file.is_file():
        what = "is not a file" if file.exists() else "does not exist"
        result.problems.append(f"checksum {path!r}: {path} {what} in the workspace")
        return None
    digest = hashlib.sha256()
    try:
        with file.open("rb") as f:
            while chunk := f.read(_READ):
                digest.update(chunk)
    except OSError as exc:
        result.problems.append(f"checksum {path!r}: cannot read it ({exc.strerror})")
        return None
    return digest.hexdigest()
