"""Which adapter carries each logical channel named in the runbooks (``runbooks/channels.yaml``).

Base URLs, ids and recipient lists live here; credentials never do: a ``*_secret`` field names a
Prefect Secret block (or the environment variable ``PASOPATI_SECRET_<NAME>``, see
``pasopati.publications.channels.secrets``). The embedded default carries every channel on the
outbox, so a fresh installation reaches nothing beyond the machine.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, field_validator, model_validator

from pasopati.plan.runbook import Slug, Strict

# How a channel renders an approved message (pasopati.drafts.renderings.Format): one approved text,
# many renderings (X ≤ 280, Telegram MarkdownV2 ≤ 4 096, WhatsApp template parameters, e-mail, website).
ChannelFormat = Literal["text", "x", "telegram", "whatsapp", "email", "website", "facebook"]
SecretName = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", description="A Prefect Secret block name.")]
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_WHATSAPP_NUMBER = re.compile(r"^\+?[1-9][0-9]{7,14}$")  # E.164: at most 15 digits, country code first


class _Channel(Strict):
    title: str
    format: ChannelFormat = "text"
    timeout_seconds: float = Field(10.0, gt=0, le=300, description="Per HTTP call or SMTP conversation.")
    concurrency: int = Field(
        1, ge=1, le=64,
        description="Runs publishing on this channel at once (a Prefect global concurrency limit, kanal-<channel>);"
        " within a run, one message after another on a channel.",
    )
    rate_per_second: float | None = Field(None, gt=0, description="At most this many sends per second (per recipient list).")


class OutboxConfig(_Channel):
    adapter: Literal["outbox"] = "outbox"


class WebhookConfig(_Channel):
    adapter: Literal["webhook"]
    url: AnyHttpUrl
    token_secret: SecretName | None = Field(None, description="Secret block holding a bearer token.")
    deduplicates: bool = Field(
        False, description="The receiver de-duplicates on Idempotency-Key, so a post whose answer was lost may be sent again."
    )


class WordPressConfig(_Channel):
    """WordPress REST API (``/wp-json/wp/v2/posts``) with an application password (WordPress ≥ 5.6)."""

    adapter: Literal["wordpress"]
    format: ChannelFormat = "website"
    base_url: AnyHttpUrl = Field(description="The site's address, e.g. https://www.ditjenpas.go.id")
    username: str
    password_secret: SecretName = Field(description="Secret block holding the user's application password.")
    status: Literal["publish", "draft", "pending"] = "publish"
    categories: list[int] = Field(default_factory=list)


class XConfig(_Channel):
    """X API v2 ``POST /2/tweets`` with an OAuth 2.0 user-context token."""

    adapter: Literal["x"]
    format: ChannelFormat = "x"
    api_base: AnyHttpUrl = Field(description="https://api.x.com (or https://api.twitter.com)")
    user_id: str = Field(pattern=r"^[0-9]{1,20}$", description="The account's numeric id: its own posts are searched after a lost answer.")
    token_secret: SecretName


class FacebookConfig(_Channel):
    """Graph API ``/{page-id}/feed`` with a Page access token."""

    adapter: Literal["facebook"]
    format: ChannelFormat = "facebook"
    graph_base: AnyHttpUrl = Field(description="https://graph.facebook.com/v21.0")
    page_id: str = Field(pattern=r"^[0-9]{1,20}$")
    token_secret: SecretName


class TelegramConfig(_Channel):
    """Bot API ``sendMessage`` to a channel the bot administers."""

    adapter: Literal["telegram"]
    format: ChannelFormat = "telegram"
    api_base: AnyHttpUrl = Field(description="https://api.telegram.org")
    chat_id: str = Field(pattern=r"^(@[A-Za-z][A-Za-z0-9_]{4,31}|-?[0-9]{1,20})$", description="@channelname or its numeric id.")
    token_secret: SecretName


class _List(_Channel):
    recipients: list[str] = Field(default_factory=list)
    recipients_file: Path | None = Field(None, description="YAML list of recipients, relative to channels.yaml.")


class WhatsAppConfig(_List):
    """WhatsApp Cloud API ``/{phone-number-id}/messages`` with an approved message template."""

    adapter: Literal["whatsapp"]
    format: ChannelFormat = "whatsapp"
    graph_base: AnyHttpUrl = Field(description="https://graph.facebook.com/v21.0")
    phone_number_id: str = Field(pattern=r"^[0-9]{1,20}$")
    token_secret: SecretName
    template: str = Field("pernyataan_resmi", pattern=r"^[a-z0-9_]{1,512}$", description="The approved template's name.")
    template_language: str = Field("id", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")
    rate_per_second: float | None = Field(80, gt=0, description="Cloud API default throughput: 80 messages/s per number.")

    @field_validator("recipients")
    @classmethod
    def _numbers(cls, value: list[str]) -> list[str]:
        for number in value:
            if not _WHATSAPP_NUMBER.fullmatch(number):
                raise ValueError(f"{number!r} is not a phone number in international form (+62…)")
        return value


class EmailConfig(_List):
    """SMTP to a distribution list: one message per recipient (per-recipient results), text + HTML."""

    adapter: Literal["email"]
    format: ChannelFormat = "email"
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_secret: SecretName | None = None
    sender: str = Field(description="From: address, e.g. humas@ditjenpas.go.id")
    reply_to: str | None = None

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _EMAIL.fullmatch(address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _no_password_in_clear(self) -> EmailConfig:
        # A login over an unencrypted connection gives the password to anyone on the path; only a
        # relay on this machine (loopback) may take one without TLS.
        if self.security == "none" and (self.username or self.password_secret) and not _loopback(self.host):
            raise ValueError(f"security: none would send the login in clear to {self.host}: use starttls or tls"
                             " (only a relay on this machine, 127.0.0.1 or localhost, may take a login without TLS)")
        return self


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


ChannelConfig = Annotated[
    OutboxConfig | WebhookConfig | WordPressConfig | XConfig | FacebookConfig | TelegramConfig | WhatsAppConfig | EmailConfig,
    Field(discriminator="adapter"),
]


class ChannelsConfig(Strict):
    channels: dict[Slug, ChannelConfig]
    statement_url: str = Field(
        "https://www.ditjenpas.go.id/pernyataan/{message}",
        description="Where the full statement is published; '{message}' is the message id. Short renderings link to it.",
    )
