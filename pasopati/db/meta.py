"""The store's own row: its identity, and the row every write transaction locks (pasopati.db)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base


class StoreMetaRow(Base):
    """Exactly one row (id 1), created by migration 0002."""

    __tablename__ = "store_meta"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(36), doc="Random per store: names its audit anchors in Prefect.")
    created_at: Mapped[datetime]
    checked_at: Mapped[datetime] = mapped_column(doc="Last write probe by a health check.")
