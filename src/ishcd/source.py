"""Where a project's code comes from: a git mirror per project.

The server keeps a bare mirror of each project's repository in
``<data dir>/mirrors``, fetches it when a pipeline is triggered, resolves
the branch, tag or revision to a commit, and reads the config file at that
exact commit. A pipeline job's workspace is a checkout of that commit, made
by the runner from the mirror (``git clone --shared``: no copy of objects).

git runs in a worker thread (``subprocess`` uses vfork; nothing blocks the
event loop), never prompts, and never sees an argument starting with ``-``
that came from a user.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from ishcd import exceptions

_URL = re.compile(r"^(https?|ssh|git|file)://\S+$|^[\w.-]+@[\w.-]+:\S+$")
_SHA = re.compile(r"^[0-9a-fA-F]{4,64}$")
FETCH_TIMEOUT = 300.0


def valid_repository(repository: str) -> bool:
    """A git URL (https, ssh, git, file, or scp-like user@host:path) or an absolute path."""
    if not repository or repository.startswith("-") or any(c.isspace() for c in repository):
        return False
    return bool(_URL.match(repository)) or repository.startswith("/")


def valid_ref(name: str) -> bool:
    """A branch or tag name git would accept (and no option in disguise)."""
    return bool(
        name
        and len(name) <= 255
        and not name.startswith(("-", "/"))
        and not name.endswith((".lock", "/", "."))
        and ".." not in name
        and "@{" not in name
        and not any(c.isspace() or c in "~^:?*[\\\x7f" or ord(c) < 32 for c in name)
    )


def valid_revision(revision: str) -> bool:
    return bool(_SHA.match(revision))


class GitError(Exception):
    """git failed; the message is git's own last words."""


@dataclass(frozen=True)
class Resolved:
    revision: str  # full commit id


def _git_env() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "true",
    }
    for name in ("SSH_AUTH_SOCK", "GIT_SSH_COMMAND"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _run(args: list[str], timeout: float = FETCH_TIMEOUT) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            capture_output=True,
            text=True,
            env=_git_env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} took longer than {timeout:.0f} s") from exc
    except OSError as exc:
        raise GitError(f"git could not run: {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()
        raise GitError(last[-1] if last else f"git {args[0]} failed ({done.returncode})")
    return done.stdout


def _is_ancestor(path: Path, commit: str, ref: str) -> bool:
    try:
        _run(["-C", str(path), "merge-base", "--is-ancestor", commit, ref], 30)
    except GitError:
        return False
    return True


# Where bundles are made, beside the mirrors (no project id starts with a dot).
BUNDLES = ".bundles"
BUNDLE_REF = "refs/heads/ishcd"


def _bundle(mirror: Path, revision: str, dest: Path) -> None:
    """Write a bundle of ``revision`` from ``mirror`` to ``dest``.

    A bundle is made of refs, and the mirror's refs are its remote's (a fetch
    with ``--prune`` would delete one of ours): so a scratch repository that
    borrows the mirror's objects (alternates) names the revision with a ref of
    its own, and its HEAD, so that a plain clone of the bundle checks it out.
    """
    if not (mirror / "HEAD").exists():
        raise GitError("the project's repository has not been fetched here")
    scratch = dest.with_suffix(".git")
    try:
        _run(["init", "--quiet", "--bare", str(scratch)], 30)
        alternates = scratch / "objects" / "info" / "alternates"
        alternates.write_text(f"{(mirror / 'objects').resolve()}\n")
        _run(["-C", str(scratch), "update-ref", BUNDLE_REF, f"{revision}^{{commit}}"], 30)
        _run(["-C", str(scratch), "symbolic-ref", "HEAD", BUNDLE_REF], 30)
        _run(["-C", str(scratch), "bundle", "create", "--quiet", str(dest), "HEAD", BUNDLE_REF])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class Mirrors:
    """Bare mirrors of project repositories, one per project."""

    def __init__(self, root: Path):
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}

    def path(self, project_id: str) -> Path:
        return self.root / f"{project_id}.git"

    async def bundle(self, project_id: str, revision: str) -> Path:
        """A git bundle of ``revision`` and its history, made from the project's mirror,
        for a runner that cannot read the repository (an agent elsewhere): a file
        the caller deletes. ``GitError`` when the mirror lacks the revision."""
        if not valid_revision(revision):
            raise GitError(f"{revision!r} is not a revision")
        place = self.root / BUNDLES
        place.mkdir(parents=True, exist_ok=True)
        dest = place / f"{uuid.uuid4().hex}.bundle"
        try:
            await asyncio.to_thread(_bundle, self.path(project_id), revision, dest)
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        return dest

    def remove(self, project_id: str) -> None:
        """Forget a project's mirror (its project is gone)."""
        shutil.rmtree(self.path(project_id), ignore_errors=True)

    async def fetch(self, project_id: str, repository: str) -> Path:
        """Clone the mirror the first time, fetch it after; its path."""
        lock = self._locks.setdefault(project_id, asyncio.Lock())
        async with lock:
            await asyncio.to_thread(self._fetch, project_id, repository)
        return self.path(project_id)

    def _fetch(self, project_id: str, repository: str) -> None:
        path = self.path(project_id)
        if not (path / "HEAD").exists():
            self.root.mkdir(parents=True, exist_ok=True)
            _run(["clone", "--mirror", "--quiet", "--", repository, str(path)])
            return
        _run(["-C", str(path), "remote", "set-url", "origin", "--", repository], timeout=30)
        _run(["-C", str(path), "fetch", "--prune", "--quiet", "origin"])

    async def resolve(
        self, path: Path, *, branch: str | None, tag: str | None, revision: str | None
    ) -> Resolved:
        """The commit a trigger names; ``ValidationFailed`` naming what is not there.

        A revision with a branch or tag must be on it (reachable from it): a
        pipeline says which branch it built, and filters and automatic
        promotions trust that.
        """
        ref = None
        if tag is not None:
            ref = await self._commit(path, "tag", tag, f"refs/tags/{tag}")
        elif branch is not None:
            ref = await self._commit(path, "branch", branch, f"refs/heads/{branch}")
        if revision is None:
            assert ref is not None
            return Resolved(ref)
        commit = await self._commit(path, "revision", revision, revision)
        if ref is not None and not await asyncio.to_thread(_is_ancestor, path, commit, ref):
            where = f"tag {tag!r}" if tag is not None else f"branch {branch!r}"
            raise exceptions.ValidationFailed.one("revision", f"{revision!r} is not on {where}")
        return Resolved(commit)

    async def _commit(self, path: Path, field: str, shown: str, ref: str) -> str:
        try:
            found = await asyncio.to_thread(
                _run, ["-C", str(path), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], 30
            )
        except GitError as exc:
            raise exceptions.ValidationFailed.one(
                field, f"{shown!r} is not in the repository"
            ) from exc
        return found.strip()

    async def read(self, path: Path, revision: str, file: str) -> str | None:
        """A file's text at a commit; None if it is not there."""
        try:
            return await asyncio.to_thread(
                _run, ["-C", str(path), "show", f"{revision}:{file}"], 30
            )
        except GitError:
            return None
