"""The embedded default channel: one file per message, for a person to pick up and post."""

from __future__ import annotations

from pathlib import Path

from pasopati.publications.channels.base import OutgoingMessage, Receipt


class OutboxChannel:
    def __init__(self, folder: Path):
        self.folder = folder

    def publish(self, message: OutgoingMessage) -> Receipt:
        path = self.folder / message.incident_id / f"{message.channel}--{message.idempotency_key}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # "x" fails if the file exists: a resend after a crash never writes a second copy.
            with path.open("x", encoding="utf-8") as handle:
                subject = message.rendering.get("subject")
                handle.write(f"Subjek: {subject}\n\n{message.text}" if subject else message.text)
        except FileExistsError:
            return Receipt(location=str(path), already_published=True)
        return Receipt(location=str(path))
