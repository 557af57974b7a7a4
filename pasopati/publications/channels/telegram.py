"""Telegram channel: the Bot API's ``sendMessage`` to a channel the bot administers.

One delivery is one Telegram message: the sender makes one delivery per part of a long statement
(``rendering["messages"][i]``), so ``message.text`` is one MarkdownV2 part and ``publish`` makes
exactly one call.

Request (https://core.telegram.org/bots/api#sendmessage)::

    POST {api_base}/bot{token}/sendMessage
    {"chat_id": "@name" | -100…, "text": <MarkdownV2>, "parse_mode": "MarkdownV2",
     "link_preview_options": {"url": <statement link>, "prefer_small_media": true} | {"is_disabled": true},
     "reply_parameters": {"message_id": <earlier post>, "allow_sending_without_reply": true}}   # corrections/updates

Answer: ``{"ok": true, "result": {"message_id": 42, "chat": {"id", "username"?, "type"}, "date", …}}``.
Error (https://core.telegram.org/bots/api#making-requests, #responseparameters)::

    {"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}

How outcomes map (``base``): 429 → Unavailable with ``parameters.retry_after`` (the Bot API says it
in the body, not in a header); 5xx → Unavailable (504 → Uncertain, ``api.call``); 400 ("Bad
Request: can't parse entities: …", "chat not found", "message is too long"), 401 (wrong token), 403
("bot is not a member of the channel chat": not an administrator, or removed) and any other 4xx →
Refused with Telegram's description; timeout or dropped connection → Uncertain.

The bot token is part of every URL path: nothing raised here or returned contains it (``call``'s
messages name the URL, so they are redacted and raised without the chained requests error).

Receipts: ``https://t.me/{username}/{message_id}`` for a public channel (``chat_id: "@name"`` or a
numeric id whose channel has a username), ``https://t.me/c/{id without -100}/{message_id}`` for a
private channel (opens for members only), else ``tg://openmessage?chat_id=…&message_id=…`` (a
client deep link: a basic group's messages have no web address); ``remote_id`` is the message id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from requests.utils import requote_uri

from pasopati.plan.channels import TelegramConfig
from pasopati.publications.channels.api import call, is_page, retry_after
from pasopati.publications.channels.base import (
    ChannelError,
    LookupUnsupported,
    OutgoingMessage,
    Receipt,
    Reference,
    Refused,
    Unavailable,
    Uncertain,
)
from pasopati.publications.channels.secrets import secret
from pasopati.settings import Settings

# Every 4xx answer but 408 carries the Bot API's JSON error, read here (408: api.call's Unavailable).
_READ_OURSELVES = frozenset(range(400, 500)) - {408}
_HINTS = {
    401: "the bot token (secret {secret!r}) is wrong or was revoked: ask @BotFather",
    403: "make the bot an administrator of the channel with the right to post messages",
    404: "the bot token is malformed or api_base is not the Bot API",
}


class TelegramChannel:
    """One Telegram channel (``config.chat_id``) posted to by one bot."""

    def __init__(self, name: str, config: TelegramConfig, session: requests.Session | None = None) -> None:
        self.name, self.config = name, config
        self.session = session or requests.Session()
        self.base = str(config.api_base).rstrip("/")
        self.chat_id: int | str = int(config.chat_id) if config.chat_id.lstrip("-").isdigit() else config.chat_id

    def recipients(self) -> list[str]:
        return [""]

    def find(self, message: OutgoingMessage) -> Receipt | None:
        """Always raises LookupUnsupported: the Bot API cannot read a channel's history (no method
        returns a chat's earlier messages; a bot only receives updates as they happen), so after a
        lost answer nobody can tell from here whether the post exists."""
        raise LookupUnsupported(f"{self.name}: the Telegram Bot API cannot read a channel's history")

    def publish(self, message: OutgoingMessage) -> Receipt:
        """One ``sendMessage`` of ``message.text`` (MarkdownV2). A correction or update with a
        ``reference`` replies to the earlier post (still sent if that post is gone); with
        ``retract_reference`` the earlier post is then deleted, and a failed deletion only becomes
        ``Receipt.note`` (the new post is out: failing the delivery would send it again)."""
        if message.recipient:
            raise Refused(f"{self.name}: a Telegram channel has one destination ({self.config.chat_id}), not {message.recipient!r}")
        if not message.text.strip():
            raise Refused(f"{self.name}: the message text is empty")
        payload: dict[str, Any] = {"chat_id": self.chat_id, "text": message.text, "parse_mode": "MarkdownV2",
                                   "link_preview_options": _preview(message)}
        notes: list[str] = []
        earlier = _message_id(message.reference)
        if earlier is not None:
            payload["reply_parameters"] = {"message_id": earlier, "allow_sending_without_reply": True}
        elif message.reference is not None:
            notes.append(f"not linked to the earlier post {message.reference.location}: its receipt has no Telegram message id")
        receipt = self._receipt(self._call("sendMessage", payload))
        if message.retract_reference and message.reference is not None:
            try:
                self.retract(message.reference)
            except ChannelError as exc:
                notes.append(f"the earlier post {message.reference.location} was not deleted: {exc}")
        return receipt.model_copy(update={"note": "; ".join(notes) or None})

    def retract(self, reference: Reference) -> None:
        """``deleteMessage`` of an earlier post (https://core.telegram.org/bots/api#deletemessage),
        each of its messages when a long statement was sent as several (``Reference.later_parts``).

        A bot may delete its own channel posts only within 48 hours of sending them (and needs the
        right to post or delete messages); later, Telegram answers 400 "message can't be deleted".
        Every refusal (and a reference without a message id) → Refused with Telegram's description;
        429/5xx → Unavailable and a lost answer → Uncertain (deleting again is harmless: it answers
        "message to delete not found")."""
        earlier = _message_id(reference)
        if earlier is None:
            raise Refused(f"{self.name}: cannot delete {reference.location}: its receipt has no Telegram message id")
        for message_id in [earlier, *(int(m) for m in reference.later_parts if m.isdigit())]:
            self._call("deleteMessage", {"chat_id": self.chat_id, "message_id": message_id})

    # --- one Bot API call ---------------------------------------------------------------------
    def _call(self, method: str, payload: dict[str, Any]) -> Any:
        """The ``result`` of a successful call; raises the classified error, token-free."""
        token = secret(self.config.token_secret, what=self.name)
        failure: ChannelError | None
        try:
            response = call(self.session, "POST", f"{self.base}/bot{token}/{method}", what=self.name,
                            timeout=self.config.timeout_seconds, accept=_READ_OURSELVES, json=payload)
        except ChannelError as exc:
            failure = exc  # raised below, outside this block: no chained exception keeps the URL
        else:
            result, failure = self._outcome(method, response)
            if failure is None:
                return result
        raise redacted(failure, token)

    def _outcome(self, method: str, response: requests.Response) -> tuple[Any, ChannelError | None]:
        """(the result of an ``ok`` answer, None), else (None, the error to raise)."""
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            detail = f"{self.name}: Telegram {method} answered {status} with {response.headers.get('Content-Type', 'no content type')}, not the Bot API's JSON"
            if status == 429:
                return None, Unavailable(detail, retry_after(response.headers))
            # A 2xx that cannot be read may follow a sent message: unknown, never "not sent".
            # (An HTML page is a wrong api_base answering: nothing was sent — api.json_of.)
            if 200 <= status < 300 and not is_page(response):
                return None, Uncertain(f"{detail} (it may have been sent)")
            return None, Refused(detail)
        if status < 300 and body.get("ok") is True:
            return body.get("result"), None
        code = body.get("error_code", status)
        parameters = _dict(body.get("parameters"))
        detail = f"{self.name}: Telegram {method} answered {code}: {body.get('description') or 'no description'}"
        if code == 429 or status == 429:
            wait = parameters.get("retry_after")
            return None, Unavailable(detail, float(wait) if isinstance(wait, (int, float)) else retry_after(response.headers))
        if "migrate_to_chat_id" in parameters:
            return None, Refused(f"{detail} (the group became supergroup {parameters['migrate_to_chat_id']}: set chat_id to it)")
        if hint := _HINTS.get(code):
            return None, Refused(f"{detail} ({hint.format(secret=self.config.token_secret)})")
        return None, Refused(detail)

    def _receipt(self, result: Any) -> Receipt:
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            return Receipt(location=f"telegram:{self.config.chat_id}", note="Telegram accepted the post but named no message id")
        message_id = result["message_id"]
        chat = _dict(result.get("chat"))
        username = self.config.chat_id[1:] if self.config.chat_id.startswith("@") else chat.get("username")
        chat_id = str(chat.get("id", self.config.chat_id))
        if username:
            location = f"https://t.me/{username}/{message_id}"
        elif chat_id.startswith("-100"):
            location = f"https://t.me/c/{chat_id[4:]}/{message_id}"
        else:
            location = f"tg://openmessage?chat_id={chat_id}&message_id={message_id}"
        return Receipt(location=location, remote_id=str(message_id))


def redacted(error: ChannelError, token: str, mark: str = "<token>") -> ChannelError:
    """A copy of ``error`` (same class, same ``retry_after``) whose message names no ``token``, in
    any of the forms a URL may carry it, and with no chained exception."""
    text = str(error)
    # requote_uri: the form requests puts on the wire (and urllib3 in its messages): ':' kept, a
    # stray newline or space of a pasted token as %0A/%20 — else all but that character showed.
    for form in sorted({token, quote(token, safe=""), quote(token), requote_uri(token)}, key=len, reverse=True):
        if form:
            text = text.replace(form, mark)
    copy = Unavailable(text, error.retry_after) if isinstance(error, Unavailable) else type(error)(text)
    copy.__cause__ = copy.__context__ = None
    copy.__suppress_context__ = True
    return copy


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _message_id(reference: Reference | None) -> int | None:
    if reference is None or not reference.remote_id or not reference.remote_id.strip().isdigit():
        return None
    return int(reference.remote_id)


def _preview(message: OutgoingMessage) -> dict[str, Any]:
    """Preview the statement's page in the part that links to it; no preview elsewhere (so no
    other address mentioned in a statement gets a card)."""
    if message.link and message.link in message.text:
        return {"url": message.link, "prefer_small_media": True}
    return {"is_disabled": True}


def adapter(name: str, config: TelegramConfig, settings: Settings) -> TelegramChannel:
    """``channels.adapter_for``'s entry point (``settings`` is not needed here)."""
    if not isinstance(config, TelegramConfig):
        raise TypeError(f"{name}: not a Telegram channel configuration: {type(config).__name__}")
    return TelegramChannel(name, config)
