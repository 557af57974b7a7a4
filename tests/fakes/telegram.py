"""A fake Telegram Bot API (https://core.telegram.org/bots/api) for one channel: ``sendMessage``
and ``deleteMessage`` with the Bot API's shapes and the checks that matter to a publisher.

- ``POST /bot<token>/sendMessage`` JSON ``{chat_id, text, parse_mode, link_preview_options,
  reply_parameters}`` → ``{"ok": true, "result": Message}``; ``POST /bot<token>/deleteMessage``
  ``{chat_id, message_id}`` → ``{"ok": true, "result": true}``.
- Errors as the Bot API answers them: ``{"ok": false, "error_code", "description", "parameters"}``:
  401 "Unauthorized" (wrong token), 400 "Bad Request: chat not found", 403 "Forbidden: bot is not
  a member of the channel chat", 400 "Bad Request: can't parse entities: …" (MarkdownV2, see
  ``parse_markdown_v2``), 400 "Bad Request: message is too long" (over 4 096 UTF-16 code units
  after entity parsing), 400 "Bad Request: message to be replied not found", 400 "Bad Request:
  message to delete not found" / "message can't be deleted" (older than 48 hours), 429 "Too Many
  Requests: retry after N" with ``parameters.retry_after`` (queued with ``flood``).

``posts`` holds every message the channel shows or showed: ``{"message_id", "text" (as sent),
"plain" (as displayed), "reply_to", "link_preview_options", "deleted"}``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakes.server import Answer, FakeAPI, Fault, Request

LIMIT = 4096
RESERVED = set("_*[]()~`>#+-=|{}.!")
CHANNEL_ID = -1001234567890


class ParseError(ValueError):
    """The Bot API's "can't parse entities" reasons."""


def parse_markdown_v2(text: str) -> str:
    """The text Telegram displays for ``text`` in MarkdownV2, or ParseError as the Bot API words it.

    Covers https://core.telegram.org/bots/api#markdownv2-style: ``\\`` escapes any character 1-126;
    ``*bold*``, ``_italic_``, ``__underline__``, ``~strike~``, ``||spoiler||`` nest properly;
    ```` `code` ```` and ```` ```pre``` ```` take everything but ``` ` ``` and ``\\`` literally;
    ``[text](url)`` escapes only ``)`` and ``\\`` in its url; ``>`` starts a quote at a line's start.
    Any other reserved character outside these must be escaped."""
    shown: list[str] = []
    open_: list[tuple[str, int]] = []  # (marker, byte offset)
    i, n = 0, len(text)

    def offset(at: int) -> int:
        return len(text[:at].encode("utf-8"))

    while i < n:
        c = text[i]
        if c == "\\":
            if i + 1 >= n or not 1 <= ord(text[i + 1]) <= 126:
                raise ParseError(f"Character '\\' is reserved and must be escaped with the preceding '\\' at byte offset {offset(i)}")
            shown.append(text[i + 1])
            i += 2
        elif c == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _closing(text, i + len(fence), fence)
            if end < 0:
                raise ParseError(f"Can't find end of {'Pre' if len(fence) == 3 else 'Code'} entity at byte offset {offset(i)}")
            shown.append(re.sub(r"\\([`\\])", r"\1", text[i + len(fence):end]))
            i = end + len(fence)
        elif c == "[":
            open_.append(("[", offset(i)))
            i += 1
        elif c == "]":
            if not open_ or open_[-1][0] != "[":
                raise ParseError(f"Character ']' is reserved and must be escaped with the preceding '\\' at byte offset {offset(i)}")
            if text[i + 1:i + 2] != "(":
                raise ParseError(f"Character ']' is reserved and must be escaped with the preceding '\\' at byte offset {offset(i)}")
            end = _closing(text, i + 2, ")")
            if end < 0:
                raise ParseError(f"Can't find end of a url at byte offset {offset(i + 1)}")
            open_.pop()
            i = end + 1
        elif c in "*~" or (c == "_") or (c == "|" and text[i + 1:i + 2] == "|"):
            marker = "__" if text.startswith("__", i) else "||" if c == "|" else c
            if open_ and open_[-1][0] == marker:
                open_.pop()
            elif any(m == marker for m, _ in open_):
                raise ParseError(f"Can't find end of {_NAMES[open_[-1][0]]} entity at byte offset {open_[-1][1]}")
            else:
                open_.append((marker, offset(i)))
            i += len(marker)
        elif c == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # a block quote: the marker is not shown
        elif c in RESERVED:
            raise ParseError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        else:
            shown.append(c)
            i += 1
    if open_:
        marker, at = open_[-1]
        raise ParseError(f"Can't find end of {_NAMES[marker]} entity at byte offset {at}")
    return "".join(shown)


