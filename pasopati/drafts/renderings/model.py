"""The shapes every renderer shares: the formats, a body's parts, one rendering."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Format(str, Enum):
    """A channel's rendering of the one approved body."""

    # As approved, unchanged (journalists' answers, internal lists, outbox).
    TEXT = "text"
    # X (Twitter) post.
    X = "x"
    # Telegram channel: Bot API sendMessage with parse_mode MarkdownV2.
    TELEGRAM = "telegram"
    # WhatsApp Cloud API approved template with body parameters.
    WHATSAPP = "whatsapp"
    # E-mail to the journalist list: subject + text + HTML.
    EMAIL = "email"
    # Website post (WordPress): title + HTML with headings.
    WEBSITE = "website"
    # Facebook Page feed post: plain text + link.
    FACEBOOK = "facebook"


# Short renderings: the post says the lead and links the full statement on the website, so it is
# worth waiting for the website post's own address (tasks/publishing.py). Text, e-mail and the
# website carry the whole statement.
LINKING_FORMATS = frozenset({Format.X, Format.TELEGRAM, Format.WHATSAPP, Format.FACEBOOK})


@dataclass(frozen=True)
class Parts:
    """What `parts` recognised in a body; whatever it did not recognise stays body text.

    ``dateline`` is the place and date without its dash ("Bandung, Senin, 30 November
    2026"); ``lead`` is the first body paragraph without the dateline. A paragraph keeps
    the line breaks the approver typed inside it. ``sections`` are the labelled blocks
    at the end ("Narahubung", its lines), label without the colon.
    """

    letterhead: tuple[str, ...] = ()
    kind: str = ""
    number: str = ""
    title: str = ""
    dateline: str = ""
    lead: str = ""
    paragraphs: tuple[str, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()
    signature: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendering:
    """One channel's rendering. ``text`` is what is posted or sent as the message text:
    the X post, the first Telegram message, the e-mail text part, the Facebook post; for
    WhatsApp a preview (the parameters, one per paragraph: the template text is Meta's).
    ``messages`` holds every Telegram message in order (one or more); X is one post.
    """

    format: Format
    text: str
    messages: tuple[str, ...] = ()
    subject: str | None = None
    html: str | None = None
    title: str | None = None
    template: str | None = None
    parameters: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: the format as its value, tuples as lists, every key present."""
        return {
            "format": self.format.value,
            "text": self.text,
            "messages": list(self.messages),
            "subject": self.subject,
            "html": self.html,
            "title": self.title,
            "template": self.template,
            "parameters": list(self.parameters),
        }
