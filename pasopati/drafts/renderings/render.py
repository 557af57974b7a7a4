"""`render`: one approved body into one channel's rendering, deterministically."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from pasopati.drafts.renderings.model import Format, Rendering
from pasopati.drafts.renderings.parse import parts
from pasopati.drafts.renderings.social import render_facebook, render_whatsapp, render_x
from pasopati.drafts.renderings.telegram import render_telegram
from pasopati.drafts.renderings.web import render_email, render_website

# A BCP 47-shaped tag: it lands in the e-mail's lang attribute.
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Meta: a template name is lowercase letters, digits and underscores, at most 512.
TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")
# Whitespace, controls, format characters (bidi overrides), separators.
_REFUSED_IN_LINK = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Zs"})


def render(
    body: str,
    fmt: Format,
    *,
    language: str,
    link: str,
    hashtags: Sequence[str] = (),
    institution: str = "",
    whatsapp_template: str = "pernyataan_resmi",
) -> Rendering:
    """``body`` rendered for ``fmt``; only characters of the body, the link and the
    hashtags appear, plus the fixed kind tags and labels ("[SIARAN PERS]", "Nomor:").

    ``link`` is the https URL of the statement on the website, given by the caller; one
    containing whitespace or control characters raises ValueError. ``hashtags`` come from
    the runbook ("#Pemasyarakatan" or "Pemasyarakatan"); X and Facebook use them.
    ``language`` ("id", "en") picks the kind tags and labels. Never raises on any body.
    """
    fmt = Format(fmt)
    _check_link(link)
    if not _LANGUAGE.fullmatch(language):
        raise ValueError(f"language must be a language tag such as 'id': {language!r}")
    tags = _hashtags(hashtags)
    if fmt is Format.TEXT:
        return Rendering(Format.TEXT, text=body)
    if fmt is Format.EMAIL:
        return render_email(
            body, parts(body), language=language, link=link, institution=institution
        )
    parsed = parts(body)
    if fmt is Format.X:
        return render_x(parsed, language=language, link=link, hashtags=tags)
    if fmt is Format.TELEGRAM:
        return render_telegram(parsed, language=language, link=link)
    if fmt is Format.WHATSAPP:
        if not TEMPLATE_NAME.fullmatch(whatsapp_template):
            raise ValueError(
                "whatsapp_template must be lowercase letters, digits and underscores:"
                f" {whatsapp_template!r}"
            )
        return render_whatsapp(
            parsed, language=language, link=link, template=whatsapp_template
        )
    if fmt is Format.FACEBOOK:
        return render_facebook(parsed, link=link, hashtags=tags)
    return render_website(parsed)


def _check_link(link: str) -> None:
    if not link:
        raise ValueError("link is empty")
    if any(unicodedata.category(c) in _REFUSED_IN_LINK for c in link):
        raise ValueError(f"link contains whitespace or control characters: {link!r}")


def _hashtags(hashtags: Sequence[str]) -> tuple[str, ...]:
    if isinstance(hashtags, str):  # one tag passed bare would iterate its letters
        hashtags = (hashtags,)
    tags = []
    for raw in hashtags:
        tag = raw.strip()
        tag = tag if tag.startswith("#") else f"#{tag}"
        if len(tag) < 2 or any(c.isspace() or not c.isprintable() for c in tag):
            raise ValueError(f"hashtags: not a hashtag: {raw!r}")
        tags.append(tag)
    return tuple(tags)
