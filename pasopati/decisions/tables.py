"""Every decision submitted at a gate, including those refused (no authority, same approver twice)."""

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
    __table_args__ = (UniqueConstraint("incident_id", "severity", "pause_key"),)
