"""log_chunks: run logs in the database (the database log store)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00.000000

On PostgreSQL, logs are stored as chunks appended by offset (``logs`` per
log, ``log_chunks`` its bytes with the newlines before each, ``log_tail`` the
rolling tail of a log past its cap), so any replica serves any log. SQLite
gets the same tables (the metadata is one) and keeps its logs in files.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("lines", sa.BigInteger, nullable=False),
        sa.Column("tip", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("tail_tip", sa.BigInteger, nullable=True),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("sections", sa.Text, nullable=True),
        sa.Column("cut", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("run_id", name="pk_logs"),
    )
    op.create_table(
        "log_chunks",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("start", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("lines_before", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "start", name="pk_log_chunks"),
    )
    op.create_index("ix_log_chunks_run_id_lines_before", "log_chunks", ["run_id", "lines_before"])
    op.create_table(
        "log_tail",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("start", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "start", name="pk_log_tail"),
    )


def downgrade() -> None:
    op.drop_table("log_tail")
    op.drop_index("ix_log_chunks_run_id_lines_before", table_name="log_chunks")
    op.drop_table("log_chunks")
    op.drop_table("logs")
