"""Storage tables (SQLAlchemy Core metadata); the migrations follow them.

API shapes never leak here: ids are UUID strings, timestamps are Unix seconds
as floats, structured values are JSON text, so SQLite and PostgreSQL store
exactly the same thing.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing rowid.
Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column[str]:
    return sa.Column("id", sa.String(36), primary_key=True)


def _ref(name: str, table: str) -> sa.Column[str]:
    """A required reference to a row of ``table``; deleting that row deletes this one."""
    return sa.Column(
        name, sa.String(36), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False
    )


def _stamps() -> list[sa.Column[float]]:
    return [
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("changed", sa.Float, nullable=False),
    ]


users = sa.Table(
    "users",
    metadata,
    _id(),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    *_stamps(),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    _ref("user_id", "users"),
    sa.Column("name", sa.String(200), nullable=False),
    # sha256 of the secret token id carried in the JWT; the token itself is never stored.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_used", sa.Float, nullable=True),
    sa.Column("revoked", sa.Float, nullable=True),
    sa.Index(None, "user_id"),
)

projects = sa.Table(
    "projects",
    metadata,
    _id(),
    sa.Column("machine_name", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(36), nullable=True),
    *_stamps(),
)

project_members = sa.Table(
    "project_members",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    _ref("user_id", "users"),
    sa.Column("role", sa.String(16), nullable=False),
    *_stamps(),
    sa.UniqueConstraint("project_id", "user_id"),
    sa.Index(None, "user_id"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    sa.Column("machine_name", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("script", sa.Text, nullable=False),
    sa.Column("variables", sa.Text, nullable=False),  # JSON list of variable declarations
    sa.Column("timeout", sa.Integer, nullable=True),
    *_stamps(),
    sa.UniqueConstraint("project_id", "machine_name"),
)

runs = sa.Table(
    "runs",
    metadata,
    # The queue order: claiming takes the lowest seq among queued runs.
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    _ref("project_id", "projects"),
    _ref("job_id", "jobs"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_reason", sa.String(32), nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    # What the run executes, fixed when it is created.
    sa.Column("script", sa.Text, nullable=False),
    sa.Column("env", sa.Text, nullable=False),  # JSON: the env given by the caller
    sa.Column("resolved_env", sa.Text, nullable=False),  # JSON: defaults + env
    sa.Column("timeout", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=True),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.Column("request_hash", sa.String(64), nullable=True),
    sa.Column("runner_id", sa.String(200), nullable=True),
    sa.Column("heartbeat", sa.Float, nullable=True),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("log_size", sa.BigInteger, nullable=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("changed", sa.Float, nullable=False),
    sa.Column("started", sa.Float, nullable=True),
    sa.Column("finished", sa.Float, nullable=True),
    sa.Index(None, "status", "seq"),
    sa.Index(None, "project_id", "seq"),
    sa.Index(None, "job_id", "seq"),
    sa.Index(None, "job_id", "idempotency_key", unique=True),
)
