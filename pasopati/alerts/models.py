"""Monitoring alerts: what media monitoring (news, social listening, manual reports) sends in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, HttpUrl

from pasopati.db.types import CleanStr


class Alert(BaseModel):
    """The generic alert schema accepted by ``POST /alerts`` and by ``pasopati classify``."""

    source: str = Field("manual", description="Who sent it: google-alerts, meltwater, manual, …")
    platform: str | None = Field(None, description="news, twitter, instagram, tiktok, facebook, youtube, …")
    url: HttpUrl | None = None
    title: CleanStr | None = None
    text: CleanStr = Field(min_length=1, description="Snippet or full text (Indonesian).")
    published_at: datetime | None = None
    author: CleanStr | None = None
    reach: int | None = Field(None, ge=0, description="Audience size or followers.")
    engagement: int | None = Field(None, ge=0, description="Likes + shares + comments.")
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    unit: CleanStr | None = Field(None, description="Unit name if the sender already knows it.")

    @property
    def full_text(self) -> str:
        return f"{self.title}. {self.text}" if self.title else self.text


AlertStatus = Literal["received", "started", "attached", "duplicate", "escalated", "watch", "ignored", "rejected"]


class AlertRecord(BaseModel):
    """A stored alert and what intake decided about it."""

    id: str
    received_at: datetime
    source: str
    raw: CleanStr
    url: str | None = None
    status: AlertStatus
    reason: CleanStr | None = None
    unit_id: str | None = None
    category: str | None = None
    severity: str | None = None
    incident_id: str | None = None
    flow_run_id: str | None = None
    reasons: list[str] = []
    text: CleanStr | None = None
