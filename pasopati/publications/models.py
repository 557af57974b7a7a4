"""One draft on one channel (a publication) and its deliveries: one per recipient and part.

A publication's status sums up its deliveries: every one accepted (sent), some (partial: "sebagian
terbit"), none yet and some of unknown outcome (ambiguous), or none (failed).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, Field


class PublicationStatus(str, Enum):
    SENDING = "sending"
    SENT = "sent"
    PARTIAL = "partial"
    AMBIGUOUS = "ambiguous"
    FAILED = "failed"


class DeliveryStatus(str, Enum):
    """``pending``: not tried yet. ``sending``: the write-ahead record — an attempt is (or was, if
    its process died) under way; ``sent``: the remote accepted it, receipt stored; ``failed``: the
    remote certainly does not hold it and a later retry may work; ``refused``: it certainly does not,
    and the same request will be refused again (fix the configuration, then ``publish retry``);
    ``ambiguous``: it may or may not — the API offers no lookup; an operator resolves it."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    REFUSED = "refused"
    AMBIGUOUS = "ambiguous"


# A runbook run's final state name when publishing fell short (flows.krisis, pasopati.runs).
RUN_PARTIAL = "Sebagian terbit"  # some channels or recipients did not take their message
RUN_NOT_PUBLISHED = "Tidak terbit"  # the holding statement reached no channel: the run stopped there

# What a (re)try may send: never sent, sent, of unknown outcome or being sent by a live process.
SENDABLE = frozenset({DeliveryStatus.PENDING, DeliveryStatus.FAILED})
LABELS = {
    PublicationStatus.SENT: "terbit", PublicationStatus.PARTIAL: "sebagian terbit", PublicationStatus.AMBIGUOUS: "tidak pasti",
    PublicationStatus.FAILED: "gagal", PublicationStatus.SENDING: "sedang dikirim",
}


class Delivery(BaseModel):
    id: str
    publication_id: str
    recipient: str = ""
    part: int = 0
    status: DeliveryStatus
    attempts: int = 0
    owner: str | None = None
    started_at: datetime | None = None
    remote_id: str | None = None
    location: str | None = None
    accepted_at: datetime | None = None
    error: str | None = None


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
    deliveries_sent: int = 0
    deliveries_total: int = 0

    @property
    def reached_anyone(self) -> bool:
        """Some recipient has it (also a publication recorded before deliveries existed)."""
        return self.status in {PublicationStatus.SENT, PublicationStatus.PARTIAL}

    @property
    def label(self) -> str:
        """Indonesian: "terbit", "sebagian terbit (3/5)", "tidak pasti", "gagal"."""
        label = LABELS[self.status]
        return f"{label} ({self.deliveries_sent}/{self.deliveries_total})" if self.deliveries_total > 1 else label


def publication_id(draft_id: str, channel: str) -> str:
    """Stable per draft and channel (32 hex digits)."""
    return hashlib.sha256(f"{draft_id}|{channel}".encode()).hexdigest()[:32]


def delivery_id(incident_id: str, draft_id: str, content_hash: str, channel: str, recipient: str, part: int) -> str:
    """The exactly-once key (issue 11): incident × approved text version (its SHA-256) × channel ×
    recipient × part, 32 hex digits. Every adapter receives it as the message's idempotency key.
    The recipient counts without case: a list channel treats "Redaksi@Kompas.com" and
    "redaksi@kompas.com" as one journalist, so a list edited to the other spelling is not a new one."""
    key = f"{incident_id}|{draft_id}|{content_hash}|{channel}|{recipient.casefold()}|{part}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]
