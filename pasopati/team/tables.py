"""Teams, notifications (every attempt, delivered or not) and acknowledgements."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class TeamRow(Base):
    __tablename__ = "teams"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    severity: Mapped[str] = mapped_column(String(16), primary_key=True)
    assembled_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class NotificationRow(Base):
    """Every notification attempted, delivered or not (the error says why)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    key: Mapped[str] = mapped_column(String(128), doc="What it is about: team call, escalation, reminder slot.")
    person: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(Text, doc="Apprise URL with secrets masked.")
    title: Mapped[str] = mapped_column(SafeText)
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(SafeText)
    sent_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("incident_id", "key", "person"),)


class AcknowledgementRow(Base):
    __tablename__ = "acknowledgements"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    person: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
