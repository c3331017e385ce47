"""``python -m bench agents``: runner agents (``ishcd runner``) on loopback, beside their floors.

A server with no runner of its own (``--runner-slots 0``) on a fresh data dir,
and agents as processes of their own, registered with a registration token:

- dispatch: a run queued while an idle agent waits (its long poll held by the
  server) starts on it. Each run's script is ``echo $EPOCHREALTIME`` (a bash
  builtin: no process started to read the clock), so its start is stamped by
  the script itself; dispatch = that stamp - the time just before the API call
  that queued the run. One run at a time, the agent back in its long poll
  before the next. Floor: the same call's round trip (``POST`` of a run, with
  no agent) plus starting ``bash -c 'echo $EPOCHREALTIME'`` here, stamped the
  same way.
- runs per second through 1, 2 and 4 agents of one slot each: ``true`` runs
  submitted at once (``bench.throughput``), first submit to last finish.
- log throughput: one run printing ``--agent-log-mb`` MB (``yes | head -c``),
  submit to finish, with the server's memory (RSS) before, at its peak during
  the run, and after. Floor: the same script into /dev/null here.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import uvloop

from bench import api, machine, report, server, throughput
from bench.exceptions import BenchError

RESULTS = report.RESULTS.parent / "agents.json"
DISPATCH_RUNS = 100
DISPATCH_WARMUP = 5
IDLE_SECONDS = 0.05  # before each dispatch: the agent is back in its long poll
THROUGHPUT_RUNS = 200
AGENT_COUNTS = (1, 2, 4)
LOG_MB = 500.0
LINE = "x" * 99  # with its newline, 100 bytes
READY = "runs at once from"
PROJECT = "agents"
STAMP_JOB = "stamp"
BIG_JOB = "big"
DISPATCH_TARGET_MS = 20.0
LOG_TARGET_MB_S = 100.0
RSS_GROWTH_LIMIT_MB = 64.0  # "flat": the server's memory does not grow with the log


@dataclass(frozen=True)
class Dispatch:
    runs: int
    p50_ms: float
    p95_ms: float
    floor_round_trip_ms: float  # p50 of POST run, answered
    floor_spawn_ms: float  # p50 of starting bash here, to its first stamp

    @property
    def floor_ms(self) -> float:
        return self.floor_round_trip_ms + self.floor_spawn_ms


@dataclass(frozen=True)
class LogThroughput:
    megabytes: float
    seconds: float
    mb_per_s: float
    floor_mb_per_s: float  # the script into /dev/null here
    server_rss_before_mb: float
    server_rss_peak_mb: float
    server_rss_after_mb: float
    agent_rss_peak_mb: float
    server_cpu_s: float  # CPU time (user + system) each spent on the run
    agent_cpu_s: float


@dataclass(frozen=True)
class AgentResults:
    machine: machine.Machine
    dispatch: Dispatch
    runs_per_s: dict[int, float]  # by number of agents (one slot each)
    logs: LogThroughput
    started: str
    seconds: float
    notes: list[str] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dispatch-runs", type=int, default=DISPATCH_RUNS)
    parser.add_argument("--agent-throughput-runs", type=int, default=THROUGHPUT_RUNS)
    parser.add_argument("--agent-log-mb", type=float, default=LOG_MB, help="MB one run prints")


class Agent:
    """One ``ishcd runner`` process, in a session of its own."""

    def __init__(self, url: str, token: str, work_dir: Path, name: str, concurrency: int = 1):
        self.args = [
            sys.executable,
            *("-m", "ishcd", "runner", "--url", url, "--work-dir", str(work_dir)),
            *("--name", name, "--concurrency", str(concurrency)),
        ]
        self.env = {**server.clean_env(), "ISHCD_RUNNER_TOKEN": token}
        self.name = name
        self.output: deque[str] = deque(maxlen=200)
        self.process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + server.START_TIMEOUT
        while not self._ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"agent {self.name} did not start:\n{''.join(self.output)}")

    def _drain(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if READY in line:
                self._ready.set()

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(server.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if process.stdout is not None:
            process.stdout.close()
        self.process = None


@contextmanager
def agents(url: str, token: str, root: Path, count: int) -> Iterator[list[Agent]]:
    started: list[Agent] = []
    try:
        for index in range(count):
            agent = Agent(url, token, root / f"agent-{count}-{index}", f"bench-{count}-{index}")
            agent.start()
            started.append(agent)
        time.sleep(0.5)  # each in its long poll
        yield started
    finally:
        for agent in started:
            agent.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def _setup(url: str, token: str) -> str:
    """The project and jobs; a registration token."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for path, body in (
            ("/v1/projects", {"name": PROJECT}),
            (f"/v1/projects/{PROJECT}/jobs", {"name": STAMP_JOB, "script": "echo $EPOCHREALTIME"}),
            (
                f"/v1/projects/{PROJECT}/jobs",
                {
                    "name": BIG_JOB,
                    # head ends yes with SIGPIPE: not a failure here
                    "script": f'set +o pipefail\nyes "{LINE}" | head -c "$BYTES"',
                    "variables": [{"name": "BYTES", "default": "0"}],
                    "timeout": 3600,
                },
            ),
        ):
            response = client.post(path, json=body)
            if response.status_code != 201:
                raise BenchError(f"POST {path} answered {response.status_code}: {response.text}")
        made = client.post("/v1/runners/registration-tokens", json={"description": "bench"})
        if made.status_code != 201:
            raise BenchError(f"no registration token: {made.status_code} {made.text}")
        return str(made.json()["token"])


