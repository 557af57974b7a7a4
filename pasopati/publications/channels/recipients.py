"""A list channel's recipients file (e-mail addresses, WhatsApp numbers): a YAML list beside
``channels.yaml``, read the same way for every list channel."""

from __future__ import annotations

from pathlib import Path

import yaml

from pasopati.publications.channels.base import Refused


def read_list(name: str, path: Path, kind: str) -> list[object]:
    """The file's entries (``[]`` for an empty file), unchecked. Raises Refused naming ``path`` when
    it cannot be read (missing, not UTF-8, not YAML) or is not a list (of ``kind``)."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise Refused(f"{name}: cannot read the recipients file {path}: {exc}") from exc
    if loaded is None:
        return []
    if not isinstance(loaded, list):
        raise Refused(f"{name}: the recipients file {path} is not a YAML list of {kind}")
    return loaded
