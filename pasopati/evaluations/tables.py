"""One evaluation per incident, replaced when a retried run evaluates again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from pasopati.db.types import Base


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]]
