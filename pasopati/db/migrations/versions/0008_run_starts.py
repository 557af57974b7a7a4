"""Run starts are stored before Prefect is asked (``run_starts``), and an alert keeps its
near-duplicate fingerprint (``alerts.fingerprint``) instead of having it recomputed by every later
alert about the same incident (issue 12). Alerts recorded before: NULL, computed when compared.

Revision ID: 0008_run_starts
Revises: 0007_alert_replays
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_run_starts"
down_revision = "0007_alert_replays"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_starts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("deployment", sa.String(200), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("flow_run_name", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("supersedes", sa.String(36), nullable=True),
        sa.Column("supersede_message", sa.Text(), nullable=True),
        sa.Column("alert_id", sa.String(36), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("flow_run_id", sa.String(36), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_run_starts_incident_id", "run_starts", ["incident_id"])
    op.create_index("ix_run_starts_status", "run_starts", ["status"])
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("fingerprint", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("fingerprint")
    op.drop_table("run_starts")
