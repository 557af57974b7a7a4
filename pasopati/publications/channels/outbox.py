"""The embedded default channel: one file per message, for a person to pick up and post.

Written atomically: the content goes to a temporary file in the same folder, is flushed to disk
(fsync), then linked under its final name — which fails if that name exists — and the folder is
fsynced. A full disk (ENOSPC) or a crash leaves at most a temporary file, never a partial message
under the final name, so "the file exists" means "the whole message was written" (``find``)."""

from __future__ import annotations

import errno
import os
import tempfile
from html import escape
from pathlib import Path

from pasopati.publications.channels.base import (
    OutgoingMessage,
    Receipt,
    Refused,
    Unavailable,
)


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

    def recipients(self) -> list[str]:
        return [""]

    def _path(self, message: OutgoingMessage) -> Path:
        suffix, _ = _content(message)
        return self.folder / message.incident_id / f"{message.channel}--{message.idempotency_key}{suffix}"

    def find(self, message: OutgoingMessage) -> Receipt | None:
        path = self._path(message)
        return Receipt(location=str(path), already_published=True) if path.exists() else None

    def publish(self, message: OutgoingMessage) -> Receipt:
        """Raises Unavailable when the disk is full or the folder cannot be written now, Refused
        when the folder is not a folder."""
        _, content = _content(message)
        path = self._path(message)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        except NotADirectoryError as exc:
            raise Refused(f"outbox {self.folder}: not a folder: {exc}") from exc
        except OSError as exc:
            raise Unavailable(f"outbox {path.parent}: cannot write: {exc}") from exc
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content.encode("utf-8"))
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)  # atomic, and never replaces: the first complete copy wins
            except FileExistsError:
                return Receipt(location=str(path), already_published=True)
            _sync_folder(path.parent)
        except OSError as exc:
            full = " (disk full)" if exc.errno == errno.ENOSPC else ""
            raise Unavailable(f"outbox {path}: not written{full}: {exc}") from exc
        finally:
            Path(temporary).unlink(missing_ok=True)
        return Receipt(location=str(path))


def _sync_folder(folder: Path) -> None:
    """Make the new name durable (POSIX: a rename or link is in the folder's data)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
