"""Deliveries: one row per recipient and part of a publication — the write-ahead record before a
channel is called and the receipt after (issue 11: exactly once per recipient). Publications gain
the counts that sum them up. Publications recorded before have no deliveries: their status stands.

Revision ID: 0006_deliveries
Revises: 0005_fact_english
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_deliveries"
down_revision = "0005_fact_english"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("publication_id", sa.String(64), sa.ForeignKey("publications.id"), nullable=False),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(160), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_id", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("publication_id", "recipient", "part"),
    )
    op.create_index("ix_deliveries_publication_id", "deliveries", ["publication_id"])
    op.create_index("ix_deliveries_incident_id", "deliveries", ["incident_id"])
    op.create_index("ix_deliveries_status", "deliveries", ["status"])
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("deliveries_sent", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("deliveries_total", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("deliveries_total")
        batch.drop_column("deliveries_sent")
    op.drop_table("deliveries")
