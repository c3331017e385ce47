"""``python -m bench junit``: parsing a 10 MB JUnit report of 50,000 cases.

The report is generated (pytest's shape, one case in ten failing with a
message, system-out on some), then parsed by ``ishcd.junit.iter_cases`` in a
fresh Python process, which says how long the parse took and how much its
resident memory grew (peak RSS after the parse minus RSS before it): the
parser streams, so that growth stays small whatever the report's size.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import machine, report

RESULTS = report.RESULTS.parent / "junit.json"
CASES = 50_000
TARGET_BYTES = 10_000_000
PARSE_SECONDS = 2.0
MEMORY_MB = 64.0  # what the parse may add to the process, whatever the report's size


@dataclass(frozen=True)
class JunitFigures:
    cases: int
    size_mb: float
    parse_s: float
    memory_mb: float  # peak resident growth during the parse


def write_report(path: Path, cases: int = CASES, target_bytes: int = TARGET_BYTES) -> None:
    """A pytest-shaped report of ``cases`` cases padded to about ``target_bytes``."""
    per_case = target_bytes // cases
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>')
        out.write(f'<testsuite name="pytest" tests="{cases}">')
        for i in range(cases):
            head = (
                f'<testcase classname="tests.test_module_{i // 100}" name="test_case_{i}" '
                f'file="tests/test_module_{i // 100}.py" line="{i % 100}" time="0.{i % 1000:03d}"'
            )
            if i % 10 == 0:
                body = f'<failure message="assert {i} == {i + 1}">'
                pad = per_case - len(head) - len(body) - len("></failure></testcase>")
                out.write(f"{head}>{body}{'x' * max(pad, 0)}</failure></testcase>")
            else:
                pad = per_case - len(head) - len("><system-out></system-out></testcase>")
                out.write(f"{head}><system-out>{'o' * max(pad, 0)}</system-out></testcase>")
        out.write("</testsuite></testsuites>\n")


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc (VmRSS: now; VmHWM: the peak), in KiB.

    Not ``ru_maxrss``: Linux carries it over ``exec`` from the parent that forked."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(path: str) -> None:
    from ishcd import junit

    before = _status_kb("VmRSS")
    began = time.perf_counter()
    count = sum(1 for _ in junit.iter_cases(Path(path)))
    seconds = time.perf_counter() - began
    after = _status_kb("VmHWM")
    print(json.dumps({"cases": count, "seconds": seconds, "grew_kb": after - before}))


def measure(say: Callable[[str], None]) -> JunitFigures:
    with tempfile.TemporaryDirectory(prefix="ishcd-bench-junit-") as scratch:
        path = Path(scratch) / "junit.xml"
        write_report(path)
        size = path.stat().st_size
        say(f"junit: parsing a {size / 1e6:.1f} MB report of {CASES} cases ...")
        answer = subprocess.run(
            [sys.executable, "-m", "bench.junit", "--child", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    found = json.loads(answer.stdout)
    figures = JunitFigures(
        cases=found["cases"],
        size_mb=size / 1e6,
        parse_s=found["seconds"],
        memory_mb=found["grew_kb"] / 1024,
    )
    say(f"  {figures.parse_s:.2f} s, memory +{figures.memory_mb:.1f} MB")
    return figures


def rows(f: JunitFigures) -> list[report.Row]:
    return [
        report.Row(
            f"junit: parse {f.size_mb:.0f} MB, {f.cases} cases",
            f"{f.parse_s:.2f} s",
            f"< {PARSE_SECONDS:g} s",
            f.parse_s < PARSE_SECONDS and f.cases == CASES,
        ),
        report.Row(
            "junit: memory added by the parse (peak RSS)",
            f"{f.memory_mb:.1f} MB",
            f"< {MEMORY_MB:g} MB",
            f.memory_mb < MEMORY_MB,
        ),
    ]


def main(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    figures = measure(say)
    document = {
        "machine": asdict(machine.identify()),
        "figures": asdict(figures),
        "started": started,
        "seconds": time.monotonic() - began,
        "targets": [asdict(row) for row in rows(figures)],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print()
    print(f"Ish CD bench, JUnit reports, {started}")
    print()
    report.print_rows(rows(figures))
    print(f"figures in {os.path.relpath(RESULTS)}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        _child(sys.argv[2])