async def _dispatch(url: str, token: str, runs: int) -> list[float]:
    """Milliseconds from just before each run's POST to its script's first stamp."""
    target = f"/v1/projects/{PROJECT}/jobs/{STAMP_JOB}/runs"
    samples: list[float] = []
    async with await api.connect(url, token) as conn:
        for index in range(DISPATCH_WARMUP + runs):
            await asyncio.sleep(IDLE_SECONDS)
            before = time.time()
            response = await conn.request("POST", target, None)
            if response.status != 201:
                raise BenchError(f"POST {target} answered {response.status}")
            run_id = response.json()["id"]
            await api.follow(conn, run_id)
            log = await conn.request("GET", f"/v1/runs/{run_id}/log", None)
            stamp = float(log.body.decode().strip().replace(",", "."))
            if index >= DISPATCH_WARMUP:
                samples.append((stamp - before) * 1000)
    return samples


async def _round_trips(url: str, token: str, count: int) -> list[float]:
    """Milliseconds of POST run answered (no agent attached: the runs stay queued)."""
    target = f"/v1/projects/{PROJECT}/jobs/{STAMP_JOB}/runs"
    samples = []
    async with await api.connect(url, token) as conn:
        for _ in range(count):
            start = time.perf_counter()
            response = await conn.request("POST", target, None)
            samples.append((time.perf_counter() - start) * 1000)
            if response.status != 201:
                raise BenchError(f"POST {target} answered {response.status}")
            await conn.request("POST", f"/v1/runs/{response.json()['id']}/cancel", None)
    return samples


def _spawn_stamps(count: int) -> list[float]:
    samples = []
    for _ in range(count):
        before = time.time()
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", "echo $EPOCHREALTIME"],
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append((float(done.stdout.strip().replace(",", ".")) - before) * 1000)
    return samples


def _log_floor(megabytes: float) -> float:
    size = int(megabytes * 1_000_000)
    start = time.perf_counter()
    subprocess.run(
        ["bash", "-c", f'yes "{LINE}" | head -c {size} > /dev/null'], check=True, timeout=3600
    )
    return megabytes / (time.perf_counter() - start)


