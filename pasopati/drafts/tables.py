"""Draft revisions: never updated; an edit or a redraft is a new row pointing at its parent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base, SafeText


class DraftRow(Base):
    __tablename__ = "drafts"
    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    message_type: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(SafeText)
    content_hash: Mapped[str] = mapped_column(String(64))
    channels: Mapped[list[str]]
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    revision: Mapped[int] = mapped_column(Integer, default=1)
    parent_id: Mapped[str | None] = mapped_column(String(96))
    author: Mapped[str] = mapped_column(SafeText, default="template")
    note: Mapped[str] = mapped_column(SafeText, default="")
    fact_versions: Mapped[dict[str, Any]]
