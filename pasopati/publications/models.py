"""One draft on one channel: claimed before sending, then sent (with its receipt) or failed."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, Field


class PublicationStatus(str, Enum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Publication(BaseModel):
    id: str
    incident_id: str
    draft_id: str
    channel: str
    status: PublicationStatus
    location: str | None = None
    error: str | None = None
    attempts: int = 0
    published_at: datetime | None = None
    flag: str | None = Field(None, description="Set when a fact it used changed after publication.")
    correction_draft_id: str | None = None


def publication_id(draft_id: str, channel: str) -> str:
    """Stable per draft and channel: the idempotency key every adapter receives."""
    return hashlib.sha256(f"{draft_id}|{channel}".encode()).hexdigest()[:32]
