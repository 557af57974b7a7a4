"""`limit_problems`: whether a rendering is within every limit of its format.

Used by the tests and by the pre-publish check; each reason names the limit and its
source (see the constants' comments in the format's module).
"""

from __future__ import annotations

import re

from twitter_text import parse_tweet

from pasopati.drafts.renderings.model import Format, Rendering
from pasopati.drafts.renderings.render import TEMPLATE_NAME
from pasopati.drafts.renderings.social import (
    FACEBOOK_LIMIT,
    WHATSAPP_PARAMETERS_LIMIT,
    X_LIMIT,
)
from pasopati.drafts.renderings.telegram import TELEGRAM_LIMIT
from pasopati.drafts.renderings.text import utf16_length
from pasopati.drafts.renderings.web import SUBJECT_LIMIT

_LINE_BREAK = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_FIVE_SPACES = re.compile(" {5,}")


def limit_problems(rendering: Rendering) -> list[str]:
    """[] when ``rendering`` is within every limit of its format; else the reasons."""
    check = _CHECKS.get(rendering.format)
    return check(rendering) if check else []


def _x(r: Rendering) -> list[str]:
    parsed = parse_tweet(r.text)
    problems = []
    if parsed.weightedLength > X_LIMIT:
        problems.append(
            f"X post is {parsed.weightedLength} weighted characters, over {X_LIMIT}"
        )
    if parsed.weightedLength == 0:
        problems.append("X post is empty")
    elif not parsed.valid and parsed.weightedLength <= X_LIMIT:
        problems.append(
            "X post contains a character X refuses (U+FEFF, U+FFFE, U+FFFF)"
        )
    return problems


def _telegram(r: Rendering) -> list[str]:
    if not r.messages:
        return ["Telegram rendering has no message"]
    problems = []
    if r.text != r.messages[0]:
        problems.append("Telegram text is not the first message")
    for i, message in enumerate(r.messages, 1):
        size = utf16_length(message)
        if not 1 <= size <= TELEGRAM_LIMIT:
            problems.append(
                f"Telegram message {i} is {size} characters, not 1-{TELEGRAM_LIMIT}"
            )
    return problems


def _whatsapp(r: Rendering) -> list[str]:
    problems = []
    if not TEMPLATE_NAME.fullmatch(r.template or ""):
        problems.append(f"WhatsApp template name is not valid: {r.template!r}")
    if not r.parameters:
        problems.append("WhatsApp rendering has no parameter")
    for i, parameter in enumerate(r.parameters, 1):
        if not parameter.strip():
            problems.append(f"WhatsApp parameter {i} is empty")
        if "\t" in parameter or _LINE_BREAK.search(parameter):
            problems.append(f"WhatsApp parameter {i} contains a newline or a tab")
        if _FIVE_SPACES.search(parameter):
            problems.append(
                f"WhatsApp parameter {i} has more than 4 consecutive spaces"
            )
    total = sum(utf16_length(p) for p in r.parameters)
    if total > WHATSAPP_PARAMETERS_LIMIT:
        problems.append(
            f"WhatsApp parameters total {total} characters,"
            f" over {WHATSAPP_PARAMETERS_LIMIT}"
        )
    return problems


def _email(r: Rendering) -> list[str]:
    problems = []
    if r.subject is None:
        problems.append("e-mail has no subject")
    elif _LINE_BREAK.search(r.subject):
        problems.append("e-mail subject contains a line break")
    elif len(r.subject) > SUBJECT_LIMIT:
        problems.append(
            f"e-mail subject is {len(r.subject)} characters, over {SUBJECT_LIMIT}"
        )
    if not r.html:
        problems.append("e-mail has no HTML part")
    return problems


def _website(r: Rendering) -> list[str]:
    problems = []
    if r.title is None or _LINE_BREAK.search(r.title):
        problems.append("website post title is missing or not one line")
    if r.html is None:
        problems.append("website post has no HTML")
    return problems


def _facebook(r: Rendering) -> list[str]:
    size = utf16_length(r.text)
    if size > FACEBOOK_LIMIT:
        return [f"Facebook post is {size} characters, over {FACEBOOK_LIMIT}"]
    return []


_CHECKS = {
    Format.X: _x,
    Format.TELEGRAM: _telegram,
    Format.WHATSAPP: _whatsapp,
    Format.EMAIL: _email,
    Format.WEBSITE: _website,
    Format.FACEBOOK: _facebook,
}
