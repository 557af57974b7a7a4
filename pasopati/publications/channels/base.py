"""The one small interface every channel adapter implements."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


class OutgoingMessage(BaseModel):
    """What a channel receives. ``idempotency_key`` is stable for one draft on one channel, so a
    resend after a crash can be recognised by the receiver."""

    idempotency_key: str
    channel: str
    incident_id: str
    message_type: str
    language: str
    body: str = Field(description="The approved text, exactly as approved.")
    text: str = Field(description="What this channel posts: the channel's rendering of the approved text.")
    rendering: dict[str, object] = Field(default_factory=dict, description="The full rendering (subject, html, parameters…).")


class Receipt(BaseModel):
    location: str
    already_published: bool = False


class ChannelError(Exception):
    """The channel refused or could not be reached; the message was not published."""


class Channel(Protocol):
    def publish(self, message: OutgoingMessage) -> Receipt: ...
