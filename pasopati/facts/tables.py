"""Fact versions: append-only; the escapee count at 10:00 and at 14:00 are two rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class FactRow(Base):
    __tablename__ = "facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(96), doc="The submission that recorded it; re-running it adds nothing.")
    label: Mapped[str] = mapped_column(SafeText)
    value: Mapped[str | None] = mapped_column(SafeText)
    value_en: Mapped[str | None] = mapped_column(SafeText, doc="The verifier's English wording of this version (None: none given).")
    source: Mapped[str | None] = mapped_column(SafeText)
    public: Mapped[bool]
    verified_by: Mapped[str] = mapped_column(SafeText)
    recorded_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("incident_id", "item_id", "version"),
        UniqueConstraint("incident_id", "item_id", "change"),
    )
