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
    # Bumped when the password changes: login JWTs carry it, older ones stop working.
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    _id(),
    # The account the token acts for; for a project token, the account that made it.
    _ref("user_id", "users"),
    sa.Column("name", sa.String(200), nullable=False),
    # sha256 of the secret token id carried in the JWT; the token itself is never stored.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_used", sa.Float, nullable=True),
    sa.Column("revoked", sa.Float, nullable=True),
    sa.Column("expires", sa.Float, nullable=True),
    # Project tokens: usable on this project only, with this role at most.
    sa.Column(
        "project_id",
        sa.String(36),
        sa.ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("role", sa.String(16), nullable=True),
    sa.Index(None, "user_id"),
    sa.Index(None, "project_id"),
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
    # Pipelines: where the code and its .ishcd.yml live, and the last pipeline number.
    sa.Column("repository", sa.Text, nullable=True),
    sa.Column("default_branch", sa.String(255), nullable=False, server_default="main"),
    sa.Column("pipeline_count", sa.Integer, nullable=False, server_default="0"),
    # Days its runs' logs and workspaces are kept; NULL: the server's setting.
    sa.Column("log_retention_days", sa.Integer, nullable=True),
    # Badges: ``?key=`` reads this project's badges and nothing else (NULL: none made
    # yet); with ``public_badges`` they need no key.
    sa.Column("badge_key", sa.String(64), nullable=True),
    sa.Column("public_badges", sa.Boolean, nullable=False, server_default=sa.false()),
    # Seconds its runs' artifacts are kept unless a job says; NULL: the server's setting.
    sa.Column("artifacts_expire_in", sa.Integer, nullable=True),
)

