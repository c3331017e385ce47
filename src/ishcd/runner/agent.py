"""A runner agent: registers with a server once, then runs its jobs over HTTP.

The agent keeps its credential in ``<work dir>/runner.json`` (mode 0600), so
a restart does not register again. It runs a ``RunnerPool`` with the HTTP
protocol: the same slots, execution and retries as the server's embedded
runner, with long polls for work. SIGTERM or SIGINT: no new work, the runs
get a grace period to finish, then are stopped. A server that refuses the
credential (the runner was deleted there) stops the agent, with status 1.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ishcd import __version__, exceptions
from ishcd.runner import http, resilient
from ishcd.runner.execute import RunnerConfig
from ishcd.runner.pool import RunnerPool

log = logging.getLogger(__name__)

CREDENTIAL_FILE = "runner.json"
CLAIM_WAIT = 30.0  # the long poll: the server answers as soon as there is work


class AgentError(Exception):
    """The agent cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class AgentConfig:
    url: str
    token: str | None  # a registration token: needed only until the agent has registered
    work_dir: Path
    name: str = field(default_factory=socket.gethostname)
    labels: tuple[str, ...] = ()
    concurrency: int = 1
    buffer_bytes: int = http.BUFFER_BYTES
    heartbeat_interval: float = 5.0
    kill_grace: float = 5.0
    shutdown_grace: float = 10.0
    keep_workspaces: bool = False


@dataclass(frozen=True)
class Credential:
    url: str
    id: str
    credential: str


def credential_path(work_dir: Path) -> Path:
    return work_dir / CREDENTIAL_FILE


def load_credential(work_dir: Path, url: str) -> Credential | None:
    path = credential_path(work_dir)
    try:
        saved = json.loads(path.read_text())
        found = Credential(str(saved["url"]), str(saved["id"]), str(saved["credential"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AgentError(f"{path} cannot be read ({exc}): remove it to register again") from exc
    if found.url.rstrip("/") != url.rstrip("/"):
        raise AgentError(
            f"{path} is this runner's registration with {found.url}, not {url}: "
            "use another --work-dir, or remove the file to register again"
        )
    return found


def save_credential(work_dir: Path, credential: Credential) -> None:
    """Written whole or not at all, readable by its owner only."""
    path = credential_path(work_dir)
    partial = path.with_suffix(".json.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump(
            {"url": credential.url, "id": credential.id, "credential": credential.credential}, out
        )
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)


async def register(config: AgentConfig) -> Credential:
    """Register with the server, retrying while it cannot be reached."""
    if not config.token:
        raise AgentError(
            f"this runner is not registered yet ({credential_path(config.work_dir)} is missing): "
            "give it a registration token (--token, or ISHCD_RUNNER_TOKEN)"
        )
    body = {
        "token": config.token,
        "name": config.name,
        "labels": list(config.labels),
        "version": __version__,
        "host": socket.gethostname(),
        "concurrency": config.concurrency,
    }
    url = config.url.rstrip("/")
    delays = resilient.backoff()
    async with httpx.AsyncClient(timeout=http.REQUEST_TIMEOUT) as client:
        while True:
            try:
                response = await client.post(f"{url}/v1/runner/register", json=body)
            except httpx.TransportError as exc:
                problem = f"did not answer ({type(exc).__name__})"
            else:
                if response.status_code < 500:
                    break
                problem = f"answered {response.status_code}"
            delay = next(delays)
            log.warning("registering: the server at %s %s; again in %.1f s", url, problem, delay)
            await asyncio.sleep(delay)
    if response.status_code == 401:
        raise AgentError(f"the server at {url} refused the registration token")
    if response.status_code != 201:
        problem = _message(response)
        raise AgentError(f"the server at {url} refused to register this runner: {problem}")
    answer = response.json()
    return Credential(config.url, str(answer["id"]), str(answer["credential"]))


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["message"])
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.text[:200]}"


async def credential_of(config: AgentConfig) -> Credential:
    """The runner's credential: saved by an earlier start, else got by registering now."""
    config.work_dir.mkdir(parents=True, exist_ok=True)
    saved = load_credential(config.work_dir, config.url)
    if saved is not None:
        log.info(
            "runner %s of %s, as %s says", saved.id, saved.url, credential_path(config.work_dir)
        )
        return saved
    made = await register(config)
    save_credential(config.work_dir, made)
    log.info("registered with %s as runner %s (%s)", made.url, made.id, config.name)
    return made


async def run(config: AgentConfig) -> int:
    """Run until told to stop (0) or the server no longer knows this runner (1)."""
    credential = await credential_of(config)
    spool_dir = config.work_dir / "spool"
    # What an earlier process had not sent belongs to runs it lost with it.
    await asyncio.to_thread(shutil.rmtree, spool_dir, True)
    protocol = http.HttpProtocol(
        credential.url, credential.credential, spool_dir, config.buffer_bytes
    )
    runner_config = RunnerConfig(
        work_dir=config.work_dir / "runs",
        heartbeat_interval=config.heartbeat_interval,
        kill_grace=config.kill_grace,
        keep_workspaces=config.keep_workspaces,
    )
    # Slots are named by this process (runs.runner_id: runner:<id>:<boot>/<slot>).
    boot = uuid.uuid4().hex[:8]
    pool = RunnerPool(protocol, boot, config.concurrency, runner_config, claim_wait=CLAIM_WAIT)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await pool.start()
    log.info(
        "runner %s (%s) takes up to %d runs at once from %s",
        credential.id,
        config.name,
        config.concurrency,
        credential.url,
    )
    stopped = asyncio.create_task(stop.wait())
    gone = asyncio.create_task(protocol.gone.wait())
    try:
        await asyncio.wait({stopped, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        gone.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    deleted = protocol.gone.is_set()
    if deleted:
        log.error(
            "the server at %s refused this runner's credential: runner %s was deleted there. "
            "To run again, remove %s and register with a new registration token.",
            credential.url,
            credential.id,
            credential_path(config.work_dir),
        )
    else:
        log.info("stopping: no new runs; %.0f s for the running ones", config.shutdown_grace)
    await pool.stop(0.0 if deleted else config.shutdown_grace)
    await protocol.close()
    return 1 if deleted else 0


def main(config: AgentConfig) -> int:
    import uvloop

    try:
        return uvloop.run(run(config))
    except AgentError as exc:
        log.error("%s", exc)
        return 1
    except exceptions.IshError as exc:
        log.error("%s", exc.message)
        return 1
