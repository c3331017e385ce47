"""runners: agents registered over HTTP, their registration tokens, leases and retries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:20:00.000000

Every claim of a run bumps ``runs.attempt``: the fencing token an agent names
in every call, so a run given up and handed to another runner can never be
written by the one that lost it. Stored jobs gain ``labels`` and ``retry``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "runner_registration_tokens",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("last_used", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runner_registration_tokens"),
        sa.UniqueConstraint("secret_hash", name="uq_runner_registration_tokens_secret_hash"),
    )
    op.create_table(
        "runners",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("labels", sa.String(1000), nullable=False, server_default=""),
        sa.Column("version", sa.String(64), nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("concurrency", sa.Integer, nullable=False, server_default="1"),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("last_contact", sa.Float, nullable=True),
        sa.Column("registration_token_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runners"),
        sa.UniqueConstraint("secret_hash", name="uq_runners_secret_hash"),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("retry", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("retry_only_lost", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("labels", sa.String(1000), nullable=False, server_default=""))
        batch.add_column(sa.Column("retry", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("retry_only_lost", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("retry_only_lost")
        batch.drop_column("retry")
        batch.drop_column("labels")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("retry_only_lost")
        batch.drop_column("retry")
        batch.drop_column("attempt")
    op.drop_table("runners")
    op.drop_table("runner_registration_tokens")
