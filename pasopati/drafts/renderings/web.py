"""HTML renderings: the e-mail to the journalist list and the website (WordPress) post.

Every piece of the body is HTML-escaped: bodies are typed by people, and "<script>" in a
body must arrive as text.
"""

from __future__ import annotations

from html import escape

from pasopati.drafts.renderings.kinds import is_english, kind_label, labelled
from pasopati.drafts.renderings.model import Format, Parts, Rendering
from pasopati.drafts.renderings.text import ELLIPSIS, fit_prefix, flatten

# A subject longer than this is cut: mail clients show about that much, and RFC 5322
# (section 2.1.1) asks for lines of at most 78 characters before folding anyway.
SUBJECT_LIMIT = 150


def _html(text: str) -> str:
    """Escaped, with the line breaks an approver typed inside a paragraph kept."""
    return "<br>\n".join(escape(line) for line in text.split("\n"))


def _lead(parts: Parts) -> str:
    return f"{parts.dateline} — {parts.lead}" if parts.dateline else parts.lead


def _article(parts: Parts) -> list[str]:
    """Dateline and lead, paragraphs, sections with <h2>, the signature: one per line."""
    html = [f"<p>{_html(p)}</p>" for p in (_lead(parts), *parts.paragraphs) if p]
    for label, content in parts.sections:
        html.append(f"<h2>{_html(label)}</h2>")
        if content:
            html.append(f"<p>{_html(content)}</p>")
    if parts.signature:
        html.append(f"<p>{_html(chr(10).join(parts.signature))}</p>")
    return html


def subject(parts: Parts, *, language: str, institution: str) -> str:
    """The subject, "<institution> — <Kind>: <title>", one line, at most 150 characters:
    the title is cut after a word with "…" (the whole line, if the institution is long)."""
    source, title = flatten(institution), flatten(parts.title)
    topic = labelled(kind_label(parts.kind, language), title)
    line = f"{source} — {topic}" if source and topic else source or topic
    if len(line) <= SUBJECT_LIMIT:
        return line
    head = line[: len(line) - len(title)] if title and line.endswith(title) else ""
    room = SUBJECT_LIMIT - len(head)
    cut = fit_prefix(title, lambda s: len(s) <= room, horizon=max(room, 0))
    if head and cut:
        return head + cut
    fits = fit_prefix(line, lambda s: len(s) <= SUBJECT_LIMIT, horizon=SUBJECT_LIMIT)
    return fits or line[: SUBJECT_LIMIT - 1] + ELLIPSIS


def render_email(
    body: str, parts: Parts, *, language: str, link: str, institution: str
) -> Rendering:
    """Subject, the body as approved as the text part, and a small HTML document."""
    line = subject(parts, language=language, institution=institution)
    number_label = "Number" if is_english(language) else "Nomor"
    header = []
    if parts.letterhead:
        header.append(f"<p>{_html(chr(10).join(parts.letterhead))}</p>")
    if parts.kind:
        kind = f"<strong>{escape(parts.kind)}</strong>"
        number = f"<br>\n{number_label}: {escape(parts.number)}" if parts.number else ""
        header.append(f"<p>{kind}{number}</p>")
    html = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(language)}">',
        '<head>\n<meta charset="utf-8">',
        f"<title>{escape(line)}</title>\n</head>\n<body>",
        *(["<header>", *header, "</header>"] if header else []),
        f"<h1>{escape(flatten(parts.title))}</h1>",
        *_article(parts),
        f'<p><a href="{escape(link)}">{escape(link)}</a></p>',
        "</body>\n</html>\n",
    ]
    return Rendering(Format.EMAIL, text=body, subject=line, html="\n".join(html))


def render_website(parts: Parts) -> Rendering:
    """The title, the article body as HTML (no <html> wrapper: WordPress adds it), and
    as ``text`` the dateline and lead on one line (the post's excerpt)."""
    return Rendering(
        Format.WEBSITE,
        text=flatten(_lead(parts)),
        title=flatten(parts.title),
        html="\n".join(_article(parts)) + "\n",
    )
