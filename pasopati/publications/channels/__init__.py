"""Channel adapters: pick the adapter a logical channel is configured with."""

from __future__ import annotations

from pasopati.plan.channels import ChannelConfig, OutboxConfig, WebhookConfig
from pasopati.publications.channels.base import (
    Channel,
    ChannelError,
    OutgoingMessage,
    Receipt,
)
from pasopati.publications.channels.outbox import OutboxChannel
from pasopati.publications.channels.webhook import WebhookChannel
from pasopati.settings import Settings

__all__ = ["Channel", "ChannelError", "OutgoingMessage", "Receipt", "adapter_for"]


def adapter_for(config: ChannelConfig, settings: Settings) -> Channel:
    if isinstance(config, OutboxConfig):
        return OutboxChannel(settings.outbox)
    if isinstance(config, WebhookConfig):
        token = _secret(config.token_secret) if config.token_secret else None
        return WebhookChannel(str(config.url), token=token, timeout_seconds=config.timeout_seconds)
    raise TypeError(f"no adapter for {config!r}")


def _secret(block_name: str) -> str:
    from prefect.blocks.system import (
        Secret,  # Prefect blocks keep channel credentials out of YAML
    )

    return str(Secret.load(block_name).get())
