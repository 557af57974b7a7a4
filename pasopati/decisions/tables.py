"""Every decision submitted at a gate, including those refused (no proof, no authority, stale text,
a round already decided), and every round a gate waited for a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    gate: Mapped[str] = mapped_column(String(64))
    pause_key: Mapped[str | None] = mapped_column(String(96))
    verdict: Mapped[str] = mapped_column(String(16))
    approver: Mapped[str] = mapped_column(SafeText)
    reason: Mapped[str] = mapped_column(SafeText)
    accepted: Mapped[bool]
    refusal: Mapped[str | None] = mapped_column(SafeText)
    # draft id → sha256 of the exact body approved; publishing re-checks it.
    draft_hashes: Mapped[dict[str, Any]]
    # edited draft id → unified diff from the text the approver was shown.
    diffs: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime]
    # The round the submission answered or named (pause_key is set only on the one that took effect,
    # so the unique constraint below says: one effective decision per round).
    round_key: Mapped[str | None] = mapped_column(String(96))
    proof: Mapped[str | None] = mapped_column(SafeText, doc="How the approver was identified; None if unproven.")
    via: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (UniqueConstraint("incident_id", "severity", "pause_key"),)


class GateRoundRow(Base):
    """One wait for a person at a gate (its pause key): when it opened, what text it showed, how it ended.

    A round ends when a submission is recorded for it, accepted or refused; a refused one opens the
    next round (Prefect keeps one input per pause key). The store, not a replay, says where a gate is."""

    __tablename__ = "gate_rounds"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    pause_key: Mapped[str] = mapped_column(String(96), primary_key=True)
    gate: Mapped[str] = mapped_column(String(64))
    round: Mapped[int]
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    opened_at: Mapped[datetime]
    text_hash: Mapped[str | None] = mapped_column(String(64), doc="gate_text_hash of the drafts awaiting (approval gates).")
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16), doc="accepted | refused | expired; None while open.")
    # When the run read the round's Prefect input. A round decided through the CLI or the approval
    # page is closed before that; input arriving there afterwards is then recorded as too late.
    input_read_at: Mapped[datetime | None]
