"""Channel adapters against real endpoints: a local HTTP server and the filesystem."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pasopati.plan.channels import WebhookConfig
from pasopati.publications.channels import ChannelError, OutgoingMessage
from pasopati.publications.channels.outbox import OutboxChannel
from pasopati.publications.channels.webhook import WebhookChannel
from tests.channel_api import ChannelAPI


def message(key: str = "k1") -> OutgoingMessage:
    return OutgoingMessage(
        idempotency_key=key, channel="medsos-ditjenpas", incident_id="inc-1", message_type="press_release", language="id", body="Isi pesan", text="Isi pesan"
    )


def hook(url: str, timeout_seconds: float = 10) -> WebhookChannel:
    return WebhookChannel("medsos-ditjenpas", WebhookConfig(title="Uji", adapter="webhook", url=url, timeout_seconds=timeout_seconds))  # type: ignore[arg-type]


def test_webhook_posts_json_with_idempotency_key(channel_api: ChannelAPI) -> None:
    receipt = hook(channel_api.url).publish(message("key-webhook-1"))
    got = [r for r in channel_api.received if r["key"] == "key-webhook-1"]
    assert len(got) == 1 and got[0]["body"] == "Isi pesan" and got[0]["channel"] == "medsos-ditjenpas"
    assert receipt.location.startswith(channel_api.url + "/")


def test_webhook_down_raises_channel_error(channel_api: ChannelAPI) -> None:
    channel_api.down = True
    try:
        with pytest.raises(ChannelError, match="answered 503: maintenance"):
            hook(channel_api.url).publish(message("key-down"))
    finally:
        channel_api.down = False
    assert not [r for r in channel_api.received if r["key"] == "key-down"]


def test_webhook_unreachable_raises_channel_error() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ChannelError, match="cannot connect"):
        hook(f"http://127.0.0.1:{port}/posts", timeout_seconds=2).publish(message())


def test_outbox_writes_once(tmp_path: Path) -> None:
    outbox = OutboxChannel(tmp_path)
    first = outbox.publish(message("same"))
    second = outbox.publish(message("same").model_copy(update={"body": "other"}))
    assert not first.already_published and second.already_published
    assert Path(first.location).read_text() == "Isi pesan"
    assert len(list(tmp_path.rglob("*.txt"))) == 1
