"""The server's parts, wired together: database, keys, logs, runner, reaper.

``Server.start`` migrates the database, creates the first admin on an empty
one, recovers after a crash and starts the embedded runner; ``Server.stop``
drains the runner and closes everything. On PostgreSQL, several servers may
share the database: wake-ups travel between them (``engine.notify``) and
once-only duties run on the one that leads (``engine.leader``). The API and the admin commands both
use it, so they see the same database and keys.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from ishcd import blobstore, exceptions, logstore
from ishcd import keys as keys_mod
from ishcd.blobstore import BlobStore
from ishcd.db import database, migrate, sqlite
from ishcd.disk import DiskGuard
from ishcd.engine import leader, notify
from ishcd.engine.local import LocalProtocol
from ishcd.engine.recovery import Reaper, recover_own_runs
from ishcd.engine.retention import RetentionSweep
from ishcd.logstore import LogStore
from ishcd.logstore_file import FileLogStore
from ishcd.runner import resilient
from ishcd.runner.execute import RunnerConfig
from ishcd.runner.pool import RunnerPool
from ishcd.services import passwords, sessions, staging, users
from ishcd.services.limits import Limits
from ishcd.services.runtime import Runtime
from ishcd.settings import Settings
from ishcd.signals import Signals
from ishcd.source import Mirrors
from ishcd.vault import Vault


def embedded_runner_name(settings: Settings) -> str:
    """Stable across restarts of this server (host and data dir), unlike its runner ids."""
    where = hashlib.sha256(str(settings.data_dir.resolve()).encode()).hexdigest()[:8]
    return f"embedded:{socket.gethostname()}:{where}"


@dataclass
class FirstStart:
    username: str
    password: str
    token: str


class DataDirInUse(RuntimeError):
    pass


class Server:
    def __init__(self, settings: Settings, announce: Callable[[FirstStart], None] | None = None):
        self.settings = settings
        self.limits = Limits.of(settings)
        self.announce = announce
        self.signals = Signals()
        # The file store until ``start`` opens the one the settings ask for.
        self.logs: LogStore = FileLogStore(settings.logs_dir, settings.log_max_bytes)
        self.keys = keys_mod.load_keys(settings.secret_key, settings.data_dir)
        self.vault = Vault(self.keys)
        self.mirrors = Mirrors(settings.data_dir / "mirrors")
        self.runtime = Runtime(
            self.vault,
            self.signals,
            self.mirrors,
            settings.default_job_timeout,
            settings.public_url,
        )
        self.db: database.Database | None = None
        self._blobs: BlobStore | None = None
        self.pool: RunnerPool | None = None
        self.reaper: Reaper | None = None
        self.sweeper: RetentionSweep | None = None
        self.bridge: notify.Bridge | None = None
        self.leadership: leader.Leadership | None = None
        self.first_start: FirstStart | None = None
        self._lock: IO[str] | None = None

    @property
    def database(self) -> database.Database:
        assert self.db is not None, "the server has not started"
        return self.db

    @property
    def blobs(self) -> BlobStore:
        """Where artifacts and caches are kept (``ISHCD_BLOB_STORE``)."""
        assert self._blobs is not None, "the server has not started"
        return self._blobs

    def _lock_data_dir(self) -> None:
        """One server per data directory: its runner owns the workspaces there."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.settings.data_dir / "server.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise DataDirInUse(
                f"another Ish CD server is using the data directory {self.settings.data_dir}"
            ) from exc
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    async def start(self, with_runner: bool = True) -> None:
        self._lock_data_dir()
        url = self.settings.resolved_database_url
        await migrate.upgrade(url)
        self.db = await database.connect(url)
        self.logs = logstore.open_store(self.settings, self.db)
        self._blobs = blobstore.open_store(self.settings, self.db)
        # What uploads cut off by a crash or a kill left: this server alone uses it.
        staging.clear(self.settings.staging_dir)
        await self._first_start()
        name = embedded_runner_name(self.settings)
        await recover_own_runs(self.db, self.logs, self.runtime, f"{name}:")
        await self._start_duties(url)
        if with_runner and self.settings.runner_slots > 0:
            config = RunnerConfig(
                work_dir=self.settings.runs_dir,
                heartbeat_interval=self.settings.heartbeat_interval,
                kill_grace=self.settings.kill_grace,
                keep_workspaces=self.settings.keep_workspaces,
            )
            labels = frozenset(self.settings.labels())
            places = {"the run logs": self.settings.logs_dir, "the workspaces": config.work_dir}
            if url.startswith("sqlite:"):
                places["the database"] = sqlite.path_from_url(url).parent
            disk = DiskGuard(places, self.settings.min_free_bytes)
            protocol = LocalProtocol(
                self.db,
                self.logs,
                self.runtime,
                labels,
                disk,
                blobs=self._blobs,
                settings=self.settings,
            )
            boot = uuid.uuid4().hex[:8]
            self.pool = RunnerPool(
                protocol,
                f"{name}:{boot}",
                self.settings.runner_slots,
                config,
                claim_wait=self.settings.runner_claim_poll,
                # Retries after an outage come well inside the window the reaper gives.
                retry_max_delay=min(resilient.MAX_DELAY, self.settings.runner_lost_after / 4),
            )
            await self.pool.start()

    async def _start_duties(self, url: str) -> None:
        """Wake-ups from other servers, and the duties of the one that leads."""
        assert self.db is not None
        shared = self.db.dialect == "postgresql"
        if shared:
            recheck = functools.partial(notify.canceled_among, self.db)
            self.bridge = notify.Bridge(url, self.signals, recheck)
            self.bridge.start()
        self.reaper = Reaper(self.db, self.logs, self.runtime, self.settings.runner_lost_after)
        retention = (self.db, self.logs, self.settings.runs_dir, self.settings.log_retention_days)
        self.sweeper = RetentionSweep(
            *retention, session_limits=sessions.Limits.of(self.settings), blobs=self.blobs
        )
        # A server that does not lead still clears its own kept workspaces.
        own_workspaces = RetentionSweep(*retention, shared=False)
        self.leadership = leader.Leadership(
            url if shared else None, [self.reaper, self.sweeper], [own_workspaces]
        )
        await self.leadership.start()

    async def _first_start(self) -> None:
        async with self.database.read() as conn:
            if await users.count_users(conn) > 0:
                return
        password = passwords.generate()
        password_hash = await passwords.hash_password(password)
        try:
            async with self.database.transaction() as conn:
                created = await users.create_first_admin(conn, self.keys, password, password_hash)
        except exceptions.Conflict:
            return  # another replica, starting at the same moment, made it

        if created is not None:
            self.first_start = FirstStart(created.user.username, password, created.token)
            if self.announce is not None:
                self.announce(self.first_start)

    async def stop(self) -> None:
        if self.pool is not None:
            await self.pool.stop(self.settings.shutdown_grace)
        if self.leadership is not None:
            await self.leadership.stop()
        if self.bridge is not None:
            await self.bridge.stop()
        await self.logs.close_all()
        if self.db is not None:
            await self.db.close()
        if self._lock is not None:
            self._lock.close()
