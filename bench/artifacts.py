"""``python -m bench artifacts``: a 1 GB artifact up and down on loopback, beside its floor.

A server with no runner of its own (``bench.blob_server``: the real server,
plus what the product may not have yet, see there) on a fresh data dir; the
bench registers a runner with a registration token, claims a run with its
credential, and then:

- upload: the agent's own code (``HttpProtocol.upload``) sends a file of
  ``--artifact-mb`` MB of random bytes through the runner route
  (``PUT /v1/runner/jobs/{run}/uploads/artifact``): staged, hashed, synced
  and kept in the blob store, timed to the server's answer.
- download: a plain GET of it (the public artifact route when the server has
  it, else ``bench.blob_server``'s route through the same ``blob_response``),
  read from the socket and hashed here to check it.
- Range: ``Range: bytes=-1048576`` (its last MiB), ``RANGE_REQUESTS`` times: p50.
- The server's memory (RSS) before, at its peak during both, and after.

Floor: the same bytes written and synced (``fsync``) to a file in 1 MiB writes,
then read back, each with SHA-256 as it goes, in this process.

With ``--postgres-url`` (``ISHCD_BENCH_POSTGRES_URL``) the same on a fresh
PostgreSQL database (the database blob store), after the file store.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import uvloop

from bench import machine, report, server
from bench.agents import Peak, rss_mb
from bench.exceptions import BenchError
from ishcd.runner.http import HttpProtocol
from ishcd.runner.protocol import Lease

RESULTS = report.RESULTS.parent / "artifacts.json"
ARTIFACT_MB = 1024.0
PIECE = 1024 * 1024
RANGE_REQUESTS = 50
PROJECT = "artifacts"
JOB = "build"
NAME = "big.bin"
TARGET_MB_S = 200.0
RANGE_TARGET_MS = 20.0
RSS_GROWTH_LIMIT_MB = 64.0
PUBLIC_DOWNLOAD = "/v1/runs/{run_id}/artifacts/{path}"
BENCH_DOWNLOAD = "/v1/bench-only/blobs/{sha256}"


@dataclass(frozen=True)
class StoreFigures:
    store: str  # file | database
    upload_mb_s: float
    download_mb_s: float
    download_route: str
    range_p50_ms: float
    rss_before_mb: float
    rss_peak_mb: float
    rss_after_mb: float


@dataclass(frozen=True)
class ArtifactResults:
    machine: machine.Machine
    megabytes: float
    floor_write_mb_s: float
    floor_read_mb_s: float
    stores: list[StoreFigures]
    # PostgreSQL's own floor: the same bytes as 1 MiB rows, INSERTed in one transaction.
    floor_database_mb_s: float | None
    skipped: list[str]
    started: str
    seconds: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--artifact-mb", type=float, default=ARTIFACT_MB, help="size of the artifact, in MiB"
    )


def make_source(path: Path, megabytes: float) -> str:
    """A file of random bytes; its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for _ in range(int(megabytes)):
            piece = os.urandom(PIECE)
            digest.update(piece)
            out.write(piece)
    return digest.hexdigest()


def floor(source: Path, where: Path) -> tuple[float, float]:
    """MB/s writing (and syncing) the source's bytes to a new file, then reading them back,
    with SHA-256 each way."""
    size = source.stat().st_size
    target = where / "floor.bin"
    began = time.perf_counter()
    digest = hashlib.sha256()
    with source.open("rb") as handle, target.open("wb", buffering=0) as out:
        while piece := handle.read(PIECE):
            digest.update(piece)
            out.write(piece)
        os.fsync(out.fileno())
    write = size / 1e6 / (time.perf_counter() - began)
    began = time.perf_counter()
    digest = hashlib.sha256()
    with target.open("rb", buffering=0) as handle:
        while piece := handle.read(PIECE):
            digest.update(piece)
    read = size / 1e6 / (time.perf_counter() - began)
    target.unlink()
    return write, read