project_members = sa.Table(
    "project_members",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    # NULL while the member is an invitation not yet accepted.
    sa.Column(
        "user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("invited_email", sa.String(320), nullable=True),
    # sha256 of the one-time invitation token; NULL once used (or never made).
    sa.Column("invitation_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("invitation_expires", sa.Float, nullable=True),
    *_stamps(),
    sa.UniqueConstraint("project_id", "user_id"),
    sa.Index(None, "user_id"),
)

# Failed logins per user name (existing or not), to slow guessing down.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.Float, nullable=False),
    sa.Column("locked_until", sa.Float, nullable=True),
)

# Browser logins (web UI). The cookie holds a secret; only its sha256 is kept.
# ``epoch`` is the user's session_epoch at login: a password change or disabling
# the account bumps that, and every session made before ends.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("secret_hash", sa.String(64), primary_key=True),
    _ref("user_id", "users"),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("epoch", sa.Integer, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Index(None, "user_id"),
    sa.Index(None, "last_seen"),
)

# Project environment variables: every run of the project gets them.
envvars = sa.Table(
    "envvars",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("value_encrypted", sa.Text, nullable=False),  # Fernet
    sa.Column("value_hint", sa.String(16), nullable=False),  # the masked form shown in lists
    *_stamps(),
    sa.UniqueConstraint("project_id", "name"),
)

# An account's own secrets: runs it starts get each as the variable ``env``.
credentials = sa.Table(
    "credentials",
    metadata,
    _id(),
    _ref("user_id", "users"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("env", sa.String(128), nullable=False),
    sa.Column("value_encrypted", sa.Text, nullable=False),  # Fernet
    sa.Column("value_hint", sa.String(16), nullable=False),
    *_stamps(),
    sa.UniqueConstraint("user_id", "env"),
)

# Who did what, when. No foreign keys: the history outlives what it names.
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("actor_user_id", sa.String(36), nullable=True),
    sa.Column("actor_username", sa.String(64), nullable=True),
    sa.Column("actor_token_id", sa.String(36), nullable=True),
    sa.Column("actor_token_name", sa.String(200), nullable=True),
    sa.Column("project_id", sa.String(36), nullable=True),
    sa.Column("project_machine_name", sa.String(64), nullable=True),
    sa.Column("target_type", sa.String(32), nullable=True),
    sa.Column("target_id", sa.String(64), nullable=True),
    sa.Column("target_name", sa.String(200), nullable=True),
    sa.Column("details", sa.Text, nullable=False),  # JSON object
    sa.Column("ip", sa.String(64), nullable=True),
    sa.Index(None, "project_id", "seq"),
    sa.Index(None, "action", "seq"),
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
    # A run goes only to a runner with all of these (sorted, comma-joined).
    sa.Column("labels", sa.String(1000), nullable=False, server_default=""),
    # A run that ends error is queued again up to ``retry`` times (only when its
    # runner was lost, with ``retry_only_lost``); copied onto each run.
    sa.Column("retry", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retry_only_lost", sa.Boolean, nullable=False, server_default=sa.false()),
    # What its runs leave behind (JSON, ``ishcd.outputs``); NULL: nothing.
    sa.Column("artifacts", sa.Text, nullable=True),
    sa.Column("cache", sa.Text, nullable=True),
    sa.Column("test_reports", sa.Text, nullable=True),
    sa.UniqueConstraint("project_id", "machine_name"),
)

pipelines = sa.Table(
    "pipelines",
    metadata,
    _id(),
    _ref("project_id", "projects"),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_reason", sa.String(32), nullable=True),
    sa.Column("errors", sa.Text, nullable=False),  # JSON list of config errors
    sa.Column("config_file", sa.String(255), nullable=False),
    sa.Column("config_source", sa.Text, nullable=True),
    sa.Column("plan", sa.Text, nullable=True),  # JSON: the compiled pipelines.model.Plan
    # JSON {promotion name: its config file's text at this revision}, read at trigger
    # time so that promoting needs no git.
    sa.Column("promotion_sources", sa.Text, nullable=False, server_default="{}"),
    sa.Column("trigger_type", sa.String(16), nullable=False),  # api | promotion
    sa.Column("actor_user_id", sa.String(36), nullable=True),
    sa.Column("actor_username", sa.String(64), nullable=True),
    sa.Column("actor_token_id", sa.String(36), nullable=True),
    # Whose credentials its runs get (NULL when a project token triggered it).
    sa.Column("credentials_of", sa.String(36), nullable=True),
    sa.Column("branch", sa.String(255), nullable=True),
    sa.Column("tag", sa.String(255), nullable=True),
    sa.Column("revision", sa.String(64), nullable=True),
    # JSON: the values it ran with, defaults included (as the trigger gave them when
    # the config did not compile).
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("parent_id", sa.String(36), nullable=True),  # promoted from
    sa.Column("promotion", sa.String(200), nullable=True),
    sa.Column("stop_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    *_stamps(),
    sa.Column("started", sa.Float, nullable=True),
    sa.Column("finished", sa.Float, nullable=True),
    sa.UniqueConstraint("project_id", "number"),
)

workflows = sa.Table(
    "workflows",
    metadata,
    _id(),
    _ref("pipeline_id", "pipelines"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_reason", sa.String(32), nullable=True),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    # A rerun: the workflow it reruns, and its idempotency token.
    sa.Column("rerun_of", sa.String(36), nullable=True),
    sa.Column("request_token", sa.String(255), nullable=True),
    *_stamps(),
    sa.Column("started", sa.Float, nullable=True),
    sa.Column("finished", sa.Float, nullable=True),
    sa.Index(None, "pipeline_id"),
    sa.Index(None, "rerun_of", "request_token", unique=True),
)

workflow_jobs = sa.Table(
    "workflow_jobs",
    metadata,
    _id(),
    _ref("workflow_id", "workflows"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("type", sa.String(16), nullable=False),  # run | approval
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_reason", sa.String(32), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("spec", sa.Text, nullable=False),  # JSON: the pipelines.model.JobPlan
    sa.Column("run_id", sa.String(36), nullable=True),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
    sa.Column("approved_by", sa.String(36), nullable=True),
    *_stamps(),
    sa.Column("started", sa.Float, nullable=True),
    sa.Column("finished", sa.Float, nullable=True),
    sa.UniqueConstraint("workflow_id", "name"),
)

promotions = sa.Table(
    "promotions",
    metadata,
    _id(),
    _ref("pipeline_id", "pipelines"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("triggered_by", sa.String(16), nullable=False),  # auto | manual
    sa.Column("actor_user_id", sa.String(36), nullable=True),
    sa.Column("actor_username", sa.String(64), nullable=True),
    sa.Column("override", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("scheduled_pipeline_id", sa.String(36), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # promoted | failed
    sa.Column("errors", sa.Text, nullable=False),  # JSON list
    sa.Column("created", sa.Float, nullable=False),
    sa.Index(None, "pipeline_id"),
)

runs = sa.Table(
    "runs",
    metadata,
    # The queue order: claiming takes the lowest seq among queued runs.
    sa.Column("seq", Seq, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(36), nullable=False, unique=True),
    _ref("project_id", "projects"),
    # A stored job's run, or (job_id NULL) a pipeline job's: see origin.
    sa.Column("job_id", sa.String(36), sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_reason", sa.String(32), nullable=True),
    sa.Column("exit_code", sa.Integer, nullable=True),
    # What the run executes, fixed when it is created.
    sa.Column("script", sa.Text, nullable=False),
    sa.Column("env", sa.Text, nullable=False),  # JSON: the env given, secrets masked
    # Fernet-encrypted JSON {"env": defaults + env, "secret": [names of secret variables]}
    sa.Column("resolved_env", sa.Text, nullable=False),
    sa.Column("timeout", sa.Integer, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=True),
    # Whose credentials the run gets: its creator's, unless a project token started it.
    sa.Column("credentials_of", sa.String(36), nullable=True),
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
    # Pipeline jobs: which workflow job this run is, and (JSON) the pipeline,
    # workflow and job it belongs to, as shown on the run.
    sa.Column(
        "workflow_job_id",
        sa.String(36),
        sa.ForeignKey("workflow_jobs.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("origin", sa.Text, nullable=True),
    sa.Column("labels", sa.String(1000), nullable=False, server_default=""),  # sorted, comma-joined
    sa.Column("concurrency_group", sa.String(200), nullable=True),
    sa.Column("checkout", sa.Text, nullable=True),  # JSON: {repository, revision}
    # When the retention sweep deleted the log (and workspace); the run record stays.
    sa.Column("log_removed", sa.Float, nullable=True),
    # The name of the API token the run was started with (None: a login, or a pipeline).
    sa.Column("created_by_token", sa.String(200), nullable=True),
    # Bumped by every claim: the lease's fencing token. A runner names it in every
    # call; anything from an attempt that is no longer current is refused.
    sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
    # How many times the run may go back to the queue after ending error (a stored
    # job's retry, copied when the run is created), and whether only when lost.
    sa.Column("retry", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retry_only_lost", sa.Boolean, nullable=False, server_default=sa.false()),
    # What the run leaves behind (JSON ``ishcd.outputs.Outputs``, copied from its job
    # when it is created), and the branch and revision it ran for (pipeline runs).
    sa.Column("outputs", sa.Text, nullable=True),
    sa.Column("branch", sa.String(255), nullable=True),
    sa.Column("revision", sa.String(64), nullable=True),
    sa.Index(None, "status", "seq"),
    sa.Index(None, "project_id", "seq"),
    sa.Index(None, "job_id", "seq"),
    sa.Index(None, "job_id", "idempotency_key", unique=True),
    sa.Index(None, "workflow_job_id"),
    # The retention sweep's range: finished runs that still have their log.
    sa.Index(
        "ix_runs_finished_log_kept",
        "finished",
        sqlite_where=sa.text("log_removed IS NULL"),
        postgresql_where=sa.text("log_removed IS NULL"),
    ),
    # At most one running run per concurrency group of a project, whatever races.
    sa.Index(
        "uq_runs_running_concurrency_group",
        "project_id",
        "concurrency_group",
        unique=True,
        sqlite_where=sa.text("status = 'running' AND concurrency_group IS NOT NULL"),
        postgresql_where=sa.text("status = 'running' AND concurrency_group IS NOT NULL"),
    ),
)

runner_registration_tokens = sa.Table(
    "runner_registration_tokens",
    metadata,
    _id(),
    sa.Column("description", sa.String(200), nullable=False),
    # sha256 of the token; the token itself is shown once and never stored.
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(36), nullable=True),
    sa.Column("last_used", sa.Float, nullable=True),
)

runners = sa.Table(
    "runners",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("labels", sa.String(1000), nullable=False, server_default=""),  # sorted, comma-joined
    sa.Column("version", sa.String(64), nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("concurrency", sa.Integer, nullable=False, server_default="1"),
    # sha256 of the agent's credential (given once, at registration).
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_contact", sa.Float, nullable=True),
    sa.Column("registration_token_id", sa.String(36), nullable=True),
)

# Run logs in the database (the database log store, ``logstore_db``): one row per
# log, and its bytes in chunks. No foreign key to ``runs``: a log is written from
# other transactions than the one holding its run's row (a claim that fails a run
# writes why), and a key would make them wait on each other. Deleting runs deletes
# their logs in the same transaction (``LogStore.delete_many``).
logs = sa.Table(
    "logs",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),  # bytes stored: readers see them
    sa.Column("lines", sa.BigInteger, nullable=False),  # newlines in them
    sa.Column("tip", sa.BigInteger, nullable=False),  # where the last chunk starts
    sa.Column("received", sa.BigInteger, nullable=False),  # the runner's offset
    sa.Column("tail_tip", sa.BigInteger, nullable=True),  # the last tail chunk (past the cap)
    sa.Column("closed", sa.Boolean, nullable=False),
    sa.Column("sections", sa.Text, nullable=True),  # JSON, in the runner's offsets
    sa.Column("cut", sa.Text, nullable=True),  # JSON [head, resume, note] once closed past the cap
)

# The stored log: chunk bytes [start, start + length(data)); ``lines_before`` counts
# the newlines before ``start`` (the line index).
log_chunks = sa.Table(
    "log_chunks",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("start", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("lines_before", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index(None, "run_id", "lines_before"),
)

# Past the cap, a log's rolling tail while it is written, by the runner's offsets;
# closing the log moves what is kept of it to ``log_chunks``.
log_tail = sa.Table(
    "log_tail",
    metadata,
    sa.Column("run_id", sa.String(36), primary_key=True),
    sa.Column("start", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# What runs leave behind. Files are stored once by content: ``blobs`` lists them
# (the database store keeps the bytes in ``blob_chunks``, the file store in files),
# and artifacts and caches refer to them by sha256. A blob nothing refers to is
# freed by the retention sweep.
blobs = sa.Table(
    "blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Index(None, "created"),
)

blob_chunks = sa.Table(
    "blob_chunks",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("start", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# A run's files, by path in its workspace. ``job_name`` and ``branch`` (the run's,
# copied) find "the latest successful run's file" and what retention keeps.
artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", Seq, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
    ),
    _ref("project_id", "projects"),
    sa.Column("job_name", sa.String(200), nullable=False),
    sa.Column("branch", sa.String(255), nullable=True),
    sa.Column("path", sa.String(1024), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=True),  # NULL: kept
    sa.UniqueConstraint("run_id", "path"),
    sa.Index(None, "project_id", "job_name", "branch", "path"),
    sa.Index(None, "expires"),
    sa.Index(None, "sha256"),
)

# A project's saved caches: a key is saved once and never overwritten; the least
# recently used go first when the project's caches pass their limit.
caches = sa.Table(
    "caches",
    metadata,
    sa.Column("id", Seq, primary_key=True, autoincrement=True),
    _ref("project_id", "projects"),
    sa.Column("key", sa.String(512), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_used", sa.Float, nullable=False),
    sa.Column("run_id", sa.String(36), nullable=True),  # the run that saved it
    sa.UniqueConstraint("project_id", "key"),
    sa.Index(None, "project_id", "last_used"),
    sa.Index(None, "sha256"),
)

# Parsed JUnit test cases, with the run's job, branch and revision copied so that
# flaky detection (same revision, both results) and insights need no joins.
test_cases = sa.Table(
    "test_cases",
    metadata,
    sa.Column("id", Seq, primary_key=True, autoincrement=True),
    sa.Column(
        "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
    ),
    _ref("project_id", "projects"),
    sa.Column("job_name", sa.String(200), nullable=False),
    sa.Column("branch", sa.String(255), nullable=True),
    sa.Column("revision", sa.String(64), nullable=True),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("classname", sa.String(1000), nullable=False),
    sa.Column("file", sa.String(1000), nullable=True),
    sa.Column("result", sa.String(8), nullable=False),  # passed, failed, skipped, error
    sa.Column("run_time", sa.Float, nullable=False),  # seconds
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("source", sa.String(64), nullable=True),  # the report's format, e.g. "junit"
    sa.Column("created", sa.Float, nullable=False),
    # The report's path in the workspace: a report sent again replaces its cases.
    sa.Column("report", sa.String(1024), nullable=False, server_default=""),
    sa.Index(None, "run_id", "result"),
    sa.Index(None, "project_id", "revision"),
    sa.Index(None, "project_id", "created"),
)

# A run's test totals, kept as its reports are parsed.
run_tests = sa.Table(
    "run_tests",
    metadata,
    sa.Column(
        "run_id", sa.String(36), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("passed", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("skipped", sa.Integer, nullable=False),
    sa.Column("error", sa.Integer, nullable=False),
)
