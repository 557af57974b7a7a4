"""Which adapter carries each logical channel named in the runbooks (``runbooks/channels.yaml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field

from pasopati.plan.runbook import Slug, Strict

# How a channel renders an approved message (pasopati.drafts.renderings.Format): one approved text,
# many renderings (X ≤ 280, Telegram MarkdownV2 ≤ 4 096, WhatsApp template parameters, e-mail, website).
ChannelFormat = Literal["text", "x", "telegram", "whatsapp", "email", "website", "facebook"]


class OutboxConfig(Strict):
    title: str
    adapter: Literal["outbox"] = "outbox"
    format: ChannelFormat = "text"


class WebhookConfig(Strict):
    title: str
    adapter: Literal["webhook"]
    format: ChannelFormat = "text"
    url: AnyHttpUrl
    token_secret: str | None = Field(None, description="Name of a Prefect Secret block holding a bearer token.")
    timeout_seconds: float = Field(10.0, gt=0)


ChannelConfig = Annotated[OutboxConfig | WebhookConfig, Field(discriminator="adapter")]


class ChannelsConfig(Strict):
    channels: dict[Slug, ChannelConfig]
    statement_url: str = Field(
        "https://www.ditjenpas.go.id/pernyataan/{message}",
        description="Where the full statement is published; '{message}' is the message id. Short renderings link to it.",
    )
