"""Short renderings: the X post, the Facebook Page post, WhatsApp template parameters."""

from __future__ import annotations

from collections.abc import Sequence

from twitter_text import parse_tweet

from pasopati.drafts.renderings.kinds import kind_label, kind_tag, labelled
from pasopati.drafts.renderings.model import Format, Parts, Rendering
from pasopati.drafts.renderings.text import (
    ELLIPSIS,
    fill,
    fit_prefix,
    flatten,
    utf16_length,
)

# X: 280 weighted characters, counted by twitter-text's v3 configuration (the library
# X publishes for clients): every URL counts 23 (t.co), code points U+0000-U+10FF and
# a few punctuation ranges count 1, everything else (CJK, emoji; also "…") counts 2.
# https://docs.x.com/fundamentals/counting-characters
X_LIMIT = 280
# No more of the lead than this is measured: it could never fit in 280.
_X_HORIZON = 4000

# Facebook: 63,206 characters per post, the long-standing limit Meta's composer applies
# (the Graph API reference states none); counted here in UTF-16 code units, stricter.
FACEBOOK_LIMIT = 63_206

# WhatsApp Cloud API: a template's body is at most 1024 characters with its parameters
# filled in (Meta, "Message templates": body, 1024 characters). The fixed template text
# is assumed to be at most 200, which leaves 824 for the parameters together.
# A body text parameter must not contain a newline or a tab or more than 4 consecutive
# spaces (Meta's error 132018: "Param text cannot have new-line/tab characters or more
# than 4 consecutive spaces"), so every parameter is flattened to one line.
WHATSAPP_TEMPLATE_TEXT = 200
WHATSAPP_PARAMETERS_LIMIT = 1024 - WHATSAPP_TEMPLATE_TEXT
_WHATSAPP_FIRST = 200  # room for parameter 1, kind and title


def x_length(text: str) -> int:
    """A post's length as X counts it (twitter-text weighted length)."""
    return parse_tweet(text).weightedLength


def _x_fits(text: str) -> bool:
    return parse_tweet(text).valid  # within 280 and no character X refuses


def render_x(
    parts: Parts, *, language: str, link: str, hashtags: Sequence[str]
) -> Rendering:
    """Kind tag, the lead without its dateline (whole sentences; when not even its first
    sentence fits, the title instead: a sentence cut short can say the opposite, e.g. a
    rumour without its denial), the link, then as many hashtags as still fit: the lead's
    sentences come before hashtags. Never the signature or sections."""
    tag = kind_tag(parts.kind, language)
    lead = flatten(parts.lead) or flatten(parts.title)

    def post(body: str, tags: Sequence[str] = ()) -> str:
        head = " ".join(s for s in (tag, body) if s)
        return "\n".join(s for s in (head, link, " ".join(tags)) if s)

    body = fit_prefix(lead, lambda s: _x_fits(post(s)), horizon=_X_HORIZON)
    if body.endswith(ELLIPSIS) and (title := flatten(parts.title)):
        body = fit_prefix(title, lambda s: _x_fits(post(s)), horizon=_X_HORIZON)
    chosen: list[str] = []
    for hashtag in hashtags:
        if _x_fits(post(body, [*chosen, hashtag])):
            chosen.append(hashtag)
    return Rendering(Format.X, text=post(body, chosen))


def render_facebook(parts: Parts, *, link: str, hashtags: Sequence[str]) -> Rendering:
    """Title, dateline and lead, paragraphs (no letterhead, sections, signature or end
    marker), then the link and the hashtags; cut at the end to fit 63,206."""
    lead = f"{parts.dateline} — {parts.lead}" if parts.dateline else parts.lead
    tail = "\n\n".join(s for s in (link, " ".join(hashtags)) if s)
    room = FACEBOOK_LIMIT - utf16_length(tail) - 2
    body = fill([parts.title, lead, *parts.paragraphs], room, utf16_length, "\n\n")
    return Rendering(Format.FACEBOOK, text="\n\n".join(s for s in (body, tail) if s))


def render_whatsapp(
    parts: Parts, *, language: str, link: str, template: str
) -> Rendering:
    """Parameters: (1) kind and title, (2) the lead without its dateline and, while
    there is room, the following paragraphs, (3) the link; each one line, together at
    most 824 UTF-16 code units, cut at a sentence or word boundary with "…"."""
    title = flatten(parts.title)
    first = fit_prefix(
        labelled(kind_label(parts.kind, language), title),
        lambda s: utf16_length(s) <= _WHATSAPP_FIRST,
        horizon=_WHATSAPP_FIRST,
        hard=True,
    )
    blocks = [flatten(p) for p in (parts.lead, *parts.paragraphs) if flatten(p)]
    room = WHATSAPP_PARAMETERS_LIMIT - utf16_length(first) - utf16_length(link)
    second = fill(blocks or [title], room, utf16_length, " ", hard=True)
    parameters = (first, second, link)
    return Rendering(
        Format.WHATSAPP,
        text="\n\n".join(parameters),
        template=template,
        parameters=parameters,
    )
