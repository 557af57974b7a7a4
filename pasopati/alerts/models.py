"""Monitoring alerts: what media monitoring (news, social listening, manual reports) sends in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, HttpUrl

from pasopati.alerts.reading import audience, moment, plain, unwrapped
from pasopati.db.types import CleanStr

# A whole news article is 5 000–30 000 characters; a longer "alert" is refused (kept raw, with the
# reason): a 20 MB text attached to an incident had slowed every later alert about it to ~4 s.
MAX_ALERT_TEXT = 50_000
MAX_ALERT_TITLE = 1_000  # headlines run to ~150 characters; a 1.9 MB "title" took 22 s of classification
# As senders write them (pasopati.alerts.reading): RSS/e-mail dates, "29/09/2025", "1.5M", redirect links.
Moment = Annotated[datetime | None, BeforeValidator(moment)]
Count = Annotated[int | None, BeforeValidator(audience), Field(ge=0)]
Link = Annotated[HttpUrl | None, BeforeValidator(lambda v: unwrapped(v.strip()) if isinstance(v, str) and v.strip() else v or None)]


class Alert(BaseModel):
    """The generic alert schema accepted by ``POST /alerts`` and by ``pasopati classify``."""

    source: str = Field("manual", description="Who sent it: google-alerts, meltwater, manual, …")
    platform: str | None = Field(None, description="news, twitter, instagram, tiktok, facebook, youtube, …")
    url: Link = Field(None, description="The item's address; redirect and click-tracking links are unwrapped.")
    title: Annotated[CleanStr | None, BeforeValidator(plain)] = Field(
        None, max_length=MAX_ALERT_TITLE, description="Headline (HTML tags dropped; a longer one is left out, kept raw).")
    text: Annotated[CleanStr, BeforeValidator(plain)] = Field(min_length=1, max_length=MAX_ALERT_TEXT, description="Snippet or full text (Indonesian).")
    published_at: Moment = Field(None, description="RFC 822 (RSS), ISO 8601 or day-first; no zone: WIB.")
    author: CleanStr | None = None
    reach: Count = Field(None, description="Audience size or followers (1500, \"1.5M\", \"15rb\").")
    engagement: Count = Field(None, description="Likes + shares + comments.")
    sentiment: Literal["positive", "neutral", "negative"] | None = None
    unit: CleanStr | None = Field(None, description="Unit name if the sender already knows it.")
    warnings: list[str] = Field(default_factory=list, exclude=True,
                                description="Fields the intake could not read (kept raw in the stored alert).")

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
    replay_of: str | None = Field(None, description="The alert this record replays (the original is never rewritten).")
    fingerprint: list[str] | None = Field(None, description="Near-duplicate shingles, computed once at receipt (issue 12).")
