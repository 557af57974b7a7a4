"""Publications (one row per draft × channel: the unique key that makes "never twice" hold) and
their deliveries (one per recipient and part: the write-ahead records and receipts)."""

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
    deliveries_sent: Mapped[int] = mapped_column(Integer, default=0)
    deliveries_total: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("draft_id", "channel"),)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    publication_id: Mapped[str] = mapped_column(ForeignKey("publications.id"), index=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320), default="")
    part: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The write-ahead record: which process (host:pid:start) began the attempt, and when.
    owner: Mapped[str | None] = mapped_column(String(160))
    started_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(SafeText)
    location: Mapped[str | None] = mapped_column(SafeText)
    accepted_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(SafeText)
    __table_args__ = (UniqueConstraint("publication_id", "recipient", "part"),)