def _setup(url: str, token: str) -> str:
    """The project and job, and a runner's credential."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        for path, body in (
            ("/v1/projects", {"name": PROJECT}),
            (f"/v1/projects/{PROJECT}/jobs", {"name": JOB, "script": "true"}),
        ):
            response = client.post(path, json=body)
            if response.status_code != 201:
                raise BenchError(f"POST {path} answered {response.status_code}: {response.text}")
        made = client.post("/v1/runners/registration-tokens", json={"description": "bench"})
        if made.status_code != 201:
            raise BenchError(f"no registration token: {made.status_code} {made.text}")
        body = {"token": made.json()["token"], "name": "bench", "version": "b", "host": "h"}
        registered = client.post("/v1/runner/register", json=body)
        if registered.status_code != 201:
            raise BenchError(f"no runner registered: {registered.status_code} {registered.text}")
        return str(registered.json()["credential"])


def _claim(url: str, token: str, credential: str) -> Lease:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        run = client.post(f"/v1/projects/{PROJECT}/jobs/{JOB}/runs")
        if run.status_code != 201:
            raise BenchError(f"no run: {run.status_code} {run.text}")
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {credential}"}) as agent:
        claim = agent.post("/v1/runner/jobs/request", json={"slot": "0", "wait": 10})
        if claim.status_code != 200:
            raise BenchError(f"the runner got no run: {claim.status_code} {claim.text}")
        body = claim.json()
        return Lease(body["run_id"], "bench", int(body["attempt"]))


async def _upload(url: str, credential: str, lease: Lease, source: Path, root: Path) -> float:
    protocol = HttpProtocol(url, credential, root / "spool")
    try:
        began = time.perf_counter()
        answer = await protocol.upload(lease, "artifact", NAME, source)
        seconds = time.perf_counter() - began
    finally:
        await protocol.close()
    if answer.get("size") != source.stat().st_size:
        raise BenchError(f"the server answered {answer} to the upload")
    return seconds


def _download_path(url: str, token: str, lease: Lease, sha256: str) -> str:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        paths = client.get("/v1/swagger.json").json()["paths"]
    if PUBLIC_DOWNLOAD in paths:
        return PUBLIC_DOWNLOAD.format(run_id=lease.run_id, path=NAME)
    return BENCH_DOWNLOAD.format(sha256=sha256)


async def _download(url: str, token: str, path: str, sha256: str, size: int) -> float:
    """Seconds for a plain GET of ``path``, read in 1 MiB pieces from the socket and hashed
    (not through httpx, which costs more CPU here than the server does)."""
    host, port = url.removeprefix("http://").split(":")
    began = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, int(port), limit=4 * PIECE)
    try:
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(request.encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status = head.split(" ", 2)[1]
        if status != "200":
            raise BenchError(f"GET {path} answered {head.splitlines()[0]}")
        digest = hashlib.sha256()
        received = 0
        while piece := await reader.read(PIECE):
            digest.update(piece)
            received += len(piece)
    finally:
        writer.close()
    seconds = time.perf_counter() - began
    if received != size or digest.hexdigest() != sha256:
        raise BenchError(f"the download is not the file ({received} bytes of {size})")
    return seconds


async def _ranges(url: str, token: str, path: str, tail: bytes) -> float:
    headers = {"Authorization": f"Bearer {token}", "Range": f"bytes=-{len(tail)}"}
    times = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(RANGE_REQUESTS + 3):
            began = time.perf_counter()
            response = await client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            if response.status_code != 206 or response.content != tail:
                raise BenchError(f"Range: GET {path} answered {response.status_code}")
    return statistics.median(times[3:])  # after a warm-up


def measure_store(
    store: str,
    root: Path,
    source: Path,
    sha256: str,
    say: Callable[[str], None],
    database_url: str | None = None,
) -> StoreFigures:
    port = server.free_port()
    command = [sys.executable, "-m", "bench.blob_server", "server", "--host", server.HOST]
    command += ["--port", str(port), "--data-dir", str(root / f"data-{store}")]
    command += ["--runner-slots", "0"]
    limit = str(4 * source.stat().st_size)
    env = {"ISHCD_UPLOAD_MAX_BYTES": limit, "ISHCD_ARTIFACT_MAX_FILE": limit}
    env["ISHCD_ARTIFACT_MAX_RUN"] = limit
    if database_url is not None:
        env["ISHCD_DATABASE_URL"] = database_url
    ishcd = server.Server("ishcd server", command, port, "/v1/health", env)
    size = source.stat().st_size
    megabytes = size / 1e6
    with server.running(ishcd):
        if not ishcd.token:
            raise BenchError(f"ishcd server printed no API token:\n{ishcd.tail()}")
        assert ishcd.process is not None
        pid = ishcd.process.pid
        credential = _setup(ishcd.url, ishcd.token)
        lease = _claim(ishcd.url, ishcd.token, credential)
        before = rss_mb(pid)
        say(f"  {store} store: upload of {megabytes:.0f} MB through the runner route ...")
        with Peak(pid) as peak:
            up = uvloop.run(_upload(ishcd.url, credential, lease, source, root))
            say(f"    {megabytes / up:.0f} MB/s")
            path = _download_path(ishcd.url, ishcd.token, lease, sha256)
            say(f"  {store} store: download (GET {path.split('?')[0]}) ...")
            down = uvloop.run(_download(ishcd.url, ishcd.token, path, sha256, size))
            say(f"    {megabytes / down:.0f} MB/s")
        after = rss_mb(pid)
        with source.open("rb") as handle:
            handle.seek(size - PIECE)
            tail = handle.read()
        ranged = uvloop.run(_ranges(ishcd.url, ishcd.token, path, tail))
        say(f"    Range of the last MiB: p50 {ranged:.2f} ms")
    return StoreFigures(
        store=store,
        upload_mb_s=megabytes / up,
        download_mb_s=megabytes / down,
        download_route=path.split("/")[2] if path.startswith("/v1/bench-only") else "public",
        range_p50_ms=ranged,
        rss_before_mb=before,
        rss_peak_mb=max(peak.peak, before, after),
        rss_after_mb=after,
    )


@contextmanager
def _database(postgres_url: str | None) -> Iterator[str | None]:
    if postgres_url is None:
        yield None
        return
    from bench.replicas import scratch_database

    with scratch_database(postgres_url) as url:
        yield url


def database_floor(url: str, source: Path) -> float:
    """MB/s of inserting the file as 1 MiB bytea rows (stored out of line, as
    ``blob_chunks``) in one transaction: what the database store's upload can reach."""
    import asyncpg

    from ishcd.db import postgres

    async def run() -> float:
        conn = await asyncpg.connect(postgres.dsn_from_url(url))
        try:
            await conn.execute("CREATE TABLE floor (n bigint PRIMARY KEY, data bytea NOT NULL)")
            await conn.execute("ALTER TABLE floor ALTER COLUMN data SET STORAGE EXTERNAL")
            began = time.perf_counter()
            async with conn.transaction():
                with source.open("rb") as f:
                    n = 0
                    while piece := f.read(PIECE):
                        await conn.execute("INSERT INTO floor VALUES ($1, $2)", n, piece)
                        n += 1
            seconds = time.perf_counter() - began
            await conn.execute("DROP TABLE floor")
            return source.stat().st_size / 1e6 / seconds
        finally:
            await conn.close()

    return asyncio.run(run())


