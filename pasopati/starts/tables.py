"""Run start requests (``run_starts``): written with the act that needs the run, removed never."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class StartRow(Base):
    __tablename__ = "run_starts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    deployment: Mapped[str] = mapped_column(String(200))
    parameters: Mapped[dict[str, Any]]
    flow_run_name: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]]
    supersedes: Mapped[str | None] = mapped_column(String(36))
    supersede_message: Mapped[str | None] = mapped_column(SafeText)
    alert_id: Mapped[str | None] = mapped_column(String(36))
    requested_by: Mapped[str] = mapped_column(SafeText)
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(SafeText)
    flow_run_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime | None]
