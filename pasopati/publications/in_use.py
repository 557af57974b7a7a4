"""Which channels file the serving process publishes with, so that an operator's `pasopati publish
retry|resolve` — which sends from the operator's own shell — never sends through other adapters.

Found by a new user following the README: a retry typed in a shell without the deployment's
``PASOPATI_CHANNELS_FILE`` sent a failed Telegram post to the local outbox, recorded it as
published and ended the run "Selesai". ``pasopati serve`` records the file it publishes with
(``<data_dir>/channels-in-use.json``: its resolved path); the CLI compares its own. Paths, not
contents: the served runs read the file anew, so an edit reaches them and the CLI alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from pasopati.settings import Settings

RECORD = "channels-in-use.json"


def record(settings: Settings) -> None:
    """Write which channels file this (serving) process publishes with."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    target = settings.data_dir / RECORD
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps({"file": str(settings.channels_file.resolve())}))
    temporary.replace(target)


def mismatch(settings: Settings) -> str | None:
    """Why this process must not publish for the served runs (its channels file is not the one
    `pasopati serve` recorded), or None when they match or nothing was recorded (no serve has run
    on this data directory: the CLI's own settings are all there is)."""
    try:
        served = json.loads((settings.data_dir / RECORD).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(served, dict) or Path(str(served.get("file"))) == settings.channels_file.resolve():
        return None
    return (f"this shell publishes with {settings.channels_file} but `pasopati serve` publishes with {served.get('file')}:"
            f" export PASOPATI_CHANNELS_FILE={served.get('file')} (and the same"
            " PASOPATI_SECRET_* variables) here, so that nothing goes out through other adapters")
