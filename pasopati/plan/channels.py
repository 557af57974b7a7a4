"""Which adapter carries each logical channel named in the runbooks (``runbooks/channels.yaml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field

from pasopati.plan.runbook import Slug, Strict


class OutboxConfig(Strict):
    title: str
    adapter: Literal["outbox"] = "outbox"


class WebhookConfig(Strict):
    title: str
    adapter: Literal["webhook"]
    url: AnyHttpUrl
    token_secret: str | None = Field(None, description="Name of a Prefect Secret block holding a bearer token.")
    timeout_seconds: float = Field(10.0, gt=0)


ChannelConfig = Annotated[OutboxConfig | WebhookConfig, Field(discriminator="adapter")]


class ChannelsConfig(Strict):
    channels: dict[Slug, ChannelConfig]
