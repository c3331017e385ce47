"""The runner protocol over HTTP (``/v1/runner/…``): a remote agent's side.

Every call names its run's attempt (the lease's fencing token); the server
answers 409 to an attempt that is no longer current: a heartbeat then says
``Control.ABANDON``, the other calls raise ``LeaseLost``. A server that
cannot be reached, times out or answers 5xx raises
``exceptions.Unavailable``, which ``runner.resilient`` retries with back-off
and jitter. A 401 means the server no longer knows this runner (it was
deleted): ``gone`` is set, and the agent stops.

``append_log`` never waits for the server: output goes to the run's spool on
disk (``runner.spool``) and a sender task per run ships it by offset, in
chunks, retrying for as long as it takes and sending again from the
server's size after a 416. ``finish`` waits for the spool to be delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

from ishcd import __version__, exceptions
from ishcd.outputs import Outputs
from ishcd.runner import resilient
from ishcd.runner.protocol import (
    Assignment,
    CacheHit,
    Control,
    Lease,
    LeaseLost,
    Outcome,
    RunnerProtocol,
    Section,
    UploadRefused,
)
from ishcd.runner.spool import Spool

log = logging.getLogger(__name__)

BUFFER_BYTES = 256 * 1024 * 1024  # per run: output not yet sent, past which its middle goes
CONNECT_TIMEOUT = 5.0
REQUEST_TIMEOUT = 20.0  # a call that takes longer is retried (a dead link hangs, not fails)
HELD_SLACK = 10.0  # a held request (claim, control) may take this much past its wait
MAX_WAIT = 30.0  # the server holds a request at most this long
# A full spool waits for a server that takes the output, only slower than the script
# makes it; when it has taken nothing for this long (it is away), the spool drops instead.
STALL_SECONDS = 2.0
USER_AGENT = f"ishcd-runner/{__version__}"
UPLOAD_CHUNK = 1024 * 1024
# After the last byte of an upload the server stores it (a large file in the database
# takes seconds): its answer may take this long.
UPLOAD_ANSWER_TIMEOUT = 600.0


class RunnerGone(Exception):
    """The server refused this runner's credential: the runner was deleted."""


class ProtocolError(Exception):
    """The server answered something this runner does not understand."""


def _unexpected(what: str, response: httpx.Response) -> ProtocolError:
    answer = f"{response.status_code}: {response.text[:200]}"
    return ProtocolError(f"{what}: the server answered {answer}")


def _unreachable(url: str, exc: httpx.TransportError) -> exceptions.Unavailable:
    return exceptions.Unavailable(f"the server at {url} did not answer ({type(exc).__name__})")


def _seconds(value: float) -> float:
    return max(0.0, min(MAX_WAIT, round(value, 3)))


