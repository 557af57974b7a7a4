"""Every alert received, whatever became of it: nothing received is lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class AlertRow(Base):
    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(SafeText, doc="The body as received (for a rejected one: the whole request).")
    url: Mapped[str | None] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(SafeText)
    unit_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(16))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    reasons: Mapped[list[str]]
    text: Mapped[str | None] = mapped_column(SafeText)
    replay_of: Mapped[str | None] = mapped_column(String(36), ForeignKey("alerts.id", name="fk_alerts_replay_of"), index=True,
                                                  doc="The alert this one replays (a new record; the original stays as received).")
    fingerprint: Mapped[list[str] | None] = mapped_column(doc="Near-duplicate shingles, computed once at receipt.")
