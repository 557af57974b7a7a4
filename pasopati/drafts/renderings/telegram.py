"""Telegram channel messages in MarkdownV2 (Bot API sendMessage, parse_mode "MarkdownV2").

Rules from https://core.telegram.org/bots/api#markdownv2-style: outside entities every
one of ``_*[]()~`>#+-=|{}.!`` and the backslash must be escaped with a preceding
backslash; inside the (...) part of an inline link only ")" and "\\" are escaped.
sendMessage takes 1-4096 characters "after entities parsing"; each message here keeps its
escaped text within 4096 UTF-16 code units (how Telegram counts), which is stricter.
"""

from __future__ import annotations

import re

from pasopati.drafts.renderings.kinds import is_english
from pasopati.drafts.renderings.model import Format, Parts, Rendering
from pasopati.drafts.renderings.text import pack, split_to_fit, utf16_length

TELEGRAM_LIMIT = 4096
_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
_BLOCK_SEPARATOR = "\n\n"

# A segment is (wrapper, raw text): "*" bold, "_" italic, "" plain.
Segment = tuple[str, str]


def escape(text: str) -> str:
    """Text escaped for MarkdownV2 outside entities."""
    return _SPECIAL.sub(r"\\\1", text)


def escape_link_target(url: str) -> str:
    """A URL escaped for the (...) part of an inline link."""
    return url.replace("\\", "\\\\").replace(")", "\\)")


def _cost(raw: str) -> int:
    return utf16_length(escape(raw))


def render_telegram(parts: Parts, *, language: str, link: str) -> Rendering:
    """Kind (italic), bold title, lead and paragraphs, sections with bold labels, the
    signature, then the link; split at blocks, then lines, sentences, words."""
    pieces = [piece for block in _blocks(parts, language) for piece in _rendered(block)]
    messages = pack(pieces, _BLOCK_SEPARATOR, utf16_length, TELEGRAM_LIMIT)
    inline_link = f"[{escape(link)}]({escape_link_target(link)})"
    last = f"{messages[-1]}{_BLOCK_SEPARATOR}{inline_link}" if messages else ""
    if messages and utf16_length(last) <= TELEGRAM_LIMIT:
        messages[-1] = last
    else:
        messages.append(inline_link)
    return Rendering(Format.TELEGRAM, text=messages[0], messages=tuple(messages))


def _blocks(parts: Parts, language: str) -> list[list[Segment]]:
    lead = f"{parts.dateline} — {parts.lead}" if parts.dateline else parts.lead
    number_label = "Number" if is_english(language) else "Nomor"
    number = f"{number_label}: {parts.number}" if parts.number else ""
    blocks = [
        [("_", parts.kind), ("", number)],
        [("*", parts.title)],
        [("", lead)],
        *([("", paragraph)] for paragraph in parts.paragraphs),
        *([("*", f"{label}:"), ("", content)] for label, content in parts.sections),
        [("", "\n".join(parts.signature))],
    ]
    kept = [[(w, raw) for w, raw in block if raw.strip()] for block in blocks]
    return [block for block in kept if block]


def _segment(wrapper: str, raw: str) -> str:
    return f"{wrapper}{escape(raw)}{wrapper}"


def _rendered(block: list[Segment]) -> list[str]:
    """A block as one piece if it fits in a message; else each segment, split to fit
    (an entity is closed in every piece, so no piece depends on another)."""
    whole = "\n".join(_segment(w, raw) for w, raw in block)
    if utf16_length(whole) <= TELEGRAM_LIMIT:
        return [whole]
    pieces = []
    for wrapper, raw in block:
        room = TELEGRAM_LIMIT - 2 * len(wrapper)
        pieces += [_segment(wrapper, s) for s in split_to_fit(raw, _cost, room)]
    return pieces
