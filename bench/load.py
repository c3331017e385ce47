"""GET run requests/s beside a bare FastAPI endpoint's, from a load generator in another process.

``wrk -t1 -c32`` drives each URL in turn; rounds alternate between the two
(bare, run, then run, bare, ...) so drift in the machine's speed touches
both alike, and the median round of each is reported. When wrk is not
installed, ``bench.loadgen`` (a small asyncio load generator, also in a
process of its own) stands in, and the output says so. wrk counts responses
of 400 and above as errors; that each URL answers 200 at all is checked
with one request first.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bench.exceptions import BenchError

CONNECTIONS = 32
DURATION = 8.0
ROUNDS = 5
WARMUP = 2.0

Headers = dict[str, str]
SOCKET_ERRORS = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"


@dataclass(frozen=True)
class Sample:
    requests_per_s: float
    requests: int
    seconds: float
    non_2xx: int  # wrk: responses >= 400
    socket_errors: int


@dataclass(frozen=True)
class Comparison:
    tool: str
    connections: int
    duration_s: float
    rounds: int
    get_run: list[Sample]
    bare: list[Sample]
    get_run_rps: float  # median over rounds
    bare_rps: float
    ratio: float
    non_2xx: int  # over every round of both
    socket_errors: int


Generator = Callable[[str, Headers, float], Sample]


def wrk_version(path: str) -> str:
    result = subprocess.run([path, "-v"], capture_output=True, text=True, timeout=10)
    words = (result.stdout + result.stderr).split()
    return " ".join(words[:2]) if words else "wrk"


def _count(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def _seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def _run(args: list[str], duration: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=duration + 60)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{args[0]} ran past its {duration:g} s by a minute") from exc


def run_wrk(path: str) -> Generator:
    def generate(url: str, headers: Headers, duration: float) -> Sample:
        args = [path, "-t1", f"-c{CONNECTIONS}", f"-d{duration:g}s"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        result = _run([*args, url], duration)
        out = result.stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)\b", out)
        if result.returncode != 0 or rate is None or total is None:
            raise BenchError(f"wrk failed ({result.returncode}):\n{out}{result.stderr}")
        errors = re.search(SOCKET_ERRORS, out)
        return Sample(
            requests_per_s=float(rate.group(1)),
            requests=int(total.group(1)),
            seconds=_seconds(total.group(2), total.group(3)),
            non_2xx=_count(r"Non-2xx or 3xx responses: (\d+)", out),
            socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        )

    return generate


def run_loadgen(url: str, headers: Headers, duration: float) -> Sample:
    args = [sys.executable, "-m", "bench.loadgen", url, "-c", str(CONNECTIONS)]
    args += ["-d", str(duration)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    result = _run(args, duration)
    if result.returncode != 0:
        raise BenchError(f"bench.loadgen failed ({result.returncode}):\n{result.stderr}")
    return Sample(**json.loads(result.stdout))


def pick(tool: str) -> tuple[str, Generator]:
    """The load generator: ``auto`` is wrk if installed, else bench.loadgen."""
    path = shutil.which("wrk") if tool in ("auto", "wrk") else None
    if path is not None:
        return wrk_version(path), run_wrk(path)
    if tool == "wrk":
        raise BenchError("wrk is not installed (apt-get install -y wrk)")
    why = "wrk not found (apt-get install -y wrk)" if tool == "auto" else "chosen"
    return f"bench.loadgen, a Python load generator in its own process ({why})", run_loadgen


def _check_answers(url: str, headers: Headers) -> None:
    response = httpx.get(url, headers=headers, timeout=10)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}: {response.text[:500]}")


def compare(
    tool: str,
    run_url: str,
    bare_url: str,
    token: str,
    rounds: int = ROUNDS,
    duration: float = DURATION,
    progress: Callable[[str], None] = print,
) -> Comparison:
    name, generate = pick(tool)
    progress(f"  load generator: {name}")
    targets = {"get_run": (run_url, {"Authorization": f"Bearer {token}"}), "bare": (bare_url, {})}
    samples: dict[str, list[Sample]] = {"get_run": [], "bare": []}
    for url, headers in targets.values():
        _check_answers(url, headers)
        generate(url, headers, WARMUP)
    for index in range(rounds):
        order = ["bare", "get_run"] if index % 2 == 0 else ["get_run", "bare"]
        for which in order:
            url, headers = targets[which]
            sample = generate(url, headers, duration)
            samples[which].append(sample)
            progress(f"  round {index + 1}: {which:8} {sample.requests_per_s:8.0f} requests/s")
    every = samples["get_run"] + samples["bare"]
    run_rps = statistics.median(s.requests_per_s for s in samples["get_run"])
    bare_rps = statistics.median(s.requests_per_s for s in samples["bare"])
    return Comparison(
        tool=name,
        connections=CONNECTIONS,
        duration_s=duration,
        rounds=rounds,
        get_run=samples["get_run"],
        bare=samples["bare"],
        get_run_rps=run_rps,
        bare_rps=bare_rps,
        ratio=run_rps / bare_rps,
        non_2xx=sum(s.non_2xx for s in every),
        socket_errors=sum(s.socket_errors for s in every),
    )
