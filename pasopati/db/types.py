"""Column types every domain table uses, and the one declarative ``Base`` they share.

Both databases get the same values back: aware UTC datetimes (SQLite would drop the zone) and text
without the characters PostgreSQL refuses (NUL, lone surrogates), which SQLite would have taken.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from sqlalchemy import JSON, DateTime, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

# PostgreSQL text cannot hold U+0000, and no UTF-8 encoder takes a lone surrogate (JSON's "\ud800"
# decodes to one). Both become U+FFFD, the character Unicode reserves for "could not be represented".
UNREPRESENTABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def clean_text(value: str) -> str:
    """``value`` with NUL and lone surrogates replaced by U+FFFD; everything else unchanged."""
    return UNREPRESENTABLE.sub(REPLACEMENT, value)


def clean_json(value: Any) -> Any:
    """``clean_text`` applied to every string (keys too) of a JSON-shaped value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


# For pydantic models at the doors (CLI, forms, intake): text is cleaned once, on the way in (before
# pydantic's own check, which refuses lone surrogates), so the value a hash is computed over is the
# value stored.
CleanStr = Annotated[str, BeforeValidator(lambda v: clean_text(v) if isinstance(v, str) else v)]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; a naive datetime is a bug and raises ValueError."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store only timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SafeText(TypeDecorator[str]):
    """Text that stores on PostgreSQL whatever SQLite would have taken (see ``clean_text``).

    The doors clean input already; this is the last guard, so a missed door is never a 500."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(value)


class SafeJSON(TypeDecorator[Any]):
    """JSON whose strings are cleaned like ``SafeText``."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return clean_json(value)


class Base(DeclarativeBase):
    """Every table of the store, whichever domain package defines it (one metadata for alembic)."""

    type_annotation_map = {
        datetime: UTCDateTime(),
        str: SafeText(),
        dict[str, Any]: SafeJSON(),
        list[str]: SafeJSON(),
    }
