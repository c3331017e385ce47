"""``python -m bench replicas``: server replicas on one PostgreSQL database, with runner agents.

A fresh database on the server of ``--postgres-url`` (or
``ISHCD_BENCH_POSTGRES_URL``, the log stores' option), dropped after; without
one the section is skipped with a line saying so. Replicas are ``ishcd server``
processes with no runner of their own (``--runner-slots 0``), each on a data
dir of its own, all with the same ``ISHCD_SECRET_KEY``; agents are ``ishcd
runner`` processes of one slot each (``bench.agents.Agent``):

- runs per second through 1 replica and 4 agents, then through 2 replicas
  and 4 agents, 2 attached to each: ``true`` runs submitted at once by 4
  clients, the POSTs alternating between the replicas, first submit to last
  finish (as ``bench.throughput`` does); how many ended ``complete``, and
  (from the database) how many the agents on each replica took.
- dispatch across replicas: an idle agent long-polling on replica B, a run
  POSTed on replica A, from just before the POST to the script's first
  stamp (``bench.agents._dispatch``: one run at a time); beside it the same
  with the agent on replica A, both replicas running, and the floor of
  ``bench.agents``: POST of a run answered, plus starting bash here.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
import uvloop

from bench import agents, api, machine, report, server, throughput
from bench.exceptions import BenchError
from ishcd.db import postgres
from ishcd.db import runners as runners_db

RESULTS = report.RESULTS.parent / "replicas.json"
DISPATCH_RUNS = agents.DISPATCH_RUNS
THROUGHPUT_RUNS = throughput.RUNS
AGENTS = 4
SUBMITTERS = throughput.SUBMITTERS
SIGNALS = "ishcd-signals"  # the application name of a replica's wake-up listener


@dataclass(frozen=True)
class ReplicaThroughput:
    replicas: int
    agents: int
    runs: int
    seconds: float
    runs_per_s: float
    complete: int
    taken: dict[str, int]  # runs taken by the agents attached to each replica, by its name


@dataclass(frozen=True)
class ReplicaResults:
    machine: machine.Machine
    throughput: list[ReplicaThroughput]
    dispatch_one: agents.Dispatch  # the agent on replica A, the POST on A
    dispatch_across: agents.Dispatch  # the agent on replica B, the POST on A
    started: str
    seconds: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Its own counts; the PostgreSQL server is ``--postgres-url`` (``bench.logstore``)."""
    parser.add_argument("--replica-dispatch-runs", type=int, default=DISPATCH_RUNS)
    parser.add_argument("--replica-throughput-runs", type=int, default=THROUGHPUT_RUNS)


async def _fetch(url: str, statement: str, *args: object) -> list[Any]:
    conn = await asyncpg.connect(postgres.dsn_from_url(url))
    try:
        rows: list[Any] = await conn.fetch(statement, *args)
        return rows
    finally:
        await conn.close()


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the server at ``server_url``; dropped on exit."""
    name = f"ishcd_bench_replicas_{uuid.uuid4().hex[:12]}"
    try:
        base = postgres.dsn_from_url(server_url).rpartition("/")[0]
        uvloop.run(_fetch(server_url, f'CREATE DATABASE "{name}"'))
    except (ValueError, OSError, asyncpg.PostgresError) as exc:
        raise BenchError(f"no database made on the --postgres-url server: {exc}") from exc
    try:
        yield f"{base}/{name}"
    finally:
        uvloop.run(_fetch(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def replica(database_url: str, root: Path, name: str, secret_key: str) -> server.Server:
    port = server.free_port()
    command = [sys.executable, "-m", "ishcd", "server", "--host", server.HOST]
    command += ["--port", str(port), "--data-dir", str(root / f"replica-{name}")]
    command += ["--runner-slots", "0"]
    env = {"ISHCD_DATABASE_URL": database_url, "ISHCD_SECRET_KEY": secret_key}
    return server.Server(f"ishcd server (replica {name})", command, port, "/v1/health", env)


def wait_listening(database_url: str, replicas: int) -> None:
    """Until every replica listens for the others' wake-ups (its connection is open)."""
    deadline = time.monotonic() + server.START_TIMEOUT
    statement = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND application_name LIKE $1"
    )
    while uvloop.run(_fetch(database_url, statement, SIGNALS + "%"))[0][0] < replicas:
        if time.monotonic() > deadline:
            raise BenchError(f"not all {replicas} replicas listen for wake-ups")
        time.sleep(0.1)