async def _big_log(url: str, token: str, megabytes: float) -> tuple[str, float]:
    size = int(megabytes * 1_000_000)
    async with await api.connect(url, token) as conn:
        start = time.perf_counter()
        body = {"env": {"BYTES": str(size)}}
        target = f"/v1/projects/{PROJECT}/jobs/{BIG_JOB}/runs"
        response = await conn.request("POST", target, body)
        if response.status != 201:
            raise BenchError(f"POST {target} answered {response.status}: {response.body[:300]!r}")
        run_id = str(response.json()["id"])
        await api.follow(conn, run_id)
        seconds = time.perf_counter() - start
        run = (await conn.request("GET", f"/v1/runs/{run_id}", None)).json()
        if run["status"] != "complete":
            raise BenchError(f"the big log's run ended {run['status']} ({run['error_reason']})")
    return run_id, seconds


CAPPED = re.compile(rb"\n?\[ishcd\] (\d+) bytes of log dropped here[^\n]*\n")


def _log_bytes(url: str, token: str, run_id: str) -> int:
    """The bytes the run's output made, as the server's log shows them: its size, plus
    what the server's own cap (``ISHCD_LOG_MAX_BYTES``) dropped, less the line saying so."""
    received, window = 0, b""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream("GET", f"{url}/v1/runs/{run_id}/log", headers=headers, timeout=600) as r:
        for chunk in r.iter_bytes():
            received += len(chunk)
            window = window[-1024:] + chunk
            if match := CAPPED.search(window):
                received += int(match.group(1)) - len(match.group(0))
                window = b""
    return received


