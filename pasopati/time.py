"""The one clock: timezone-aware UTC (the store refuses naive datetimes)."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
