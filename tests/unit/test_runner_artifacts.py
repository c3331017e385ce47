"""The runner's side of artifacts (runner.artifacts) on a protocol that keeps files
in memory and refuses them as a server would: globs, `when`, refusals and limits
as log lines, the other files still sent."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ishcd.outputs import ArtifactsSpec, Outputs
from ishcd.runner import artifacts, keep
from ishcd.runner.execute import LogWriter
from ishcd.runner.protocol import (
    Assignment,
    Control,
    Lease,
    Outcome,
    RunnerProtocol,
    Section,
    UploadRefused,
)
from ishcd.sizes import human_size


class KeepingProtocol(RunnerProtocol):
    """Keeps uploads in ``kept`` (name: bytes) and the log in ``log``; refuses a file
    past ``max_file`` or one taking the run past ``max_run`` (413), as the server."""

    def __init__(self, max_file: int = 10**9, max_run: int = 10**9) -> None:
        self.log = b""
        self.kept: dict[str, bytes] = {}
        self.sent: list[str] = []
        self.max_file = max_file
        self.max_run = max_run

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        return None

    async def heartbeat(self, lease: Lease) -> Control:
        return Control.CONTINUE

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        return False

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        assert offset == len(self.log)
        self.log += data

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        return None

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        return None

    async def upload(self, lease: Lease, kind: str, name: str, path: Path) -> dict[str, Any]:
        assert kind == "artifact"
        self.sent.append(name)
        data = path.read_bytes()
        total = sum(len(v) for k, v in self.kept.items() if k != name)
        if len(data) > self.max_file:
            raise UploadRefused(f"artifact {name!r} not kept: too big for a file", 413)
        if total + len(data) > self.max_run:
            raise UploadRefused(f"artifact {name!r} not kept: too big for the run", 413)
        self.kept[name] = data
        return {
            "stored": True,
            "size": len(data),
            "run_total": total + len(data),
            "max_file": self.max_file,
            "max_run": self.max_run,
        }

    def lines(self) -> list[str]:
        return self.log.decode().splitlines()


def _context(protocol: KeepingProtocol, workspace: Path, spec: ArtifactsSpec) -> keep.KeepContext:
    lease = Lease("run-1", "test", 1)
    return keep.KeepContext(
        protocol,
        lease,
        LogWriter(protocol, lease, []),
        workspace,
        workspace.parent / "scratch",
        {},
        Outputs(artifacts=spec),
    )


def _write(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    _write(
        root,
        {
            "dist/app-1.0.whl": b"wheel",
            "dist/app-1.0.tar.gz": b"sdist",
            "screenshots/a/fail.png": b"png",
            "screenshots/b.png": b"png2",
            "notes.txt": b"n",
        },
    )
    return root


async def test_globs_send_each_file_and_say_what_was_kept(workspace: Path) -> None:
    protocol = KeepingProtocol()
    spec = ArtifactsSpec(("dist/*.whl", "screenshots/**", "missing/*.log"))
    await artifacts.keep(_context(protocol, workspace, spec), spec)
    assert sorted(protocol.kept) == [
        "dist/app-1.0.whl",
        "screenshots/a/fail.png",
        "screenshots/b.png",
    ]
    assert protocol.lines() == [
        "[ishcd] artifacts: pattern 'missing/*.log' matched no files",
        "[ishcd] kept 3 artifacts (12 bytes)",
    ]


async def test_escapes_are_refused_with_a_line_each_and_nothing_sent(
    workspace: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text("outside")
    os.symlink(tmp_path / "secret", workspace / "link.txt")
    os.symlink(tmp_path, workspace / "up")
    protocol = KeepingProtocol()
    spec = ArtifactsSpec(("../secret", str(tmp_path / "secret"), "link.txt", "up/secret", "*.txt"))
    await artifacts.keep(_context(protocol, workspace, spec), spec)
    assert protocol.sent == ["notes.txt"]
    lines = protocol.lines()
    assert lines[:4] == [
        "[ishcd] artifacts: pattern '../secret' has a '..' part: patterns stay inside the "
        "workspace",
        f"[ishcd] artifacts: pattern '{tmp_path / 'secret'}' is absolute: patterns are "
        "relative to the workspace",
        "[ishcd] artifacts: 'link.txt' is refused: it points outside the workspace",
        "[ishcd] artifacts: 'up/secret' is refused: it points outside the workspace",
    ]
    assert lines[-1] == "[ishcd] kept 1 artifact (1 byte)"


async def test_limits_are_log_lines_and_the_other_files_are_kept(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    _write(root, {"a.bin": b"a" * 40, "b.bin": b"b" * 200, "c.bin": b"c" * 50, "d.bin": b"d" * 5})
    protocol = KeepingProtocol(max_file=100, max_run=100)
    spec = ArtifactsSpec(("*.bin",))
    await artifacts.keep(_context(protocol, root, spec), spec)
    assert sorted(protocol.kept) == ["a.bin", "c.bin", "d.bin"]
    # Past the limits it has learned, the runner does not send a file at all.
    assert protocol.sent == ["a.bin", "c.bin", "d.bin"]
    assert protocol.lines() == [
        "[ishcd] artifact 'b.bin' not kept: it is 200 bytes, past the limit of 100 bytes "
        "per file (ISHCD_ARTIFACT_MAX_FILE)",
        "[ishcd] kept 3 artifacts (95 bytes); 1 not kept",
    ]


async def test_a_refusal_from_the_server_is_its_line(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    _write(root, {"a.bin": b"a" * 80, "b.bin": b"b" * 80})
    protocol = KeepingProtocol(max_run=100)
    spec = ArtifactsSpec(("a.bin", "b.bin"))
    context = _context(protocol, root, spec)
    await artifacts.keep(context, spec)
    assert protocol.lines()[0] == (
        "[ishcd] artifact 'b.bin' not kept: it is 80 bytes and the run has kept 80: past "
        "the limit of 100 bytes per run (ISHCD_ARTIFACT_MAX_RUN)"
    )
    protocol.kept.clear()
    protocol.log = b""
    context = _context(protocol, root, spec)
    protocol.max_file = 10  # the server refuses what the runner cannot know yet
    await artifacts.keep(context, spec)
    assert protocol.lines() == [
        "[ishcd] artifact 'a.bin' not kept: too big for a file",
        "[ishcd] artifact 'b.bin' not kept: too big for a file",
        "[ishcd] kept 0 artifacts (0 bytes); 2 not kept",
    ]


@pytest.mark.parametrize(
    ("when", "exit_code", "kept"),
    [
        ("always", 0, True),
        ("always", 1, True),
        ("on_success", 0, True),
        ("on_success", 1, False),
        ("on_failure", 0, False),
        ("on_failure", 1, True),
    ],
)
async def test_when_decides_after_which_outcomes(
    workspace: Path, when: str, exit_code: int, kept: bool
) -> None:
    protocol = KeepingProtocol()
    spec = ArtifactsSpec(("notes.txt",), when=when)
    await keep.after_script(_context(protocol, workspace, spec), Outcome(exit_code))
    assert bool(protocol.kept) is kept


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (12_400_000, "12.4 MB"),
        (10**13, "10.0 TB"),
    ],
)
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text
