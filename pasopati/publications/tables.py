"""Publications: one row per draft × channel (the unique key that makes "never twice" hold)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class PublicationRow(Base):
    __tablename__ = "publications"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    draft_id: Mapped[str] = mapped_column(ForeignKey("drafts.id"))
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(SafeText)
    error: Mapped[str | None] = mapped_column(SafeText)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None]
    # Set when a fact this message used changed after it went out: what changed, and the ralat draft.
    flag: Mapped[str | None] = mapped_column(SafeText)
    correction_draft_id: Mapped[str | None] = mapped_column(String(96))
    __table_args__ = (UniqueConstraint("draft_id", "channel"),)
