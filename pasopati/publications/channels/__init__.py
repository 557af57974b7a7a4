"""Channel adapters: pick the adapter a logical channel is configured with (``channels.yaml``)."""

from __future__ import annotations

from pasopati.plan.channels import ChannelConfig, OutboxConfig, WebhookConfig
from pasopati.publications.channels.base import (
    Channel,
    ChannelError,
    LookupUnsupported,
    OutgoingMessage,
    Receipt,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.settings import Settings

__all__ = [
    "Channel",
    "ChannelError",
    "LookupUnsupported",
    "OutgoingMessage",
    "Receipt",
    "Reference",
    "Refused",
    "Unavailable",
    "Uncertain",
    "adapter_for",
]


# adapter id in channels.yaml → module beside this one ("smtp", not "email": no stdlib shadowing).
_MODULES = {"wordpress": "wordpress", "x": "x", "facebook": "facebook", "telegram": "telegram", "whatsapp": "whatsapp", "email": "smtp"}


def adapter_for(name: str, config: ChannelConfig, settings: Settings) -> Channel:
    """The adapter for channel ``name``. Imports only the adapter it needs (each is one module)."""
    if isinstance(config, OutboxConfig):
        from pasopati.publications.channels.outbox import OutboxChannel

        return OutboxChannel(settings.outbox)
    if isinstance(config, WebhookConfig):
        from pasopati.publications.channels.webhook import WebhookChannel

        return WebhookChannel(name, config)
    from importlib import import_module

    module = import_module(f"pasopati.publications.channels.{_MODULES[config.adapter]}")
    return module.adapter(name, config, settings)  # type: ignore[no-any-return]
