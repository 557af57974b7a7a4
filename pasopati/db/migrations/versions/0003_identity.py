"""Identity: TOTP credentials, failed codes for the rate limit, single-use approval links.

- ``identity_totp``: one row per roster person who ever enrolled; the secret only as Fernet
  ciphertext (NULL once revoked), the last accepted RFC 6238 step (replay guard).
- ``identity_totp_failures``: one row per failed code, read over a 15-minute window (the lock).
- ``identity_links``: approval links as the SHA-256 of their token (unique), bound to person,
  incident, flow run, pause key and text hash; used/revoked times make them single-use.

New tables only: nothing existing changes, nothing is backfilled. Plain SQLAlchemy types (the
revision must not change when project code does): DateTime(timezone=True) for the store's
UTCDateTime, Text for SafeText.

Revision ID: 0003_identity
Revises: 0002_audit_log
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_identity"
down_revision = "0002_audit_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_totp",
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.Text(), nullable=False),
        sa.Column("enrolments", sa.Integer(), nullable=False),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("person"),
    )
    op.create_table(
        "identity_totp_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_identity_totp_failures_person_at", "identity_totp_failures", ["person", "at"])
    op.create_table(
        "identity_links",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=False),
        sa.Column("flow_run_id", sa.String(36), nullable=False),
        sa.Column("pause_key", sa.String(128), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("via", sa.String(32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_identity_links_incident_pause", "identity_links", ["incident_id", "pause_key"])


def downgrade() -> None:
    op.drop_index("ix_identity_links_incident_pause", table_name="identity_links")
    op.drop_table("identity_links")
    op.drop_index("ix_identity_totp_failures_person_at", table_name="identity_totp_failures")
    op.drop_table("identity_totp_failures")
    op.drop_table("identity_totp")
