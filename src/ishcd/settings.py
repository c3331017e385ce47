"""All configuration of a server or an admin command: ``ISHCD_*`` variables.

One ``Settings`` object is built at start (command-line options override the
environment) and passed to whatever needs it; nothing reads it globally.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_slots() -> int:
    return os.cpu_count() or 1


class Settings(BaseSettings):
    """Server configuration; every field is also ``ISHCD_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ISHCD_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path(".ishcd")
    database_url: str | None = None
    runner_slots: int = Field(default_factory=_default_slots, ge=0)
    # The embedded runner's labels: a pipeline job with labels runs only on a runner
    # that has all of them. Comma-separated.
    runner_labels: str = Field(default_factory=lambda: f"local,{platform.system().lower()}")
    secret_key: str | None = None
    # The URL users and jobs reach the server at (behind a proxy, the proxy's):
    # absolute links (ISHCD_RUN_URL, Link headers, invitations) start with it.
    public_url: str | None = None
    access_log: bool = False
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"

    # Guard rails on disk use (docs/configuration.md, "Limits").
    # A run's stored log: past it, its first and last halves and a line between. 0: no cap.
    log_max_bytes: int = Field(default=100 * 1024 * 1024, ge=0)
    # Where run logs live: in PostgreSQL (database) or in files under the data
    # directory (file); auto: the database on PostgreSQL, files on SQLite.
    log_store: Literal["auto", "file", "database"] = "auto"
    # Where artifacts and caches live, as for logs: in PostgreSQL (database) or in
    # files under the data directory (file); auto: the database on PostgreSQL.
    blob_store: Literal["auto", "file", "database"] = "auto"
    # The largest file a runner may send (an artifact, a test report, a cache), whatever
    # the limit of its kind.
    upload_max_bytes: int = Field(default=5 * 1024**3, ge=1024)
    # Logs and kept workspaces of runs finished longer ago are deleted. 0: kept for ever.
    log_retention_days: int = Field(default=90, ge=0, le=36500)
    # Below this many free bytes where logs or workspaces live, new runs end setup_failed.
    min_free_bytes: int = Field(default=100 * 1024 * 1024, ge=0)
    # Artifacts (docs/artifacts.md): the largest file, and the most bytes one run keeps;
    # past either, a file is not kept (a line in the run's log) and the others are.
    artifact_max_file: int = Field(default=2 * 1024**3, ge=1)
    artifact_max_run: int = Field(default=10 * 1024**3, ge=1)
    # Seconds artifacts are kept unless their project or job says (the latest successful
    # run's of each job and branch are kept whatever their age). 0: kept for ever.
    artifact_expire_in: int = Field(default=30 * 86400, ge=0)

    # Web UI logins: a session ends after this many seconds without a request, and
    # this many seconds after login whatever its use.
    session_idle_seconds: int = Field(default=12 * 3600, gt=0)
    session_max_seconds: int = Field(default=7 * 24 * 3600, gt=0)

    # Runner and engine timing, in seconds.
    heartbeat_interval: float = Field(default=5.0, gt=0)
    # An idle embedded runner slot looks for work this often even without a wake-up
    # (queued runs wake it at once, from any server on the same database).
    runner_claim_poll: float = Field(default=1.0, gt=0)
    # The longest an agent's request for work or control request is held (seconds):
    # below a load balancer's idle timeout. An agent asking for longer gets this.
    runner_max_wait: float = Field(default=30.0, ge=0, le=30)
    runner_lost_after: float = Field(default=60.0, gt=0)
    kill_grace: float = Field(default=5.0, ge=0)
    shutdown_grace: float = Field(default=10.0, ge=0)
    default_job_timeout: int = Field(default=3600, gt=0)
    keep_workspaces: bool = False
    # Seconds the readiness check (GET /v1/health/ready) waits for the database.
    ready_timeout: float = Field(default=2.0, gt=0)

    @field_validator("log_store", "blob_store")
    @classmethod
    def _store_on_database(cls, value: str, info: ValidationInfo) -> str:
        url = info.data.get("database_url") or "sqlite:"
        if value == "database" and not url.startswith("postgres"):
            what = "logs" if info.field_name == "log_store" else "artifacts and caches"
            raise ValueError(
                f"database keeps {what} in PostgreSQL, and the database is SQLite: "
                "use file (or auto) with SQLite"
            )
        return value

    @field_validator("log_max_bytes")
    @classmethod
    def _sane_cap(cls, value: int) -> int:
        if 0 < value < 1024:
            raise ValueError("must be 0 (no cap) or at least 1024 bytes")
        return value

    # Bytes a project's saved caches may hold together (docs/caches.md); a save that
    # would pass it removes the least recently used first.
    cache_max_project: int = Field(default=5 * 1024**3, ge=1024)
    # A JUnit test report over this many bytes is not read (a line in the run's log).
    test_report_max: int = Field(default=50 * 1024 * 1024, ge=1024)

    # Limits on what clients send (docs/configuration.md, "Limits").
    # A request body over this is refused with 413 before it is read or authenticated.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # A job's script (422 past it).
    max_script_bytes: int = Field(default=512 * 1024, ge=1, le=1024 * 1024)
    # One variable's value: Linux refuses an env string over 128 KiB (MAX_ARG_STRLEN).
    max_variable_bytes: int = Field(default=64 * 1024, ge=1, le=120 * 1024)
    # Variables a job may declare.
    max_variables: int = Field(default=100, ge=1, le=10_000)
    # Everything a run is given (project env vars, credentials, job defaults, run env):
    # Linux allows about 2 MiB of arguments and environment together.
    max_env_bytes: int = Field(default=512 * 1024, ge=1024, le=1536 * 1024)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return normalize_public_url(value.strip())

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        # Absolute from the start: paths under it (a project's mirror) are handed to
        # processes that run elsewhere (a job's checkout runs in its workspace).
        return value.expanduser().absolute()

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ishcd.db').resolve()}"

    def labels(self) -> list[str]:
        return [label.strip() for label in self.runner_labels.split(",") if label.strip()]

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def blobs_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def staging_dir(self) -> Path:
        """Uploads on their way to the blob store (emptied at each start)."""
        return self.data_dir / "staging"


def normalize_public_url(value: str) -> str:
    """``value`` as a public URL (no trailing slash); ValueError saying what is wrong."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL: {exc}") from None
    if any(char.isspace() or not char.isprintable() for char in value):
        raise ValueError(f"{value!r} must not contain spaces or control characters")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not hold a user name or password")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError(f"{value!r} must not have a query (?) or a fragment (#)")
    return value.rstrip("/")


class InvalidSettings(ValueError):
    """Settings that cannot be used; the message names each ``ISHCD_*`` variable."""


def load(**given: Any) -> Settings:
    """Settings from the environment and ``given``; InvalidSettings naming what is wrong."""
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"ISHCD_{field.upper()}: {message}")
        raise InvalidSettings("invalid settings: " + "; ".join(problems)) from None
