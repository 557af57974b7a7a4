"""Alert replays are records of their own: ``alerts.replay_of`` links a replay to the alert it replays.

A replay with a corrected body overwrote the stored original and kept the original's source although
another source's credential made the call (issue 12). The original now stays as received; the
replay is a new row, attributed to the caller, pointing at it. Rows recorded before: NULL.

Revision ID: 0007_alert_replays
Revises: 0006_deliveries
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_alert_replays"
down_revision = "0006_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("replay_of", sa.String(36), nullable=True))
        batch.create_index("ix_alerts_replay_of", ["replay_of"])
        batch.create_foreign_key("fk_alerts_replay_of", "alerts", ["replay_of"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_constraint("fk_alerts_replay_of", type_="foreignkey")
        batch.drop_index("ix_alerts_replay_of")
        batch.drop_column("replay_of")
