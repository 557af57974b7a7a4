"""The audit chain's format: canonical JSON and the hash that links each event to the one before.

Format version 1 (never change it in place: old rows must keep verifying; add a version instead).
An event's hash is SHA-256 over one line of canonical JSON of its header, a newline, and the
canonical JSON of its details:

    ["pasopati-audit-1", prev_hash, incident_prev_hash, at, kind, incident_id, flow_run_id, actor]
    {"details": …}

The first event's "previous hash" is ``genesis(store_id)``: the store's random id is bound into the
chain, so changing ``store_meta.store_id`` (which names the store's anchors on the Prefect server)
breaks verification at row 1 instead of quietly hiding the anchors.

Canonical JSON: keys sorted, no whitespace, UTF-8 (not ASCII-escaped), no NaN/Infinity
(RFC 8785-style for the value types events use: strings, integers, booleans, null, lists, objects).
``at`` is the UTC time as ISO 8601 with microseconds. The sequence number is *not* hashed: order is
what the links say, so an inserted or reordered row shows as a broken link, not as "altered".
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

FORMAT = "pasopati-audit-1"
GENESIS = "0" * 64  # the head of a store with no events and no identity yet (never hashed over)


def genesis(store_id: str) -> str:
    """The "previous hash" of a store's first event."""
    return hashlib.sha256(f"{FORMAT}:store:{store_id}".encode()).hexdigest()


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time, which
# is a sixth of the cost of hashing an event (verification hashes every event of the store).
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical(value: Any) -> str:
    return _ENCODER.encode(value)


def timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime {at!r} in an audit event")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(
    *,
    prev_hash: str,
    incident_prev_hash: str | None,
    at: datetime | str,
    kind: str,
    incident_id: str | None,
    flow_run_id: str | None,
    actor: str,
    details_json: str,
) -> str:
    """``at``: the time, or already its ``timestamp`` text (verification reads it as text)."""
    stamp = at if isinstance(at, str) else timestamp(at)
    header = canonical([FORMAT, prev_hash, incident_prev_hash, stamp, kind, incident_id, flow_run_id, actor])
    return hashlib.sha256(f"{header}\n{details_json}".encode()).hexdigest()
