"""Generic webhook channel: POST the message as JSON to a configured URL, with its
``Idempotency-Key``. A receiver that de-duplicates on the key (``deduplicates: true``) may be sent
a post again when an answer was lost; for any other, a lost answer is ambiguous (no lookup)."""

from __future__ import annotations

import requests

from pasopati.plan.channels import WebhookConfig
from pasopati.publications.channels.api import call
from pasopati.publications.channels.base import (
    LookupUnsupported,
    OutgoingMessage,
    Receipt,
)
from pasopati.publications.channels.secrets import secret


class WebhookChannel:
    def __init__(self, name: str, config: WebhookConfig):
        self.name, self.config = name, config
        self.session = requests.Session()

    def recipients(self) -> list[str]:
        return [""]

    def find(self, message: OutgoingMessage) -> Receipt | None:
        if self.config.deduplicates:
            return None  # the receiver drops a second copy with the same key: sending again is safe
        raise LookupUnsupported(f"{self.name}: a webhook cannot be asked whether it received a post")

    def publish(self, message: OutgoingMessage) -> Receipt:
        url = str(self.config.url)
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.config.token_secret:
            headers["Authorization"] = f"Bearer {secret(self.config.token_secret, what=self.name)}"
        response = call(self.session, "POST", url, what=self.name, timeout=self.config.timeout_seconds,
                        json=message.model_dump(mode="json"), headers=headers, accept=frozenset({409}))
        if response.status_code == 409:  # the receiver already holds this key: the earlier attempt arrived
            return Receipt(location=response.headers.get("Location", url), already_published=True)
        return Receipt(location=response.headers.get("Location", url), remote_id=response.headers.get("X-Request-Id"))
