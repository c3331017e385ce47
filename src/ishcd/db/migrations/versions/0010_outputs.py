"""outputs: artifacts, caches, test reports and badges

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:15:00.000000

What runs leave behind. Files are stored once by content (``blobs``; the
bytes in ``blob_chunks`` on the database store, in files on the file store)
and referred to by ``artifacts`` (a run's files) and ``caches`` (a project's
saved directories by key). ``test_cases`` holds each parsed JUnit case with
what flaky detection and insights group by, ``run_tests`` each run's totals.
Jobs declare their outputs (``artifacts``, ``cache``, ``test_reports``, JSON),
and a run carries them (``outputs``) with the branch and revision it ran for.
Projects get a badge key, ``public_badges`` and a default artifact expiry.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("artifacts", sa.Text, nullable=True))
        batch.add_column(sa.Column("cache", sa.Text, nullable=True))
        batch.add_column(sa.Column("test_reports", sa.Text, nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("outputs", sa.Text, nullable=True))
        batch.add_column(sa.Column("branch", sa.String(255), nullable=True))
        batch.add_column(sa.Column("revision", sa.String(64), nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("badge_key", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("public_badges", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("artifacts_expire_in", sa.Integer, nullable=True))
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_index("ix_blobs_created", "blobs", ["created"])
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("start", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("sha256", "start", name="pk_blob_chunks"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Blob bytes are mostly compressed already (wheels, archives, images): stored
        # out of line without trying to compress them again.
        op.execute("ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL")
    op.create_table(
        "artifacts",
        sa.Column("id", Seq, nullable=False, autoincrement=True),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("job_name", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(255), nullable=True),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("expires", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_artifacts"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_artifacts_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_artifacts_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("run_id", "path", name="uq_artifacts_run_id_path"),
    )
    op.create_index(
        "ix_artifacts_project_id_job_name_branch_path",
        "artifacts",
        ["project_id", "job_name", "branch", "path"],
    )
    op.create_index("ix_artifacts_expires", "artifacts", ["expires"])
    op.create_index("ix_artifacts_sha256", "artifacts", ["sha256"])
    op.create_table(
        "caches",
        sa.Column("id", Seq, nullable=False, autoincrement=True),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("last_used", sa.Float, nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_caches"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_caches_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("project_id", "key", name="uq_caches_project_id_key"),
    )
    op.create_index("ix_caches_project_id_last_used", "caches", ["project_id", "last_used"])
    op.create_index("ix_caches_sha256", "caches", ["sha256"])
    op.create_table(
        "test_cases",
        sa.Column("id", Seq, nullable=False, autoincrement=True),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("job_name", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(255), nullable=True),
        sa.Column("revision", sa.String(64), nullable=True),
        sa.Column("name", sa.String(1000), nullable=False),
        sa.Column("classname", sa.String(1000), nullable=False),
        sa.Column("file", sa.String(1000), nullable=True),
        sa.Column("result", sa.String(8), nullable=False),
        sa.Column("run_time", sa.Float, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("source", sa.String(64), nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("report", sa.String(1024), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="pk_test_cases"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_test_cases_run_id_runs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_test_cases_project_id_projects",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_test_cases_run_id_result", "test_cases", ["run_id", "result"])
    op.create_index("ix_test_cases_project_id_revision", "test_cases", ["project_id", "revision"])
    op.create_index("ix_test_cases_project_id_created", "test_cases", ["project_id", "created"])
    op.create_table(
        "run_tests",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("passed", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("error", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_run_tests"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name="fk_run_tests_run_id_runs", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("run_tests")
    for index in (
        "ix_test_cases_project_id_created",
        "ix_test_cases_project_id_revision",
        "ix_test_cases_run_id_result",
    ):
        op.drop_index(index, table_name="test_cases")
    op.drop_table("test_cases")
    op.drop_index("ix_caches_sha256", table_name="caches")
    op.drop_index("ix_caches_project_id_last_used", table_name="caches")
    op.drop_table("caches")
    op.drop_index("ix_artifacts_sha256", table_name="artifacts")
    op.drop_index("ix_artifacts_expires", table_name="artifacts")
    op.drop_index("ix_artifacts_project_id_job_name_branch_path", table_name="artifacts")
    op.drop_table("artifacts")
    op.drop_table("blob_chunks")
    op.drop_index("ix_blobs_created", table_name="blobs")
    op.drop_table("blobs")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("artifacts_expire_in")
        batch.drop_column("public_badges")
        batch.drop_column("badge_key")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("revision")
        batch.drop_column("branch")
        batch.drop_column("outputs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("test_reports")
        batch.drop_column("cache")
        batch.drop_column("artifacts")
