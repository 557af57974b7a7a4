"""The audit log: append-only rows (database triggers refuse UPDATE and DELETE) and the chain head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base


class AuditEventRow(Base):
    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    # Not a foreign key: the log outlives any row it describes, and alerts log before an incident exists.
    incident_id: Mapped[str | None] = mapped_column(String(36))
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, doc="Canonical JSON, exactly the bytes hashed.")
    prev_hash: Mapped[str] = mapped_column(String(64))
    incident_prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    __table_args__ = (Index("ix_audit_events_incident_seq", "incident_id", "seq"),)


class AuditHeadRow(Base):
    """Exactly one row (id 1): the last event's seq and hash (GENESIS and 0 before the first)."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
