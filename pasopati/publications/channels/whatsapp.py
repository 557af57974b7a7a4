"""WhatsApp channel: the Cloud API sends the approved message template to one number per call.

Request (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages)::

    POST {graph_base}/{phone_number_id}/messages        Authorization: Bearer <token>
    {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "6281234567890",
     "type": "template",
     "template": {"name": <config.template>, "language": {"code": <config.template_language>},
                  "components": [{"type": "body", "parameters": [{"type": "text", "text": p}, …]}]},
     "context": {"message_id": "wamid…"}}              # a correction/update: quotes the earlier message

Answer: ``{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}``.
Error: ``{"error": {"message", "type", "code", "error_data": {"details"}, "error_subcode", "fbtrace_id"}}``.

Outcomes follow Meta's ``code`` (Meta advises building on it, not on HTTP statuses), from
"WhatsApp error codes" (https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes):
``RETRYABLE`` (throughput, pair rate, account and app rate limits, temporary errors) and HTTP 5xx →
Unavailable (504 → Uncertain); every other code (131026 undeliverable, 131051 unsupported type,
132000/132001/132018 template parameters or name, 190 token, 100 invalid parameter, 470 …) →
Refused with Meta's message and details; a timeout or dropped connection → Uncertain.

The template's parameters are checked before sending (Meta error 132018: no newline, tab or more
than 4 consecutive spaces; a body of at most 1 024 characters): ``renderings.social`` already
flattens them to one line within 824 together, so a failure here means a rendering from elsewhere.

There is no lookup (``find``) — the Cloud API cannot list sent messages; their status arrives by
webhook, which PASOPATI does not receive — and no retraction: a delivered message cannot be deleted.
Receipts: ``wa:+6281234567890/wamid…``, ``remote_id`` the wamid.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests

from pasopati.drafts.renderings.text import utf16_length
from pasopati.plan.channels import WhatsAppConfig
from pasopati.publications.channels.api import (
    call,
    json_of,
    pooled_session,
    retry_after,
)
from pasopati.publications.channels.base import (
    LookupUnsupported,
    OutgoingMessage,
    Receipt,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.recipients import read_list
from pasopati.publications.channels.secrets import secret
from pasopati.settings import Settings

# Meta's codes worth repeating later, with the wait Meta documents where it names one.
RETRYABLE: dict[int, float | None] = {
    1: None,  # API Unknown: invalid request or possible server error
    2: None,  # API Service: temporary downtime or overload
    4: None,  # API Too Many Calls: the app's call rate limit
    80007: None,  # Rate limit issues: the WhatsApp Business Account's limit
    130429: 1.0,  # Rate limit hit: the number's throughput (80 messages/s by default)
    131000: None,  # Something went wrong (Meta: try again)
    131016: None,  # Service unavailable
    131048: None,  # Spam rate limit hit: lifts as the number's quality recovers
    131056: 6.0,  # (Business, Consumer) pair rate limit: about one message per 6 s to one number
    131057: None,  # Account in maintenance mode
    133004: None,  # Server temporarily unavailable
}
_HINTS = {
    0: "the access token is not valid: renew the secret {secret!r}",
    190: "the access token expired or was revoked: renew the secret {secret!r}",
    131026: "the number cannot receive WhatsApp messages (not on WhatsApp, old app, or terms not accepted)",
    132000: "the rendering's parameters do not match template {template!r}",
    132001: "template {template!r} does not exist in language {language!r} or is not approved",
}
NUMBER = re.compile(r"^\+?[1-9][0-9]{7,14}$")  # E.164, as WhatsAppConfig.recipients checks
PARAMETER_LIMIT = 1024  # Meta: a template body is at most 1 024 characters
_LINE_BREAK = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]")
_FIVE_SPACES = re.compile(" {5,}")
# Every 4xx answer but 408 carries Meta's JSON error, read here (5xx, 408: api.call's classification).
_READ_OURSELVES = frozenset(range(400, 500)) - {408}


class WhatsAppChannel:
    """One WhatsApp Business number (``phone_number_id``) sending one approved template."""

    def __init__(self, name: str, config: WhatsAppConfig, channels_file: Path, session: requests.Session | None = None) -> None:
        self.name, self.config, self.channels_file = name, config, channels_file
        self.session = session or requests.Session()
        self.url = f"{str(config.graph_base).rstrip('/')}/{config.phone_number_id}/messages"

    def recipients(self) -> list[str]:
        """``config.recipients`` then the numbers in ``recipients_file`` (a YAML list, relative to
        ``channels.yaml``), as ``+<digits>``, each once, in order. Refused when the file cannot be
        read, is not a list, holds an entry that is not a number, or when there is no number at all."""
        entries: list[tuple[str, object]] = [(f"{self.name}: recipients", number) for number in self.config.recipients]
        if self.config.recipients_file is not None:
            path = self.channels_file.parent / self.config.recipients_file
            entries += [(f"{self.name}: {path}, entry {i}", entry) for i, entry in enumerate(read_list(self.name, path, "numbers"), 1)]
        numbers: dict[str, None] = {}
        for where, entry in entries:
            text = str(entry).strip() if isinstance(entry, (str, int)) and not isinstance(entry, bool) else ""
            if not NUMBER.fullmatch(text):
                raise Refused(f"{where} ({entry!r}) is not a phone number in international form (+62…)")
            numbers.setdefault("+" + text.lstrip("+"), None)
        if not numbers:
            raise Refused(f"{self.name}: no recipient: set recipients or recipients_file in channels.yaml")
        return list(numbers)

    def find(self, message: OutgoingMessage) -> Receipt | None:
        """Always raises LookupUnsupported: the Cloud API has no way to list or search sent messages
        (a message's fate arrives later by status webhook, which PASOPATI does not receive)."""
        raise LookupUnsupported(f"{self.name}: the WhatsApp Cloud API cannot look up a sent message")

    def retract(self, reference: Reference) -> None:
        """Always Refused: the Cloud API cannot delete a message once delivered."""
        raise Refused(f"{self.name}: the WhatsApp Cloud API cannot delete a delivered message ({reference.location})")

    def publish(self, message: OutgoingMessage) -> Receipt:
        """One template message to ``message.recipient``. A correction or update quotes the earlier
        message (``context``) when its reference is this number's; ``retract_reference`` becomes a
        note (WhatsApp cannot delete)."""
        number = message.recipient.strip()
        if not NUMBER.fullmatch(number):
            raise Refused(f"{self.name}: {message.recipient!r} is not a phone number in international form (+62…)")
        digits = number.lstrip("+")
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": digits, "type": "template",
            "template": {"name": self.config.template, "language": {"code": self.config.template_language},
                         "components": [{"type": "body", "parameters": [{"type": "text", "text": p} for p in self._parameters(message)]}]},
        }
        notes: list[str] = []
        if (reference := message.reference) is not None:
            if reference.remote_id and reference.location.startswith(f"wa:+{digits}/"):
                payload["context"] = {"message_id": reference.remote_id}
            else:
                notes.append(f"not linked to the earlier message {reference.location}: not a message to +{digits}")
            if message.retract_reference:
                notes.append(f"the earlier message {reference.location} stays: WhatsApp cannot delete a delivered message")
        wamid = self._send(payload)
        return Receipt(location=f"wa:+{digits}/{wamid}", remote_id=wamid, note="; ".join(notes) or None)

    def _parameters(self, message: OutgoingMessage) -> list[str]:
        """The rendering's body parameters, or Refused naming what Meta would refuse. The template's
        name and language are the channel's (``config``), whatever name the rendering carries: the
        parameters do not depend on it, and Meta refuses a count that does not fit (132000)."""
        parameters = message.rendering.get("parameters")
        if not isinstance(parameters, list) or not parameters or not all(isinstance(p, str) for p in parameters):
            raise Refused(f"{self.name}: the rendering has no template parameters (a list of texts): {parameters!r}")
        problems = [problem for i, p in enumerate(parameters, 1) for problem in _problems(i, p)]
        if (total := sum(utf16_length(p) for p in parameters)) > PARAMETER_LIMIT:
            problems.append(f"the parameters total {total} characters, over the template body's {PARAMETER_LIMIT}")
        if problems:
            raise Refused(f"{self.name}: WhatsApp would refuse the template parameters: {'; '.join(problems)}")
        return parameters

    def _send(self, payload: dict[str, Any]) -> str:
        token = secret(self.config.token_secret, what=self.name)
        response = call(self.session, "POST", self.url, what=self.name, timeout=self.config.timeout_seconds,
                        accept=_READ_OURSELVES, json=payload, headers={"Authorization": f"Bearer {token}"})
        if response.status_code >= 400:
            raise self._error(response)
        body = json_of(response, what=self.name)
        messages = body.get("messages") if isinstance(body, dict) else None
        wamid = messages[0].get("id") if isinstance(messages, list) and messages and isinstance(messages[0], dict) else None
        if not isinstance(wamid, str) or not wamid:
            raise Uncertain(f"{self.name}: {self.url} answered {response.status_code} without a message id: {response.text[:200]!r}")
        return wamid

    def _error(self, response: requests.Response) -> Refused | Unavailable:
        status = response.status_code
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            error = None
        if not isinstance(error, dict):
            detail = f"{self.name}: {self.url} answered {status}: {response.text[:200]!r}"
            return Unavailable(detail, retry_after(response.headers)) if status == 429 else Refused(detail)
        raw = error.get("code")
        code = int(raw) if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()) else -1  # resellers send a string
        details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
        detail = f"{self.name}: WhatsApp answered {status}, code {raw}: {error.get('message', '')}" + (f" ({details})" if details else "")
        if code in RETRYABLE or status == 429:
            return Unavailable(detail, retry_after(response.headers) or RETRYABLE.get(code))
        if hint := _HINTS.get(code):
            detail += ": " + hint.format(secret=self.config.token_secret, template=self.config.template, language=self.config.template_language)
        return Refused(detail)


def _problems(i: int, parameter: str) -> list[str]:
    found = []
    if not parameter.strip():
        found.append(f"parameter {i} is empty")
    if _LINE_BREAK.search(parameter):
        found.append(f"parameter {i} contains a newline or a tab")
    if _FIVE_SPACES.search(parameter):
        found.append(f"parameter {i} has more than 4 consecutive spaces")
    if utf16_length(parameter) > PARAMETER_LIMIT:
        found.append(f"parameter {i} is over {PARAMETER_LIMIT} characters")
    return found


def adapter(name: str, config: WhatsAppConfig, settings: Settings) -> WhatsAppChannel:
    """``channels.adapter_for``'s entry point: recipient files are relative to ``settings.channels_file``."""
    if not isinstance(config, WhatsAppConfig):
        raise TypeError(f"{name}: not a WhatsApp channel configuration: {type(config).__name__}")
    return WhatsAppChannel(name, config, settings.channels_file, session=pooled_session(settings.publish_parallel))
