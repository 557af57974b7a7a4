"""SQLAlchemy tables: one row per record a run produces, so an auditor can replay what happened."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out — SQLite would otherwise drop the zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store only timezone-aware times")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class IncidentRow(Base):
    __tablename__ = "incidents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    kanwil_id: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime]
    opened_at: Mapped[datetime]
    # Last alert or escalation: correlation attaches alerts to incidents active within its window.
    updated_at: Mapped[datetime]
    # Set by `pasopati close`: update reminders stop; None while the crisis is open.
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(Text)
    close_reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class AlertRow(Base):
    """Every alert received, whatever became of it: nothing received is lost."""

    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text, doc="The body as received (for a rejected one: the whole request).")
    url: Mapped[str | None] = mapped_column(Text, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str | None] = mapped_column(String(16))
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    reasons: Mapped[list[str]]
    text: Mapped[str | None] = mapped_column(Text)


class RunRow(Base):
    """Every runbook run of an incident: more than one when correlation escalated it."""

    __tablename__ = "runs"
    flow_run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]


class TeamRow(Base):
    __tablename__ = "teams"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    assembled_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class FactRow(Base):
    """Append-only: a correction is a new version; the escapee count at 10:00 and at 14:00 are two rows."""

    __tablename__ = "facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(96), doc="The submission that recorded it; re-running it adds nothing.")
    label: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool]
    verified_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("incident_id", "item_id", "version"),
        UniqueConstraint("incident_id", "item_id", "change"),
    )


class DraftRow(Base):
    __tablename__ = "drafts"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message_type: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    channels: Mapped[list[str]]
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, default=1)
    parent_id: Mapped[str | None] = mapped_column(String(96))
    author: Mapped[str] = mapped_column(Text, default="template")
    note: Mapped[str] = mapped_column(Text, default="")
    fact_versions: Mapped[dict[str, Any]]


class DecisionRow(Base):
    """Every decision submitted at a gate, including those refused (no authority, same approver twice)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    gate: Mapped[str] = mapped_column(String(64))
    pause_key: Mapped[str | None] = mapped_column(String(96))
    verdict: Mapped[str] = mapped_column(String(16))
    approver: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    accepted: Mapped[bool]
    refusal: Mapped[str | None] = mapped_column(Text)
    # draft id → sha256 of the exact body approved; publishing re-checks it.
    draft_hashes: Mapped[dict[str, Any]]
    # edited draft id → unified diff from the text the approver was shown.
    diffs: Mapped[dict[str, Any]]
    decided_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("incident_id", "severity", "pause_key"),)


class PublicationRow(Base):
    __tablename__ = "publications"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"))
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None]
    # Set when a fact this message used changed after it went out: what changed, and the ralat draft.
    flag: Mapped[str | None] = mapped_column(Text)
    correction_draft_id: Mapped[str | None] = mapped_column(String(96))
    __table_args__ = (UniqueConstraint("draft_id", "channel"),)


class StageRow(Base):
    __tablename__ = "stage_events"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime]


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class EscalationRow(Base):
    """A deadline that passed: an undecided approval, an unacknowledged team member."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), doc="'approval' or 'acknowledgement'.")
    subject: Mapped[str] = mapped_column(Text, doc="The gate, or the person who did not acknowledge.")
    to_role: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("incident_id", "severity", "kind", "subject"),)


class NotificationRow(Base):
    """Every notification attempted, delivered or not (the error says why)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    key: Mapped[str] = mapped_column(String(128), doc="What it is about: team call, escalation, reminder slot.")
    person: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(Text, doc="Apprise URL with secrets masked.")
    title: Mapped[str] = mapped_column(Text)
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("incident_id", "key", "person"),)


class AcknowledgementRow(Base):
    __tablename__ = "acknowledgements"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    person: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
