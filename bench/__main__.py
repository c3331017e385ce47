"""``python -m bench``: every figure in one run, beside its target.

``python -m bench ui`` runs the UI section alone, ``python -m bench logstore`` the log
stores', ``python -m bench agents`` the runner agents', ``python -m bench replicas``
two server replicas' on PostgreSQL, ``python -m bench artifacts`` a 1 GB artifact's
upload and download, ``python -m bench junit`` parsing a JUnit report
(``python -m bench`` runs them all).

Exit status 0 when the figures were measured, whether or not they meet their
targets (this is a report); 1 when the bench itself broke; 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime
import signal
import sys
import time

import uvloop

from bench import (
    agents,
    api,
    artifacts,
    floor,
    junit,
    latency,
    load,
    logs,
    logstore,
    machine,
    pipeline,
    replicas,
    report,
    server,
    soak,
    throughput,
    ui_section,
)
from bench.exceptions import BenchError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "section",
        nargs="?",
        choices=["all", "ui", "agents", "logstore", "replicas", "artifacts", "junit"],
        default="all",
        help="what to measure",
    )
    parser.add_argument("--latency-runs", type=int, default=latency.RUNS)
    parser.add_argument("--throughput-runs", type=int, default=throughput.RUNS)
    parser.add_argument("--pipelines", type=int, default=pipeline.PIPELINES)
    parser.add_argument("--spawns", type=int, default=floor.SPAWNS, help="floor spawns in all")
    parser.add_argument("--load-seconds", type=float, default=load.DURATION)
    parser.add_argument("--load-rounds", type=int, default=load.ROUNDS)
    parser.add_argument("--soak-seconds", type=float, default=soak.DURATION)
    parser.add_argument(
        "--log-mb", type=float, default=logs.LOG_MB, help="size of the big log, in MB"
    )
    parser.add_argument(
        "--loadgen",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator for requests/s: wrk, bench.loadgen, or wrk if installed",
    )
    ui_section.add_arguments(parser)
    agents.add_arguments(parser)
    logstore.add_arguments(parser)
    replicas.add_arguments(parser)
    artifacts.add_arguments(parser)
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(message, flush=True)


async def measure_runs(
    ishcd: server.Server, args: argparse.Namespace, spawns: list[float]
) -> tuple[floor.Floor, latency.Latency, throughput.Throughput, pipeline.PipelineLatency]:
    async with await api.connect(ishcd.url, ishcd.token) as conn:
        await api.create_job(conn)
    say(f"latency: {args.latency_runs} runs of `true`, one after another ...")
    lat = await latency.measure(ishcd.url, ishcd.token, args.latency_runs)
    say(f"  p50 {lat.p50_ms:.2f} ms, p95 {lat.p95_ms:.2f} ms")
    spawns += floor.sample(args.spawns - args.spawns // 2)
    base = floor.summarize(spawns)
    say(f"floor, second half: p50 of all {base.spawns} spawns {base.p50_ms:.2f} ms")
    say(f"throughput: {args.throughput_runs} runs of `true`, submitted at once ...")
    thr = await throughput.measure(ishcd.url, ishcd.token, args.throughput_runs)
    took = f"{thr.seconds:.2f} s; all submitted after {thr.submit_seconds:.2f} s"
    say(f"  {thr.runs_per_s:.1f} runs/s ({took})")
    say(f"pipelines: {args.pipelines} of a {pipeline.JOBS}-job chain, one after another ...")
    chain = await pipeline.measure(ishcd.url, ishcd.token, args.pipelines)
    say(f"  p50 {chain.p50_ms:.2f} ms, p95 {chain.p95_ms:.2f} ms")
    return base, lat, thr, chain


def run(args: argparse.Namespace) -> report.Results:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    meter = machine.CpuMeter()
    host = machine.identify()
    say(f"machine: {host.describe()}")
    if host.load_average > host.cpus / 2:
        say(f"  (1-minute load average {host.load_average:.1f}: something else is running)")
    say(f"floor: spawning and reaping `bash -c true`, {args.spawns // 2} times before ...")
    spawns = floor.sample(args.spawns // 2)
    say("starting ishcd server (default runner slots, fresh data dir) ...")
    with server.ishcd() as ishcd:
        base, lat, thr, chain = uvloop.run(measure_runs(ishcd, args, spawns))
        say("starting the bare FastAPI app ...")
        with server.bare() as bare:
            say(
                f"requests/s: {args.load_rounds} rounds of {args.load_seconds:g} s each, "
                f"GET run and bare endpoint in turn ..."
            )
            comparison = load.compare(
                args.loadgen,
                ishcd.url + api.run_url(lat.last_run_id),
                bare.url + "/",
                ishcd.token,
                rounds=args.load_rounds,
                duration=args.load_seconds,
                progress=say,
            )
        say(
            f"soak: {soak.CLIENTS} clients creating and reading runs "
            f"for {args.soak_seconds:g} s ..."
        )
        assert ishcd.process is not None
        soaked = uvloop.run(
            soak.measure(ishcd.url, ishcd.token, ishcd.process.pid, args.soak_seconds)
        )
        say(f"  {soaked.requests} requests, {soaked.errors} errors, {soaked.harmed} harmed runs")
        say(f"logs: a {args.log_mb:g} MB log written by a run, then its tail, a jump, a search ...")
        big = uvloop.run(logs.measure(ishcd.url, ishcd.token, args.log_mb))
        say(
            f"  tail {big.tail_ms:.2f} ms, jump {big.jump_ms:.2f} ms, search {big.search_ms:.0f} ms"
        )
    say("servers stopped")
    return report.Results(
        machine=host,
        runner_slots=host.cpus,
        floor=base,
        latency=lat,
        throughput=thr,
        pipeline=chain,
        load=comparison,
        soak=soaked,
        logs=big,
        contention=meter.stop(),
        started=started,
        seconds=time.monotonic() - began,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if args.section == "all":
            results = run(args)
            report.write(results)
            report.show(results)
        if args.section in ("all", "agents"):
            agents.main(args, say)
        if args.section in ("all", "ui"):
            ui_section.main(args, say)
        if args.section in ("all", "logstore"):
            logstore.main(args, say)
        if args.section in ("all", "replicas"):
            replicas.main(args, say)
        if args.section in ("all", "artifacts"):
            artifacts.main(args, say)
        if args.section in ("all", "junit"):
            junit.main(args, say)
    except KeyboardInterrupt:
        print("\nbench interrupted", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"\nbench broke: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
