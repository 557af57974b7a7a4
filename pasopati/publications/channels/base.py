"""The one small interface every channel adapter implements, and the three ways a send can fail.

An adapter makes **one attempt** at one recipient and says exactly what it knows about the outcome;
the retry policy, the write-ahead record and the receipts live in ``pasopati.publications.sending``
so that every channel gets the same guarantees (issue 11: exactly once per recipient).

Why three failures and not one: after a failure the sender must know whether the remote may hold
the post. ``Unavailable`` and ``Refused`` say it certainly does not (the remote answered an error,
or the connection was never made) — sending again cannot double it. ``Uncertain`` says it may (the
request went out and no answer came: a timeout, a connection dropped before the status line, a
gateway timeout): sending again could post twice, so the sender looks the post up (``find``) or,
where the API offers no lookup, records the delivery as *ambiguous* for an operator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field


class Reference(BaseModel):
    """An earlier post of the same incident on the same channel and recipient, as its receipt
    recorded it: what a correction or an update replies to, quotes or annotates."""

    remote_id: str | None = None
    location: str
    message_type: str = Field(description="Message type of the earlier post (holding_statement, press_release…).")
    published_at: datetime | None = None
    later_parts: list[str] = Field(default_factory=list, description=(
        "Remote ids of the same post's further messages, in order (a long Telegram statement is several): a retraction takes them down too."))


class OutgoingMessage(BaseModel):
    """What a channel receives for one recipient.

    ``idempotency_key`` is stable for one approved text × channel × recipient (32 hex digits):
    adapters pass it where the API takes one (``Idempotency-Key``, a WordPress slug, an e-mail
    Message-ID) and may embed ``marker`` where the API can later search for it."""

    idempotency_key: str
    channel: str
    incident_id: str
    message_type: str
    language: str
    body: str = Field(description="The approved text, exactly as approved.")
    text: str = Field(description="What this channel posts: the channel's rendering of the approved text.")
    rendering: dict[str, object] = Field(default_factory=dict, description="The full rendering (subject, html, parameters…).")
    recipient: str = Field("", description="One address of a list channel (e-mail, WhatsApp number); '' for a single destination.")
    link: str = Field("", description="Where the full statement is (the website post once published, else statement_url).")
    reference: Reference | None = Field(None, description="The earlier post a correction or update refers to on this channel.")
    retract_reference: bool = Field(False, description="Also retract (delete) ``reference`` where the API allows: the runbook asks.")

    @property
    def marker(self) -> str:
        """Short, unique enough to search for (first 12 hex digits of the key: 48 bits)."""
        return self.idempotency_key[:12]


class Receipt(BaseModel):
    """What the remote answered when it accepted the message (stored before success is reported)."""

    location: str = Field(description="URL of the post, a file path, or 'mailto:…'/'wa:…' naming the delivery.")
    remote_id: str | None = Field(None, description="The API's id of the post/message (tweet id, wamid, Message-ID…).")
    already_published: bool = Field(False, description="Found by a lookup: an earlier attempt had been accepted.")
    note: str | None = Field(None, description="Anything an operator should know (a retraction that failed, a shortened link…).")


class ChannelError(Exception):
    """A send failed. Subclasses say whether the remote may hold the post."""


class Unavailable(ChannelError):
    """Certainly not published, and trying again later may work: HTTP 5xx (except 504), 408, 429,
    a connection refused or never established. ``retry_after``: seconds the remote asked for."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(ChannelError):
    """Certainly not published, and the same request will fail again: HTTP 4xx other than 408/429,
    an answer that is not the API (WordPress's HTML page), a missing credential, a bad recipient."""


class Uncertain(ChannelError):
    """The request may have reached the remote and been accepted: a read timeout, a connection
    dropped before the answer, HTTP 504. Never sent again without a lookup."""


class LookupUnsupported(Exception):
    """The API offers no way to find an earlier post (Telegram Bot API, WhatsApp, SMTP, webhook)."""


class Channel(Protocol):
    """One configured channel. ``recipients`` is ``[""]`` for a single destination. An adapter
    whose remote may store a post after the answer was lost says so with ``late_arrivals = True``."""

    def recipients(self) -> list[str]: ...

    def publish(self, message: OutgoingMessage) -> Receipt:
        """One attempt; raises Unavailable, Refused or Uncertain."""
        ...

    def find(self, message: OutgoingMessage) -> Receipt | None:
        """The remote's copy of ``message`` if an earlier attempt was accepted, None if it certainly
        was not; raises LookupUnsupported where the API cannot tell, Unavailable if it cannot be asked now."""
        ...


class FollowsUp(Protocol):
    """An adapter whose ``publish`` does more after posting (annotate or retract the post a
    correction refers to): the sender runs it too for a post found after a lost answer."""

    def follow_up(self, message: OutgoingMessage, receipt: Receipt) -> Receipt: ...


class Retracts(Protocol):
    """An adapter that can take a post down (X, Facebook, Telegram within 48 h, WordPress: trash)."""

    def retract(self, reference: Reference) -> None: ...