class Peak:
    """The highest RSS of some processes, sampled every 0.1 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(args: argparse.Namespace, say: Callable[[str], None]) -> AgentResults:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    host = machine.identify()
    say(f"machine: {host.describe()}")
    port = server.free_port()
    with tempfile.TemporaryDirectory(prefix="ishcd-bench-agents-", ignore_cleanup_errors=True) as t:
        root = Path(t)
        command = [sys.executable, "-m", "ishcd", "server", "--host", server.HOST]
        command += ["--port", str(port), "--data-dir", str(root / "data"), "--runner-slots", "0"]
        ishcd = server.Server("ishcd server", command, port, "/v1/health")
        say("starting ishcd server with no runner of its own (--runner-slots 0) ...")
        with server.running(ishcd):
            if not ishcd.token:
                raise BenchError(f"ishcd server printed no API token:\n{ishcd.tail()}")
            registration = _setup(ishcd.url, ishcd.token)
            assert ishcd.process is not None
            pid = ishcd.process.pid

            say(f"dispatch floor: {args.dispatch_runs} POSTs of a run, no agent ...")
            trips = uvloop.run(_round_trips(ishcd.url, ishcd.token, args.dispatch_runs))
            spawns = _spawn_stamps(args.dispatch_runs)
            say(f"dispatch: {args.dispatch_runs} runs, one at a time, to an idle agent ...")
            with agents(ishcd.url, registration, root, 1):
                lat = uvloop.run(_dispatch(ishcd.url, ishcd.token, args.dispatch_runs))
            dispatch = Dispatch(
                runs=len(lat),
                p50_ms=statistics.median(lat),
                p95_ms=_p95(lat),
                floor_round_trip_ms=statistics.median(trips),
                floor_spawn_ms=statistics.median(spawns),
            )
            say(
                f"  p50 {dispatch.p50_ms:.2f} ms, p95 {dispatch.p95_ms:.2f} ms "
                f"(floor {dispatch.floor_ms:.2f} ms)"
            )

            async def create_bench_job() -> None:
                async with await api.connect(ishcd.url, ishcd.token) as conn:
                    await api.create_job(conn)

            uvloop.run(create_bench_job())
            rates: dict[int, float] = {}
            for count in AGENT_COUNTS:
                say(f"throughput: {args.agent_throughput_runs} runs of `true`, {count} agents ...")
                with agents(ishcd.url, registration, root, count):
                    thr = uvloop.run(
                        throughput.measure(ishcd.url, ishcd.token, args.agent_throughput_runs)
                    )
                if thr.not_complete:
                    raise BenchError(f"{thr.not_complete} runs did not complete")
                rates[count] = thr.runs_per_s
                say(f"  {thr.runs_per_s:.1f} runs/s")

            mb = args.agent_log_mb
            say(f"log floor: the script printing {mb:g} MB into /dev/null here ...")
            floor = _log_floor(mb)
            say(f"logs: one run printing {mb:g} MB through an agent ...")
            with agents(ishcd.url, registration, root, 1) as [agent]:
                assert agent.process is not None
                before = rss_mb(pid)
                cpu = cpu_seconds(pid), cpu_seconds(agent.process.pid)
                with Peak(pid) as server_peak, Peak(agent.process.pid) as agent_peak:
                    run_id, seconds = uvloop.run(_big_log(ishcd.url, ishcd.token, mb))
                after = rss_mb(pid)
                server_cpu = cpu_seconds(pid) - cpu[0]
                agent_cpu = cpu_seconds(agent.process.pid) - cpu[1]
            size = _log_bytes(ishcd.url, ishcd.token, run_id)
            if size != int(mb * 1_000_000):
                raise BenchError(f"the big log holds {size} bytes, not {int(mb * 1_000_000)}")
            logs = LogThroughput(
                megabytes=mb,
                seconds=seconds,
                mb_per_s=mb / seconds,
                floor_mb_per_s=floor,
                server_rss_before_mb=before,
                server_rss_peak_mb=server_peak.peak,
                server_rss_after_mb=after,
                agent_rss_peak_mb=agent_peak.peak,
                server_cpu_s=server_cpu,
                agent_cpu_s=agent_cpu,
            )
            say(f"  {logs.mb_per_s:.0f} MB/s (floor {floor:.0f} MB/s)")
    return AgentResults(
        machine=host,
        dispatch=dispatch,
        runs_per_s=rates,
        logs=logs,
        started=started,
        seconds=time.monotonic() - began,
    )


def rows(r: AgentResults) -> list[report.Row]:
    d, logs = r.dispatch, r.logs
    growth = logs.server_rss_peak_mb - logs.server_rss_before_mb
    table = [
        report.Row(
            "floor: POST run answered + bash started (p50)",
            f"{d.floor_ms:.2f} ms",
        ),
        report.Row(
            "agent dispatch: queued to started (p50)",
            f"{d.p50_ms:.2f} ms",
            f"<= {DISPATCH_TARGET_MS:g} ms",
            d.p50_ms <= DISPATCH_TARGET_MS,
        ),
        report.Row("agent dispatch (p95)", f"{d.p95_ms:.2f} ms"),
    ]
    for count, rate in r.runs_per_s.items():
        table.append(report.Row(f"runs/s through {count} agent(s), 1 slot each", f"{rate:.1f}"))
    table += [
        report.Row("floor: the big log's script into /dev/null", f"{logs.floor_mb_per_s:.0f} MB/s"),
        report.Row(
            f"log from an agent ({logs.megabytes:g} MB)",
            f"{logs.mb_per_s:.0f} MB/s",
            f">= {LOG_TARGET_MB_S:g} MB/s",
            logs.mb_per_s >= LOG_TARGET_MB_S,
        ),
        report.Row(
            "server RSS before / peak / after",
            f"{logs.server_rss_before_mb:.0f}/{logs.server_rss_peak_mb:.0f}/"
            f"{logs.server_rss_after_mb:.0f} MB",
            f"peak - before <= {RSS_GROWTH_LIMIT_MB:g} MB",
            growth <= RSS_GROWTH_LIMIT_MB,
        ),
        report.Row("agent RSS peak", f"{logs.agent_rss_peak_mb:.0f} MB"),
        report.Row(
            "CPU on the big log: server / agent",
            f"{logs.server_cpu_s:.1f}/{logs.agent_cpu_s:.1f} s",
        ),
    ]
    return table


def write(r: AgentResults) -> Path:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = asdict(r)
    document["dispatch"]["floor_ms"] = r.dispatch.floor_ms
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    return RESULTS


def main(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    results = measure(args, say)
    path = write(results)
    say(f"\nrunner agents ({results.seconds:.0f} s; {path}):")
    report.print_rows(rows(results))