@contextmanager
def attached(
    replicas: list[tuple[str, str]], registration: str, root: Path, tag: str
) -> Iterator[dict[str, str]]:
    """An agent of one slot on each replica of ``replicas`` (name and URL; repeat one for
    more agents on it); each agent's name -> its replica's name."""
    started: list[agents.Agent] = []
    on: dict[str, str] = {}
    try:
        for index, (replica_name, url) in enumerate(replicas):
            name = f"bench-{tag}-{index}"
            agent = agents.Agent(url, registration, root / name, name)
            started.append(agent)  # before it starts: stopped however start ends
            agent.start()
            on[name] = replica_name
        time.sleep(0.5)  # each in its long poll
        yield on
    finally:
        for agent in started:
            agent.stop()


async def _submit_alternately(urls: list[str], token: str, runs: int) -> list[str]:
    """Submit ``runs`` runs, the POSTs through ``urls`` in turn; their ids."""
    ids: list[str] = []
    sent = 0

    async def submitter() -> None:
        nonlocal sent
        async with AsyncExitStack() as stack:
            conns = [await stack.enter_async_context(await api.connect(u, token)) for u in urls]
            while sent < runs:
                conn = conns[sent % len(conns)]
                sent += 1
                ids.append(await api.submit(conn))

    await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
    return ids


async def _taken(database_url: str, ids: list[str], on: dict[str, str]) -> dict[str, int]:
    """How many of the runs ``ids`` the agents took, summed by the replica each is attached
    to (``on``: agent name -> replica name)."""
    rows = await _fetch(
        database_url,
        "SELECT r.name, count(*) FROM runs JOIN runners r"
        " ON runs.runner_id LIKE $1 || r.id || ':%' WHERE runs.id = ANY($2::text[])"
        " GROUP BY r.name",
        runners_db.RUN_PREFIX,
        ids,
    )
    taken = dict.fromkeys(sorted(set(on.values())), 0)
    for name, count in rows:
        taken[on[name]] += count
    return taken


async def _throughput(
    urls: list[str], database_url: str, token: str, runs: int, on: dict[str, str]
) -> ReplicaThroughput:
    """``runs`` POSTed through ``urls`` in turn, run by the agents ``on`` the replicas."""
    start = time.perf_counter()
    ids = await _submit_alternately(urls, token, runs)
    await throughput._wait_all_finished(urls[0], token, ids[-1])
    seconds = time.perf_counter() - start
    async with await api.connect(urls[-1], token) as conn:  # counted through the last replica
        complete = len(set(ids) & await api.run_ids(conn, "complete"))
    return ReplicaThroughput(
        replicas=len(urls),
        agents=len(on),
        runs=runs,
        seconds=seconds,
        runs_per_s=runs / seconds,
        complete=complete,
        taken=await _taken(database_url, ids, on),
    )


def _said(f: ReplicaThroughput) -> str:
    taken = ", ".join(f"{n} by the agents on {name}" for name, n in f.taken.items())
    return f"{f.runs_per_s:.1f} runs/s, {f.complete} of {f.runs} complete; {taken}"


def _dispatch_figures(
    samples: list[float], trips: list[float], spawns: list[float]
) -> agents.Dispatch:
    return agents.Dispatch(
        runs=len(samples),
        p50_ms=statistics.median(samples),
        p95_ms=agents._p95(samples),
        floor_round_trip_ms=statistics.median(trips),
        floor_spawn_ms=statistics.median(spawns),
    )


async def _create_bench_job(url: str, token: str) -> None:
    async with await api.connect(url, token) as conn:
        await api.create_job(conn)


