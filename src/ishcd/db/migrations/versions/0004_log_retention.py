"""log retention: per-project days, and runs whose log was removed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 03:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_retention_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("log_removed", sa.Float(), nullable=True))
        batch_op.create_index(
            "ix_runs_finished_log_kept",
            ["finished"],
            unique=False,
            sqlite_where=sa.text("log_removed IS NULL"),
            postgresql_where=sa.text("log_removed IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_runs_finished_log_kept",
            sqlite_where=sa.text("log_removed IS NULL"),
            postgresql_where=sa.text("log_removed IS NULL"),
        )
        batch_op.drop_column("log_removed")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("log_retention_days")