def measure(args: argparse.Namespace, say: Callable[[str], None]) -> ArtifactResults:
    began = time.monotonic()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    host = machine.identify()
    say(f"machine: {host.describe()}")
    stores: list[StoreFigures] = []
    skipped: list[str] = []
    database_mb_s: float | None = None
    with tempfile.TemporaryDirectory(prefix="ishcd-bench-artifacts-") as t:
        root = Path(t)
        source = root / "source.bin"
        say(f"artifacts: making {args.artifact_mb:g} MiB of random bytes ...")
        sha256 = make_source(source, args.artifact_mb)
        say("floor: writing (with fsync) and reading them back, SHA-256 each way ...")
        write, read = floor(source, root)
        say(f"  write {write:.0f} MB/s, read {read:.0f} MB/s")
        stores.append(measure_store("file", root, source, sha256, say))
        if args.postgres_url is None:
            skipped.append("database store: skipped (no --postgres-url)")
        else:
            with _database(args.postgres_url) as url:
                assert url is not None
                say("floor: the same bytes INSERTed into PostgreSQL as 1 MiB rows ...")
                database_mb_s = database_floor(url, source)
                say(f"  {database_mb_s:.0f} MB/s")
                stores.append(measure_store("database", root, source, sha256, say, url))
    return ArtifactResults(
        machine=host,
        megabytes=int(args.artifact_mb) * PIECE / 1e6,
        floor_write_mb_s=write,
        floor_read_mb_s=read,
        stores=stores,
        floor_database_mb_s=database_mb_s,
        skipped=skipped,
        started=started,
        seconds=time.monotonic() - began,
    )


def rows(r: ArtifactResults) -> list[report.Row]:
    table = [
        report.Row(
            "floor: write + fsync, SHA-256 (1 MiB writes)", f"{r.floor_write_mb_s:.0f} MB/s"
        ),
        report.Row("floor: read back, SHA-256", f"{r.floor_read_mb_s:.0f} MB/s"),
    ]
    if r.floor_database_mb_s is not None:
        table.append(
            report.Row(
                "floor: PostgreSQL INSERT of 1 MiB rows, one transaction",
                f"{r.floor_database_mb_s:.0f} MB/s",
            )
        )
    for s in r.stores:
        growth = s.rss_peak_mb - s.rss_before_mb
        route = "public route" if s.download_route == "public" else "bench-only route"
        table += [
            report.Row(
                f"{s.store} store: upload {r.megabytes:.0f} MB (runner route)",
                f"{s.upload_mb_s:.0f} MB/s",
                f">= {TARGET_MB_S:g} MB/s",
                s.upload_mb_s >= TARGET_MB_S,
            ),
            report.Row(
                f"{s.store} store: download, plain GET ({route})",
                f"{s.download_mb_s:.0f} MB/s",
                f">= {TARGET_MB_S:g} MB/s",
                s.download_mb_s >= TARGET_MB_S,
            ),
            report.Row(
                f"{s.store} store: Range, last MiB (p50 of {RANGE_REQUESTS})",
                f"{s.range_p50_ms:.2f} ms",
                f"< {RANGE_TARGET_MS:g} ms",
                s.range_p50_ms < RANGE_TARGET_MS,
            ),
            report.Row(
                f"{s.store} store: server RSS before / peak / after",
                f"{s.rss_before_mb:.0f}/{s.rss_peak_mb:.0f}/{s.rss_after_mb:.0f} MB",
                f"peak - before <= {RSS_GROWTH_LIMIT_MB:g} MB",
                growth <= RSS_GROWTH_LIMIT_MB,
            ),
        ]
    return table


def main(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    results = measure(args, say)
    document = asdict(results)
    document["targets"] = [asdict(row) for row in rows(results) if row.passed is not None]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    say(f"\nartifacts ({results.seconds:.0f} s; {os.path.relpath(RESULTS)}):")
    report.print_rows(rows(results))
    for line in results.skipped:
        say(line)