def measure(
    postgres_url: str, args: argparse.Namespace, say: Callable[[str], None]
) -> ReplicaResults:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    host = machine.identify()
    say(f"machine: {host.describe()}")
    key = secrets.token_urlsafe(32)
    runs, dispatches = args.replica_throughput_runs, args.replica_dispatch_runs
    with (
        tempfile.TemporaryDirectory(
            prefix="ishcd-bench-replicas-", ignore_cleanup_errors=True
        ) as t,
        scratch_database(postgres_url) as database_url,
        ExitStack() as stack,
    ):
        root = Path(t)
        say("replicas: a fresh database; replica A (--runner-slots 0) on it ...")
        a = stack.enter_context(server.running(replica(database_url, root, "A", key)))
        if not a.token:
            raise BenchError(f"replica A printed no API token:\n{a.tail()}")
        token = a.token
        registration = agents._setup(a.url, token)
        uvloop.run(_create_bench_job(a.url, token))

        say(f"dispatch floor: {dispatches} POSTs of a run, no agent ...")
        trips = uvloop.run(agents._round_trips(a.url, token, dispatches))
        spawns = agents._spawn_stamps(dispatches)

        figures: list[ReplicaThroughput] = []
        say(f"throughput: {runs} runs of `true`, 1 replica, {AGENTS} agents ...")
        with attached([("A", a.url)] * AGENTS, registration, root, "one") as on:
            figures.append(uvloop.run(_throughput([a.url], database_url, token, runs, on)))
        say(f"  {_said(figures[-1])}")

        say("replica B on the same database ...")
        b = stack.enter_context(server.running(replica(database_url, root, "B", key)))
        wait_listening(database_url, 2)

        say(f"dispatch: {dispatches} runs POSTed on A, one at a time, to an idle agent on A ...")
        with attached([("A", a.url)], registration, root, "on-a"):
            one = _dispatch_figures(
                uvloop.run(agents._dispatch(a.url, token, dispatches)), trips, spawns
            )
        say(f"  p50 {one.p50_ms:.2f} ms, p95 {one.p95_ms:.2f} ms (floor {one.floor_ms:.2f} ms)")
        say(f"dispatch: {dispatches} runs POSTed on A, one at a time, to an idle agent on B ...")
        with attached([("B", b.url)], registration, root, "on-b"):
            across = _dispatch_figures(
                uvloop.run(agents._dispatch(a.url, token, dispatches)), trips, spawns
            )
        say(f"  p50 {across.p50_ms:.2f} ms, p95 {across.p95_ms:.2f} ms")

        say(
            f"throughput: {runs} runs of `true`, POSTed on A and B in turn, "
            f"{AGENTS} agents ({AGENTS // 2} on each) ..."
        )
        both = [("A", a.url), ("B", b.url)]
        with attached(both * (AGENTS // 2), registration, root, "two") as on:
            urls = [a.url, b.url]
            figures.append(uvloop.run(_throughput(urls, database_url, token, runs, on)))
        say(f"  {_said(figures[-1])}")
    say("replicas stopped, database dropped")
    return ReplicaResults(
        machine=host,
        throughput=figures,
        dispatch_one=one,
        dispatch_across=across,
        started=started,
        seconds=time.monotonic() - began,
    )


def rows(r: ReplicaResults) -> list[report.Row]:
    one, across = r.dispatch_one, r.dispatch_across
    target = f"<= {agents.DISPATCH_TARGET_MS:g} ms"
    table = [
        report.Row("floor: POST run answered + bash started (p50)", f"{one.floor_ms:.2f} ms"),
        report.Row(
            "dispatch, agent and POST on replica A (p50)",
            f"{one.p50_ms:.2f} ms",
            target,
            one.p50_ms <= agents.DISPATCH_TARGET_MS,
        ),
        report.Row("  (p95)", f"{one.p95_ms:.2f} ms"),
        report.Row(
            "dispatch across: agent on B, POST on A (p50)",
            f"{across.p50_ms:.2f} ms",
            target,
            across.p50_ms <= agents.DISPATCH_TARGET_MS,
        ),
        report.Row("  (p95)", f"{across.p95_ms:.2f} ms"),
    ]
    for f in r.throughput:
        spread = "" if f.replicas == 1 else f", {f.agents // f.replicas} on each, POSTs in turn"
        table += [
            report.Row(
                f"runs/s through {f.replicas} replica{'s' if f.replicas > 1 else ''}, "
                f"{f.agents} agents{spread}",
                f"{f.runs_per_s:.1f}",
            ),
            report.Row("  runs complete", f"{f.complete}/{f.runs}", "all", f.complete == f.runs),
        ]
        if f.replicas > 1:
            table.append(
                report.Row(
                    f"  taken by the agents on {' / '.join(f.taken)}",
                    "/".join(str(n) for n in f.taken.values()),
                    "each > 0",
                    all(f.taken.values()),
                )
            )
    return table


def write(r: ReplicaResults) -> Path:
    document = asdict(r)
    document["dispatch_one"]["floor_ms"] = r.dispatch_one.floor_ms
    document["dispatch_across"]["floor_ms"] = r.dispatch_across.floor_ms
    document["targets"] = [asdict(row) for row in rows(r) if row.passed is not None]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    return RESULTS


def main(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    if args.postgres_url is None:
        say("replicas skipped: give --postgres-url or ISHCD_BENCH_POSTGRES_URL")
        return
    results = measure(args.postgres_url, args, say)
    path = write(results)
    say(f"\nreplicas ({results.seconds:.0f} s; {path}):")
    report.print_rows(rows(results))
