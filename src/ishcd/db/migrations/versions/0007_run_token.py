"""run token: the name of the API token a run was started with, for "who started it"

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:15:00.000000

Runs started before this show only the account that started them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("created_by_token", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("created_by_token")
