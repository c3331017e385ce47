"""A cache's files as one archive: a gzip'd tar (fast level), made and unpacked safely.

Saving takes regular files only (a symlink inside the workspace is stored as
the file it points to), under their paths relative to the workspace. Restoring
never writes outside the workspace: a member named absolute or with a ``..``
part is refused, and every other goes through tarfile's ``data`` filter (no
link pointing out, no devices, no set-uid bits), checked against the workspace
as it is at that moment (an existing symlink is followed when checked); a
refused member is skipped and named for the log. Both are blocking: call them
in a thread.
"""

from __future__ import annotations

import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

LEVEL = 1  # gzip's fastest: dependency trees shrink well even so
_DATA_FILTER: Any = getattr(tarfile, "data_filter", None)  # Python >= 3.11.4


@dataclass
class Packed:
    files: int = 0
    bytes: int = 0  # of the files, before compression
    problems: list[str] = field(default_factory=list)


@dataclass
class Unpacked:
    files: int = 0
    refused: list[str] = field(default_factory=list)  # one line per refused member


def pack(workspace: Path, files: list[str], archive: Path) -> Packed:
    """Write ``files`` (relative to ``workspace``, as ``globs.find_files`` gives them)
    into the new archive ``archive``."""
    result = Packed()
    with tarfile.open(archive, "w:gz", compresslevel=LEVEL, format=tarfile.PAX_FORMAT) as tar:
        for name in files:
            path = workspace / name
            try:
                with path.open("rb") as f:
                    info = os.fstat(f.fileno())
                    if not stat.S_ISREG(info.st_mode):
                        continue
                    member = tarfile.TarInfo(name)
                    member.size = info.st_size
                    member.mode = stat.S_IMODE(info.st_mode) & 0o755
                    member.mtime = int(info.st_mtime)
                    tar.addfile(member, f)
            except OSError as exc:
                result.problems.append(f"{name!r} was not saved: {exc.strerror}")
                continue
            result.files += 1
            result.bytes += member.size
    return result


def unpack(archive: Path, workspace: Path) -> Unpacked:
    """Extract the archive into ``workspace``, member by member; refused members are
    skipped. Raises ``tarfile.TarError`` for an archive that is not one."""
    result = Unpacked()
    root = workspace.resolve()
    with tarfile.open(archive, "r|*") as tar:  # a stream: one pass, in order
        for member in tar:
            problem = _refusal(member, root)
            if problem is not None:
                result.refused.append(f"{member.name!r} is refused: {problem}")
                continue
            try:
                if _DATA_FILTER is not None:
                    tar.extract(member, root, set_attrs=True, filter="data")
                else:  # an older Python: checked by _refusal only
                    tar.extract(member, root, set_attrs=False)
            except tarfile.FilterError as exc:
                result.refused.append(f"{member.name!r} is refused: {exc}")
                continue
            if member.isfile():
                result.files += 1
    return result


def _refusal(member: tarfile.TarInfo, root: Path) -> str | None:
    """Why ``member`` may not be extracted into ``root``, or None."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:  # (the data filter would strip a "/")
        return "its name leaves the workspace"
    if _DATA_FILTER is not None:
        try:
            _DATA_FILTER(member, str(root))
        except tarfile.FilterError as exc:
            return str(exc)
        return None
    # Without the data filter: the same rules, checked here.
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        return "it is not a file, a directory or a link"
    target = root / member.name
    if member.issym() or member.islnk():
        base = target.parent if member.issym() else root
        target = base / member.linkname
    try:
        target.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return "it points outside the workspace"
    return None
