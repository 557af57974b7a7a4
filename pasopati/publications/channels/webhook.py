"""Generic webhook channel: POST the message as JSON to a configured URL."""

from __future__ import annotations

import requests

from pasopati.publications.channels.base import ChannelError, OutgoingMessage, Receipt


class WebhookChannel:
    def __init__(self, url: str, token: str | None = None, timeout_seconds: float = 10.0):
        self.url = url
        self.token = token
        self.timeout_seconds = timeout_seconds

    def publish(self, message: OutgoingMessage) -> Receipt:
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = requests.post(
                self.url, json=message.model_dump(mode="json"), headers=headers, timeout=self.timeout_seconds
            )
        except requests.RequestException as exc:
            raise ChannelError(f"{message.channel}: cannot reach {self.url}: {exc}") from exc
        if response.status_code == 409:  # receiver already has this idempotency key
            return Receipt(location=self.url, already_published=True)
        if not response.ok:
            raise ChannelError(
                f"{message.channel}: {self.url} answered {response.status_code}: {response.text[:200]}"
            )
        return Receipt(location=response.headers.get("Location", self.url))
