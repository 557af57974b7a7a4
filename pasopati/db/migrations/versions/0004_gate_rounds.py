"""Gate rounds: each wait for a person at a gate, and what a decision named and proved.

- ``gate_rounds``: one row per pause key a run waited at (approval, verification, redraft) — when
  it opened (a TOTP code must not predate it), the hash of the text it showed, when and how it
  closed, and when the run read its input (so a re-run never records an input twice).
- ``decisions``: ``round_key`` (the round a submission answered or named; ``pause_key`` stays set
  only on the decision that took effect, so its unique constraint means one per round),
  ``proof`` (how the approver was identified) and ``via`` (cli, halaman-persetujuan, run input).
- Backfill: rounds already decided get a closed row (opened and closed at the decision's time), so
  runs suspended before this migration continue where they were; what the old decisions did not
  record (proof) stays NULL — shown as unproven, never invented.

Revision ID: 0004_gate_rounds
Revises: 0003_identity
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0004_gate_rounds"
down_revision = "0003_identity"
branch_labels = None
depends_on = None

ROUND = re.compile(r"-ke-(\d+)$")


def upgrade() -> None:
    op.create_table(
        "gate_rounds",
        sa.Column("incident_id", sa.String(36), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("pause_key", sa.String(96), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(36), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("input_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("incident_id", "severity", "pause_key"),
    )
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("round_key", sa.String(96), nullable=True))
        batch.add_column(sa.Column("proof", sa.Text(), nullable=True))
        batch.add_column(sa.Column("via", sa.String(32), nullable=True))
    bind = op.get_bind()
    decisions = sa.table(
        "decisions", sa.column("incident_id"), sa.column("severity"), sa.column("gate"), sa.column("pause_key"),
        sa.column("accepted"), sa.column("decided_at", sa.DateTime(timezone=True)), sa.column("round_key"),
    )
    rounds = sa.table(
        "gate_rounds", sa.column("incident_id"), sa.column("severity"), sa.column("pause_key"), sa.column("gate"),
        sa.column("round"), sa.column("opened_at", sa.DateTime(timezone=True)), sa.column("closed_at", sa.DateTime(timezone=True)),
        sa.column("outcome"), sa.column("input_read_at", sa.DateTime(timezone=True)),
    )
    bind.execute(decisions.update().where(decisions.c.pause_key.is_not(None)).values(round_key=decisions.c.pause_key))
    rows = bind.execute(
        sa.select(decisions.c.incident_id, decisions.c.severity, decisions.c.gate, decisions.c.pause_key,
                  decisions.c.accepted, decisions.c.decided_at).where(decisions.c.pause_key.is_not(None))
    ).all()
    for incident_id, severity, gate, key, accepted, at in rows:
        match = ROUND.search(key)
        bind.execute(rounds.insert().values(
            incident_id=incident_id, severity=severity, pause_key=key, gate=gate, round=int(match.group(1)) if match else 1,
            opened_at=at, closed_at=at, outcome="accepted" if accepted else "refused", input_read_at=at,
        ))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("via")
        batch.drop_column("proof")
        batch.drop_column("round_key")
    op.drop_table("gate_rounds")
