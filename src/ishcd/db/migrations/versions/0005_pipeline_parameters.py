"""pipeline parameters: the values a pipeline ran with, defaults included

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:30:00.000000

Until now a pipeline kept its parameters as the trigger sent them, so one left
at its default showed as missing. Its compiled plan has them all: copy them
from there. Pipelines whose config did not compile (no plan) keep theirs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 200  # plans read at a time: a plan of a big matrix can be large

pipelines = sa.table(
    "pipelines",
    sa.column("id", sa.String),
    sa.column("plan", sa.Text),
    sa.column("parameters", sa.Text),
)


def upgrade() -> None:
    bind = op.get_bind()
    last = ""
    while True:
        rows = bind.execute(
            sa.select(pipelines.c.id, pipelines.c.plan)
            .where(pipelines.c.plan.is_not(None), pipelines.c.id > last)
            .order_by(pipelines.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for pipeline_id, plan in rows:
            parameters = json.loads(plan).get("parameters", {})
            bind.execute(
                sa.update(pipelines)
                .where(pipelines.c.id == pipeline_id)
                .values(parameters=json.dumps(parameters))
            )
        last = rows[-1][0]


def downgrade() -> None:
    # The values ran with are still right under the old schema: nothing to undo.
    pass
