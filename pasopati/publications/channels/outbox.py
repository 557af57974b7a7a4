"""The embedded default channel: one file per message, for a person to pick up and post."""

from __future__ import annotations

from html import escape
from pathlib import Path

from pasopati.publications.channels.base import OutgoingMessage, Receipt


def _content(message: OutgoingMessage) -> tuple[str, str]:
    """(file suffix, content): what the channel would post, whole. A website post is its HTML
    article under its title (the ``text`` of that rendering is only the excerpt); an e-mail
    starts with its subject line; everything else is the rendering's text."""
    rendering = message.rendering
    if rendering.get("format") == "website" and rendering.get("html"):
        return ".html", f"<h1>{escape(str(rendering.get('title') or ''))}</h1>\n{rendering['html']}"
    subject = rendering.get("subject")
    return ".txt", f"Subjek: {subject}\n\n{message.text}" if subject else message.text


class OutboxChannel:
    def __init__(self, folder: Path):
        self.folder = folder

    def publish(self, message: OutgoingMessage) -> Receipt:
        suffix, content = _content(message)
        path = self.folder / message.incident_id / f"{message.channel}--{message.idempotency_key}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # "x" fails if the file exists: a resend after a crash never writes a second copy.
            with path.open("x", encoding="utf-8") as handle:
                handle.write(content)
        except FileExistsError:
            return Receipt(location=str(path), already_published=True)
        return Receipt(location=str(path))
