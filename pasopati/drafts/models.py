"""One revision of one message in one language."""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, Field

from pasopati.plan.runbook import MessageType, Severity


class Draft(BaseModel):
    id: str
    incident_id: str
    severity: Severity
    message_type: MessageType
    language: str
    body: str
    channels: list[str]
    due_at: datetime
    created_at: datetime
    revision: int = 1
    parent_id: str | None = Field(None, description="The revision this one replaces.")
    author: str = Field("template", description="'template', or who edited the text.")
    note: str = Field("", description="Why this revision exists: an approver's comment, an edit reason.")
    fact_versions: dict[str, int] = Field(default_factory=dict, description="Checklist item → fact version used.")

    @property
    def content_hash(self) -> str:
        """SHA-256 of the exact body: what an approval covers and a publication must match."""
        return hashlib.sha256(self.body.encode()).hexdigest()