_NAMES = {"*": "Bold", "_": "Italic", "__": "Underline", "~": "Strikethrough", "||": "Spoiler", "[": "TextUrl"}


def _closing(text: str, start: int, marker: str) -> int:
    """Index of the first unescaped ``marker`` from ``start``; -1 if none."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(marker, i):
            return i
        else:
            i += 1
    return -1


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def error(code: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, body)


class FakeTelegram(FakeAPI):
    """One bot (``token``) administering one channel (``username``, numeric ``chat_id``).

    Switches a test may flip: ``member`` (False: 403, the bot was removed or is no admin),
    ``deletable`` (False: every delete is "message can't be deleted", as after 48 hours)."""

    def __init__(self, token: str, username: str | None = "ditjenpas_info", chat_id: int = CHANNEL_ID) -> None:
        super().__init__()
        self.token, self.username, self.chat_id = token, username, chat_id
        self.reset()
        self.route("POST", r"/bot(?P<token>[^/]*)/sendMessage", self._send)
        self.route("POST", r"/bot(?P<token>[^/]*)/deleteMessage", self._delete)
        self.route("POST", r"/.*", lambda request, match: error(404, "Not Found"))

    def reset(self) -> None:
        """Forget every post, request and queued fault; switches back on (one server, many tests)."""
        with self.lock:
            self.posts.clear()
            self.requests.clear()
            self.faults.clear()
        self.member = True
        self.deletable = True
        self._next_id = 100

    def flood(self, retry_after: int, method: str = "sendMessage") -> None:
        """The next call of ``method`` answers 429 with ``parameters.retry_after`` (no header, as Telegram)."""
        body = {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after}}
        self.fail_next(Fault.status_(429, body=body, path=method))

    def visible(self) -> list[dict[str, Any]]:
        with self.lock:
            return [p for p in self.posts if not p["deleted"]]

    # --- handlers -------------------------------------------------------------------------------
    def _check(self, request: Request, match: re.Match[str]) -> tuple[dict[str, Any], Answer | None]:
        if match["token"] != self.token:
            return {}, error(401, "Unauthorized")
        try:
            params = request.params()
        except ValueError:
            return {}, error(400, "Bad Request: invalid JSON")
        if str(params.get("chat_id")) not in {str(self.chat_id), f"@{self.username}" if self.username else ""}:
            return params, error(400, "Bad Request: chat not found")
        if not self.member:
            return params, error(403, "Forbidden: bot is not a member of the channel chat")
        return params, None

    def _send(self, request: Request, match: re.Match[str]) -> Answer:
        params, refusal = self._check(request, match)
        if refusal:
            return refusal
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return error(400, "Bad Request: message text is empty")
        plain = text
        if params.get("parse_mode") == "MarkdownV2":
            try:
                plain = parse_markdown_v2(text)
            except ParseError as exc:
                return error(400, f"Bad Request: can't parse entities: {exc}")
        if not plain.strip():
            return error(400, "Bad Request: message text is empty")
        if utf16(plain) > LIMIT:
            return error(400, "Bad Request: message is too long")
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id")
        with self.lock:
            original = next((p for p in self.posts if p["message_id"] == reply_to and not p["deleted"]), None)
            if reply_to is not None and original is None and not reply.get("allow_sending_without_reply"):
                return error(400, "Bad Request: message to be replied not found")
            self._next_id += 1
            post = {"message_id": self._next_id, "text": text, "plain": plain, "reply_to": reply_to if original else None,
                    "link_preview_options": params.get("link_preview_options"), "deleted": False, "date": int(time.time())}
            self.posts.append(post)
        chat = {"id": self.chat_id, "title": "Ditjenpas", "type": "channel", **({"username": self.username} if self.username else {})}
        result: dict[str, Any] = {"message_id": post["message_id"], "sender_chat": chat, "chat": chat, "date": post["date"], "text": plain}
        if original:
            result["reply_to_message"] = {"message_id": original["message_id"], "chat": chat, "date": original["date"], "text": original["plain"]}
        return Answer(200, {"ok": True, "result": result})

    def _delete(self, request: Request, match: re.Match[str]) -> Answer:
        params, refusal = self._check(request, match)
        if refusal:
            return refusal
        with self.lock:
            post = next((p for p in self.posts if p["message_id"] == params.get("message_id") and not p["deleted"]), None)
            if post is None:
                return error(400, "Bad Request: message to delete not found")
            if not self.deletable:
                return error(400, "Bad Request: message can't be deleted")
            post["deleted"] = True
        return Answer(200, {"ok": True, "result": True})
