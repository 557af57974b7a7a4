"""Words live in templates (``templates/``): the Jinja2 environment and how times are written.

Undefined variables raise instead of rendering blank; times are written in the unit's own zone
with the Indonesian abbreviation (WIB, WITA, WIT), dates per language (CLDR via Babel).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined

TIME_PATTERNS = {"id": "d MMMM y 'pukul' HH.mm", "en": "d MMMM y, HH:mm"}
SHORT_TIME_PATTERNS = {"id": "d MMM y HH.mm.ss", "en": "d MMM y HH:mm:ss"}


@lru_cache
def environment(templates_dir: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # plain text and markdown for channels, not HTML
    )
    env.filters["local_time"] = local_time
    env.filters["short_time"] = short_time
    env.filters["md_cell"] = md_cell
    return env


def render(templates_dir: Path, name: str, **context: Any) -> str:
    return environment(templates_dir).get_template(name).render(**context)


def local_time(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'24 November 2026 pukul 14.05 WIB' in the zone of the unit."""
    tz = ZoneInfo(tz_name)
    stamp = format_datetime(moment, TIME_PATTERNS[language], tzinfo=tz, locale=language)
    return f"{stamp} {zone_abbreviation(moment, tz_name)}"


def short_time(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'24 Nov 2026 14.05.09 WIB': for timelines, to the second."""
    tz = ZoneInfo(tz_name)
    return f"{format_datetime(moment, SHORT_TIME_PATTERNS[language], tzinfo=tz, locale=language)} {zone_abbreviation(moment, tz_name)}"


def zone_abbreviation(moment: datetime, tz_name: str) -> str:
    return format_datetime(moment, "z", tzinfo=ZoneInfo(tz_name), locale="id")


def md_cell(value: Any) -> str:
    """A value fit for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")
