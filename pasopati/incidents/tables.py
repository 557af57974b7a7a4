"""Incidents, the runs that carried them, the stages they reached, the deadlines that escalated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class IncidentRow(Base):
    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    kanwil_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(SafeText)
    detected_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    # Last alert or escalation: correlation attaches alerts to incidents active within its window.
    updated_at: Mapped[datetime]
    # Set by `pasopati close`: update reminders stop and new alerts open a new, linked incident.
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(SafeText)
    close_reason: Mapped[str | None] = mapped_column(SafeText)
    follows_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict[str, Any]]


class RunRow(Base):
    """Every runbook run of an incident: more than one when correlation escalated it."""

    __tablename__ = "runs"
    flow_run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]


class StageRow(Base):
    __tablename__ = "stage_events"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime]


class EscalationRow(Base):
    """A deadline that passed: an undecided approval, an unacknowledged team member."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), doc="'approval' or 'acknowledgement'.")
    subject: Mapped[str] = mapped_column(Text, doc="The gate, or the person who did not acknowledge.")
    to_role: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(SafeText)
    at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("incident_id", "severity", "kind", "subject"),)
