"""Baseline: the store as it was before migrations existed.

Reproduces exactly the schema that ``Base.metadata.create_all`` made from ``pasopati/store/tables.py``
at commit 8932213: the same 13 tables, columns, types, nullability, primary keys, unique constraints,
foreign keys and indexes (named as create_all names them, ``ix_<table>_<column>``). A store created
by that code already matches it as it is; an empty database is brought to it by running it.

Plain SQLAlchemy types only, so the revision never changes when project code does: the baseline's
``UTCDateTime`` was a TypeDecorator over ``DateTime(timezone=True)``, which is what is emitted here
(DATETIME on SQLite, TIMESTAMP WITH TIME ZONE on PostgreSQL). Python-side defaults (``revision=1``,
``author="template"``, ``note=""``, ``attempts=0``) were never in the DDL, so none appear here.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "incidents",
    "alerts",
    "runs",
    "teams",
    "facts",
    "drafts",
    "decisions",
    "publications",
    "stage_events",
    "evaluations",
    "escalations",
    "notifications",
    "acknowledgements",
)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("flow_run_id", sa.String(36), nullable=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("kanwil_id", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incidents_flow_run_id", "incidents", ["flow_run_id"])
    op.create_index("ix_incidents_category", "incidents", ["category"])
    op.create_index("ix_incidents_unit_id", "incidents", ["unit_id"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.String(64), nullable=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("incident_id", sa.String(36), nullable=True),
        sa.Column("flow_run_id", sa.String(36), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_alerts_received_at", "alerts", ["received_at"])
    op.create_index("ix_alerts_url", "alerts", ["url"])
    op.create_index("ix_alerts_status", "alerts", ["status"])
    op.create_index("ix_alerts_incident_id", "alerts", ["incident_id"])

    op.create_table(
        "runs",
        sa.Column("flow_run_id", sa.String(36), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("flow_run_id"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_runs_incident_id", "runs", ["incident_id"])

    op.create_table(
        "teams",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("assembled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "severity"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )

    op.create_table(
        "facts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(96), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("verified_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "item_id", "version"),
        sa.UniqueConstraint("incident_id", "item_id", "change"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_facts_incident_id", "facts", ["incident_id"])

    op.create_table(
        "drafts",
        sa.Column("id", sa.String(96), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("message_type", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.String(96), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("fact_versions", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_drafts_incident_id", "drafts", ["incident_id"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("pause_key", sa.String(96), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("approver", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("refusal", sa.Text(), nullable=True),
        sa.Column("draft_hashes", sa.JSON(), nullable=False),
        sa.Column("diffs", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "severity", "pause_key"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_decisions_incident_id", "decisions", ["incident_id"])

    op.create_table(
        "publications",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("draft_id", sa.String(96), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.Column("correction_draft_id", sa.String(96), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "channel"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"]),
    )
    op.create_index("ix_publications_incident_id", "publications", ["incident_id"])

    op.create_table(
        "stage_events",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "stage"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )

    op.create_table(
        "evaluations",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("to_role", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "severity", "kind", "subject"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_escalations_incident_id", "escalations", ["incident_id"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "key", "person"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )
    op.create_index("ix_notifications_incident_id", "notifications", ["incident_id"])

    op.create_table(
        "acknowledgements",
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "person"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
    )


def downgrade() -> None:
    # Children before incidents (and publications before drafts); each table's indexes go with it.
    for table in reversed(TABLES):
        op.drop_table(table)
