"""The figures beside their targets, on the terminal and in ``bench/results/latest.json``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.floor import Floor
from bench.latency import Latency
from bench.load import Comparison
from bench.logs import LogFigures
from bench.machine import Contention, Machine
from bench.pipeline import PipelineLatency
from bench.soak import Soak
from bench.throughput import Throughput

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

LATENCY_P50_MS = 25.0
LATENCY_FLOOR_MULTIPLE = 10.0
THROUGHPUT_RUNS_PER_S = 60.0  # on 2 cores
GET_RUN_SHARE_OF_BARE = 0.40
LOG_TAIL_MS = 50.0
LOG_JUMP_MS = 50.0
LOG_SEARCH_MS = 1000.0


@dataclass(frozen=True)
class Results:
    machine: Machine
    runner_slots: int  # the server's default: the CPU count
    floor: Floor
    latency: Latency
    throughput: Throughput
    pipeline: PipelineLatency
    load: Comparison
    soak: Soak
    logs: LogFigures
    contention: Contention | None  # None where /proc/stat is missing
    started: str  # ISO 8601, UTC
    seconds: float  # the whole bench


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str = ""
    passed: bool | None = None  # None: a figure with no target of its own


def rows(r: Results) -> list[Row]:
    lat, thr, load, chain = r.latency, r.throughput, r.load, r.pipeline
    multiple = lat.p50_ms / r.floor.p50_ms
    return [
        Row("floor: spawn + reap bash -c true (p50)", f"{r.floor.p50_ms:.2f} ms"),
        Row(
            f"end-to-end latency p50 ({lat.runs} runs)",
            f"{lat.p50_ms:.2f} ms",
            f"< {LATENCY_P50_MS:g} ms",
            lat.p50_ms < LATENCY_P50_MS,
        ),
        Row(
            "end-to-end latency p50 / floor",
            f"{multiple:.1f}x",
            f"<= {LATENCY_FLOOR_MULTIPLE:g}x",
            multiple <= LATENCY_FLOOR_MULTIPLE,
        ),
        Row("end-to-end latency p95", f"{lat.p95_ms:.2f} ms"),
        Row(
            "  latency runs complete",
            f"{lat.runs - lat.not_complete}/{lat.runs}",
            "all",
            lat.not_complete == 0,
        ),
        Row(
            f"throughput ({thr.runs} runs, {r.runner_slots} slots)",
            f"{thr.runs_per_s:.1f} runs/s",
            f">= {THROUGHPUT_RUNS_PER_S:g} runs/s (2 cores)",
            thr.runs_per_s >= THROUGHPUT_RUNS_PER_S,
        ),
        Row(
            "  throughput runs complete", f"{thr.complete}/{thr.runs}", "all", thr.not_complete == 0
        ),
        Row(
            f"pipeline of {chain.jobs} chained jobs, p50 ({chain.pipelines})",
            f"{chain.p50_ms:.2f} ms",
        ),
        Row("  per job / run latency p50", f"{chain.p50_ms / chain.jobs / lat.p50_ms:.2f}x"),
        Row("  pipeline p95", f"{chain.p95_ms:.2f} ms"),
        Row(
            "  pipelines complete",
            f"{chain.pipelines - chain.not_complete}/{chain.pipelines}",
            "all",
            chain.not_complete == 0,
        ),
        Row(f"GET run ({load.connections} connections)", f"{load.get_run_rps:.0f} req/s"),
        Row("bare FastAPI endpoint", f"{load.bare_rps:.0f} req/s"),
        Row(
            "GET run / bare",
            f"{load.ratio:.1%}",
            f">= {GET_RUN_SHARE_OF_BARE:.0%}",
            load.ratio >= GET_RUN_SHARE_OF_BARE,
        ),
        Row(
            "  non-2xx responses, socket errors",
            f"{load.non_2xx}, {load.socket_errors}",
            "0, 0",
            load.non_2xx == 0 and load.socket_errors == 0,
        ),
        *soak_rows(r.soak),
        *log_rows(r.logs),
    ]


def log_rows(logs: LogFigures) -> list[Row]:
    size = f"{logs.megabytes:.0f} MB log, {logs.lines:,} lines"
    return [
        Row(f"{size}: written by a run", f"{logs.write_seconds:.1f} s"),
        Row(
            "  tail: last 256 KiB + first line (p50)",
            f"{logs.tail_ms:.2f} ms",
            f"< {LOG_TAIL_MS:g} ms",
            logs.tail_ms < LOG_TAIL_MS,
        ),
        Row("    floor: health GET + read 256 KiB", f"{logs.tail_floor_ms:.2f} ms"),
        Row(
            "  jump to line 1,000,000, 100 lines (p50)",
            f"{logs.jump_ms:.2f} ms",
            f"< {LOG_JUMP_MS:g} ms",
            logs.jump_ms < LOG_JUMP_MS,
        ),
        Row("    floor: health GET + read 12 KB", f"{logs.jump_floor_ms:.2f} ms"),
        Row(
            f"  search a word, exact count {logs.matches:,} (p50)",
            f"{logs.search_ms:.0f} ms",
            f"< {LOG_SEARCH_MS:g} ms",
            logs.search_ms < LOG_SEARCH_MS,
        ),
        Row("    floor: one bytes.count pass", f"{logs.search_floor_ms:.0f} ms"),
    ]


def soak_rows(soak: Soak) -> list[Row]:
    return [
        Row(
            f"soak: {soak.clients} clients x {soak.seconds:g} s, requests",
            f"{soak.requests}",
        ),
        Row("  errors", f"{soak.errors}", "0", soak.errors == 0),
        Row(f"  harmed runs (of {soak.runs})", f"{soak.harmed}", "0", soak.harmed == 0),
        Row("  request latency p50", f"{soak.p50_ms:.2f} ms"),
        Row("  request latency p99", f"{soak.p99_ms:.2f} ms"),
        Row("  server RSS before, after", f"{soak.rss_before_mb:.0f}, {soak.rss_after_mb:.0f} MB"),
    ]


def show(r: Results) -> None:
    table = rows(r)
    print()
    print(f"Ish CD bench, {r.started}")
    print(f"machine: {r.machine.describe()}")
    print(f"load generator: {r.load.tool}")
    if r.contention is not None:
        print(r.contention.describe())
    print()
    print_rows(table)
    print(f"bench took {r.seconds:.0f} s; figures in {os.path.relpath(RESULTS)}")


def print_rows(table: list[Row]) -> None:
    """The figures beside their targets, then which checks failed."""
    width = max(len(row.figure) for row in table)
    print(f"{'figure':{width}}  {'value':>14}  {'target':28}  result")
    for row in table:
        verdict = "" if row.passed is None else ("PASS" if row.passed else "FAIL")
        print(f"{row.figure:{width}}  {row.value:>14}  {row.target:28}  {verdict}")
    checked = [row for row in table if row.passed is not None]
    missed = [row.figure.strip() for row in checked if not row.passed]
    print()
    if missed:
        met = len(checked) - len(missed)
        print(f"{met} of {len(checked)} checks passed; failed: {'; '.join(missed)}")
    else:
        print(f"all {len(checked)} checks passed")


def document(r: Results) -> dict[str, Any]:
    return {
        **asdict(r),
        "targets": [asdict(row) for row in rows(r) if row.passed is not None],
    }


def write(r: Results) -> Path:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document(r), indent=2) + "\n")
    return RESULTS