class HttpProtocol(RunnerProtocol):
    def __init__(
        self,
        url: str,
        credential: str,
        spool_dir: Path,
        buffer_bytes: int = BUFFER_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
        retry_max_delay: float = resilient.MAX_DELAY,
    ):
        self.url = url.rstrip("/")
        self.spool_dir = spool_dir
        self.buffer_bytes = buffer_bytes
        self.retry_max_delay = retry_max_delay
        self.gone = asyncio.Event()  # the server no longer knows this runner
        self.client = httpx.AsyncClient(
            base_url=f"{self.url}/v1/runner",
            headers={"Authorization": f"Bearer {credential}", "User-Agent": USER_AGENT},
            timeout=httpx.Timeout(REQUEST_TIMEOUT, connect=CONNECT_TIMEOUT),
            # Each run holds a request open (control) and each slot one (claim).
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            transport=transport,
        )
        self._runs: dict[tuple[str, int], RunLog] = {}

    async def close(self) -> None:
        for run in list(self._runs.values()):
            await run.close()
        self._runs.clear()
        await self.client.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call; ``Unavailable`` when the server cannot answer it now, ``RunnerGone`` on 401."""
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        if response.status_code >= 500 or response.status_code == 429:
            retry_after = response.headers.get("retry-after", "")
            raise exceptions.Unavailable(
                f"the server at {self.url} answered {response.status_code}",
                retry_after=int(retry_after) if retry_after.isdigit() else 5,
            )
        if response.status_code == 401:
            self.gone.set()
            raise RunnerGone(
                f"the server at {self.url} refused this runner's credential: "
                "the runner was deleted there"
            )
        return response

    async def claim(self, runner_id: str, wait_seconds: float) -> Assignment | None:
        wait = _seconds(wait_seconds)
        try:
            response = await self.request(
                "POST",
                "/jobs/request",
                json={"slot": runner_id, "wait": wait},
                timeout=httpx.Timeout(wait + HELD_SLACK, connect=CONNECT_TIMEOUT),
            )
        except RunnerGone:
            await asyncio.sleep(1.0)  # the agent is stopping
            return None
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            raise _unexpected("asking for a run", response)
        assignment = assignment_of(response.json())
        key = (assignment.run_id, assignment.attempt)
        directory = self.spool_dir / f"{assignment.run_id}.{assignment.attempt}"
        spool = Spool(directory, assignment.log_offset, self.buffer_bytes)
        lease = Lease(assignment.run_id, runner_id, assignment.attempt)
        self._runs[key] = RunLog(self, lease, spool)
        return assignment

    async def heartbeat(self, lease: Lease) -> Control:
        try:
            response = await self.request(
                "POST", f"/jobs/{lease.run_id}/heartbeat", json={"attempt": lease.attempt}
            )
        except RunnerGone:
            return self._abandon(lease)
        if response.status_code in (404, 409):
            return self._abandon(lease)
        if response.status_code != 200:
            raise _unexpected(f"a heartbeat of run {lease.run_id}", response)
        return Control.CANCEL if response.json().get("control") == "cancel" else Control.CONTINUE

    def _abandon(self, lease: Lease) -> Control:
        run = self._runs.get((lease.run_id, lease.attempt))
        if run is not None:
            run.lose()
        return Control.ABANDON

    def forget(self, run: RunLog) -> None:
        """The run is over for this runner."""
        key = (run.lease.run_id, run.lease.attempt)
        if self._runs.get(key) is run:
            del self._runs[key]

    async def wait_canceled(self, lease: Lease, timeout: float) -> bool:
        wait = _seconds(timeout)
        try:
            response = await self.request(
                "POST",
                f"/jobs/{lease.run_id}/control",
                json={"attempt": lease.attempt, "wait": wait},
                timeout=httpx.Timeout(wait + HELD_SLACK, connect=CONNECT_TIMEOUT),
            )
        except RunnerGone:
            return False  # the heartbeat that follows gives the run up
        if response.status_code in (404, 409):
            return False  # likewise
        if response.status_code != 200:
            raise _unexpected(f"waiting on run {lease.run_id}", response)
        return bool(response.json().get("control") == "cancel")

    def _run(self, lease: Lease) -> RunLog:
        run = self._runs.get((lease.run_id, lease.attempt))
        if run is None or run.lost:
            raise LeaseLost(lease.run_id)
        return run

    async def append_log(self, lease: Lease, offset: int, data: bytes) -> None:
        run = self._run(lease)
        await run.room_for(len(data))
        run.spool.write(offset, data)
        run.wake()

    async def report_sections(self, lease: Lease, sections: list[Section]) -> None:
        run = self._run(lease)
        run.spool.set_sections(sections)
        run.wake()

    async def finish(self, lease: Lease, outcome: Outcome) -> None:
        run = self._run(lease)
        try:
            response = await self._finish(run, outcome)
        except LeaseLost:  # (Unavailable is retried: the run and its spool stay)
            response = None
        self._runs.pop((lease.run_id, lease.attempt), None)
        await run.close()
        if response is None or response.status_code in (404, 409):
            raise LeaseLost(lease.run_id)
        if response.status_code != 200:
            raise _unexpected(f"recording the end of run {lease.run_id}", response)

    async def _finish(self, run: RunLog, outcome: Outcome) -> httpx.Response | None:
        """Deliver the output, then the end; the answer (None: the runner is gone)."""
        lease = run.lease
        while True:
            await run.delivered()
            body = {
                "attempt": lease.attempt,
                "exit_code": outcome.exit_code,
                "error_reason": outcome.error_reason,
                "log_size": run.spool.end,
            }
            try:
                response = await self.request("POST", f"/jobs/{lease.run_id}/finish", json=body)
            except RunnerGone:
                return None
            if response.status_code != 416:
                return response
            # The server holds less than the whole log: send it again from its size.
            run.spool.rewind(int(response.headers.get("x-log-size", "0")))
            run.wake()

    async def upload(self, lease: Lease, kind: str, name: str, path: Path) -> dict[str, Any]:
        """Stream the file (``ResilientProtocol`` sends it again from its start after a
        failure that may be the server's): its answer, or ``UploadRefused`` with its reason."""
        size = await asyncio.to_thread(lambda: path.stat().st_size)
        try:
            response = await self.request(
                "PUT",
                f"/jobs/{lease.run_id}/uploads/{kind}",
                params={"attempt": lease.attempt, "name": name},
                content=_file_pieces(path),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
                timeout=httpx.Timeout(UPLOAD_ANSWER_TIMEOUT, connect=CONNECT_TIMEOUT),
            )
        except RunnerGone:
            raise LeaseLost(lease.run_id) from None
        if response.status_code == 200:
            answer: dict[str, Any] = response.json()
            return answer
        if response.status_code in (404, 409):
            raise LeaseLost(lease.run_id)
        if 400 <= response.status_code < 500:
            raise UploadRefused(_message(response), response.status_code)
        raise _unexpected(f"sending {name!r} of run {lease.run_id}", response)

    async def fetch_source(self, lease: Lease, checkout: dict[str, str], into: Path) -> str:
        """The revision's code as a git bundle the server makes: a path to clone from."""
        bundle = into / "source.bundle"
        path = f"/jobs/{lease.run_id}/source"
        try:
            async with self.client.stream(
                "GET", path, params={"attempt": lease.attempt}, timeout=REQUEST_TIMEOUT * 6
            ) as response:
                if response.status_code == 409:
                    raise LeaseLost(lease.run_id)
                if response.status_code == 401:
                    self.gone.set()
                    raise LeaseLost(lease.run_id)
                if response.status_code >= 500:
                    raise exceptions.Unavailable(
                        f"the server at {self.url} answered {response.status_code}"
                    )
                if response.status_code != 200:
                    await response.aread()
                    raise _unexpected("fetching the code", response)
                with bundle.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        return str(bundle)

    async def find_cache(self, lease: Lease, keys: list[str]) -> CacheHit | None:
        body = {"attempt": lease.attempt, "keys": keys}
        response = await self.request("POST", f"/jobs/{lease.run_id}/caches/find", json=body)
        if response.status_code in (404, 409):
            raise LeaseLost(lease.run_id)
        if response.status_code != 200:
            raise _unexpected(f"looking up the cache of run {lease.run_id}", response)
        hit = response.json().get("cache")
        if hit is None:
            return None
        return CacheHit(int(hit["id"]), str(hit["key"]), str(hit["sha256"]), int(hit["size"]))

    async def fetch_cache(self, lease: Lease, hit: CacheHit, into: Path) -> bool:
        """The cache's archive, streamed to ``into``; False when it is gone (404)."""
        path = f"/jobs/{lease.run_id}/caches/{hit.id}"
        try:
            async with self.client.stream(
                "GET", path, params={"attempt": lease.attempt}, timeout=REQUEST_TIMEOUT * 6
            ) as response:
                if response.status_code == 404:
                    return False
                await self._check_stream(lease, response, "fetching the cache")
                with into.open("wb") as out:
                    async for chunk in response.aiter_bytes():
                        out.write(chunk)
        except httpx.TransportError as exc:
            raise _unreachable(self.url, exc) from exc
        return True

    async def _check_stream(self, lease: Lease, response: httpx.Response, what: str) -> None:
        """Raise for a streamed answer that is not a 200 (its body read first)."""
        if response.status_code == 409:
            raise LeaseLost(lease.run_id)
        if response.status_code == 401:
            self.gone.set()
            raise LeaseLost(lease.run_id)
        if response.status_code >= 500 or response.status_code == 429:
            raise exceptions.Unavailable(
                f"the server at {self.url} answered {response.status_code}"
            )
        if response.status_code != 200:
            await response.aread()
            raise _unexpected(what, response)


async def _file_pieces(path: Path) -> AsyncIterator[bytes]:
    """The file in ``UPLOAD_CHUNK`` pieces, each read on a thread while the last is sent."""
    with path.open("rb", buffering=0) as source:
        reading = asyncio.ensure_future(asyncio.to_thread(source.read, UPLOAD_CHUNK))
        try:
            while piece := await reading:
                reading = asyncio.ensure_future(asyncio.to_thread(source.read, UPLOAD_CHUNK))
                yield piece
        finally:
            if not reading.done():
                await asyncio.wait([reading])


def _message(response: httpx.Response) -> str:
    """The reason in an error answer (``{"message": ...}``), else its start."""
    try:
        message = response.json().get("message")
    except ValueError:
        message = None
    return str(message) if message else f"the server answered {response.status_code}"


def assignment_of(body: dict[str, Any]) -> Assignment:
    checkout = body.get("checkout")
    return Assignment(
        run_id=str(body["run_id"]),
        project=str(body["project"]),
        job=str(body["job"]),
        script=str(body["script"]),
        env={str(k): str(v) for k, v in body.get("env", {}).items()},
        timeout=int(body["timeout"]),
        secrets=[str(s) for s in body.get("secrets", [])],
        checkout=None if checkout is None else {str(k): str(v) for k, v in checkout.items()},
        sections=bool(body.get("sections", False)),
        attempt=int(body["attempt"]),
        log_offset=int(body.get("log_offset", 0)),
        outputs=Outputs.from_json(body.get("outputs")),
    )


class RunLog:
    """One run's output on its way: the spool, and the task that ships it."""

    def __init__(self, protocol: HttpProtocol, lease: Lease, spool: Spool):
        self.protocol = protocol
        self.lease = lease
        self.spool = spool
        self.lost = False
        self.failing: exceptions.Unavailable | None = None
        self.failures = 0  # tries that failed, in all
        self.acknowledged = 0  # chunks the server took, in all
        self._stalled: int | None = None  # ``acknowledged`` when the server last stalled
        self._wakeup = asyncio.Event()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakeup.set()
        if self._task is None and not self.lost:
            self._task = asyncio.create_task(self._send())

    def lose(self) -> None:
        """The run is no longer this runner's: nothing more is sent, its output is dropped."""
        self.lost = True
        self._changed.set()
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        self.spool.close()
        self.protocol.forget(self)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.spool.close()

    def _done(self) -> bool:
        return self.spool.unsent == 0 and not self.spool.sections_pending()

    async def room_for(self, size: int) -> None:
        """Wait while the spool is full and the server takes its output, only slower than
        the script writes it (back-pressure, as a pipe does). A server that is away, or has
        taken nothing for ``STALL_SECONDS``, makes no one wait: the spool drops instead."""
        limit = self.spool.limit
        while (
            self.spool.unsent > 0
            and self.spool.unsent + size > limit
            and self.failing is None
            and self._stalled != self.acknowledged  # since it stalled, it took nothing
            and not self.lost
        ):
            taken = self.acknowledged
            self.wake()
            deadline = time.monotonic() + STALL_SECONDS
            while self.acknowledged == taken and self.failing is None and not self.lost:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._stalled = taken  # the spool's bound applies until it takes more
                    return
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)
        if self.lost:
            raise LeaseLost(self.lease.run_id)

    async def delivered(self) -> None:
        """Wait until the server holds all the output; ``Unavailable`` when the sender's
        next try fails (``resilient`` then calls again after its back-off)."""
        failures = self.failures
        while True:
            if self.lost:
                raise LeaseLost(self.lease.run_id)
            if self._done():
                return
            if self.failing is not None and self.failures > failures:
                raise exceptions.Unavailable(self.failing.message, self.failing.retry_after)
            self.wake()
            self._changed.clear()
            await self._changed.wait()

    async def _send(self) -> None:
        delays: Iterator[float] | None = None
        since = 0.0
        run_id = self.lease.run_id
        while not self.lost:
            self._wakeup.clear()
            try:
                if not await self._send_next():
                    self._changed.set()
                    await self._wakeup.wait()
                    continue
            except exceptions.Unavailable as exc:
                if self.failing is None:
                    since = time.monotonic()
                    log.warning("sending the log of run %s failed, retrying: %s", run_id, exc)
                    delays = resilient.backoff(cap=self.protocol.retry_max_delay)
                self.failing = exc
                self.failures += 1
                self._changed.set()
                assert delays is not None
                await asyncio.sleep(next(delays))
                continue
            except (LeaseLost, RunnerGone):
                self.lose()
                return
            except ProtocolError as exc:
                log.error("the log of run %s cannot be sent: %s", run_id, exc)
                self.lose()
                return
            if self.failing is not None:
                log.warning(
                    "sending the log of run %s again after %.1f s", run_id, time.monotonic() - since
                )
                self.failing = None
            self._changed.set()

    async def _send_next(self) -> bool:
        """Send one chunk, or the sections when due; False when there was nothing to send."""
        run_id, attempt = self.lease.run_id, self.lease.attempt
        chunk = self.spool.next_chunk()
        if chunk is not None:
            offset, data = chunk
            response = await self.protocol.request(
                "PUT",
                f"/jobs/{run_id}/log",
                params={"attempt": attempt, "offset": offset},
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            if response.status_code == 200:
                self.spool.acknowledged(int(response.json()["size"]))
                self.acknowledged += 1
            elif response.status_code == 416:
                self.spool.rewind(int(response.headers.get("x-log-size", "0")))
            elif response.status_code in (404, 409):
                raise LeaseLost(run_id)
            else:
                raise _unexpected(f"writing the log of run {run_id}", response)
            return True
        due = self.spool.due_sections()
        if due is None:
            return False
        version, sections = due
        response = await self.protocol.request(
            "PUT",
            f"/jobs/{run_id}/sections",
            json={"attempt": attempt, "sections": [dataclasses.asdict(s) for s in sections]},
        )
        if response.status_code in (404, 409):
            raise LeaseLost(run_id)
        if response.status_code not in (200, 204):
            # The steps are a view of the log: the run goes on without them.
            log.error("%s", _unexpected(f"reporting the steps of run {run_id}", response))
        self.spool.sections_sent(version)
        return True
