"""Reading the fields real alert sources send, as they send them (issue 12): RSS and e-mail dates,
day-first Indonesian dates, redirect and click-tracking links, audience figures such as "1.5M".

Each reader takes what a sender wrote and returns the value, or raises ValueError naming what it
could not read; the intake keeps the raw item in every case (pasopati.intake.formats).
"""

from __future__ import annotations

import email.utils
import html
import re
from datetime import datetime
from functools import cache
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import yaml
from dateutil import parser as dateutil_parser

from pasopati.settings import PROJECT_ROOT

# A date without a zone is read in the media center's zone: Indonesian outlets and monitoring
# tools write local time (WIB) when they leave the zone out.
ASSUMED_ZONE = ZoneInfo("Asia/Jakarta")
REDIRECTORS_FILE = PROJECT_ROOT / "runbooks" / "redirectors.yaml"
_MULTIPLIERS = {"": 1, "k": 1_000, "rb": 1_000, "ribu": 1_000, "m": 1_000_000, "jt": 1_000_000, "juta": 1_000_000,
                "b": 1_000_000_000, "bn": 1_000_000_000, "miliar": 1_000_000_000}
_FIGURE = re.compile(r"\s*([0-9]+(?:[.,][0-9]+)*)\s*([a-z+]*)\s*", re.IGNORECASE)
_MAX_UNWRAP = 5  # a link wrapped in a link wrapped in a link…: never a loop


def moment(value: object) -> datetime | None:
    """A datetime from an RFC 822/2822 date ("Tue, 11 Mar 2025 01:12:00 GMT", RSS ``pubDate``), ISO
    8601, or a day-first date ("29/09/2025", "29-09-2025 14:05"), with its zone kept; without a
    zone, WIB (ASSUMED_ZONE). None for None or "". Raises ValueError for text that is no date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=ASSUMED_ZONE)
    if not isinstance(value, str):
        raise ValueError(f"not a date: {type(value).__name__}")
    text = value.strip()
    if len(text) > 64:
        raise ValueError("not a date: longer than any date")
    parsed: datetime | None = None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:  # dayfirst: "05/09/2025" is 5 September in Indonesia
                parsed = dateutil_parser.parse(text, dayfirst=True)
            except (ValueError, OverflowError) as exc:
                raise ValueError(f"not a date: {text[:40]!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ASSUMED_ZONE)


def audience(value: object) -> int | None:
    """A count from 1500, "1500", "1,500", "1.5M", "1,2 jt", "15rb", "2K". None for None or "".
    Raises ValueError for anything else (a negative, a word)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a count: true/false")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("not a count: negative")
        return value
    if isinstance(value, float):
        if not value >= 0 or value == float("inf"):
            raise ValueError("not a count")
        return round(value)
    if not isinstance(value, str) or len(value) > 32 or not (match := _FIGURE.fullmatch(value)):
        raise ValueError(f"not a count: {str(value)[:32]!r}")
    digits, suffix = match.group(1), match.group(2).lower()
    if suffix not in _MULTIPLIERS:
        raise ValueError(f"not a count: unknown unit {suffix!r}")
    if suffix == "":  # a plain number: "." and "," group thousands ("1.500", "1,500")
        return int(re.sub(r"[.,]", "", digits))
    # "1.5M" / "1,2 jt": the last separator is the decimal point
    number = float(digits.replace(",", ".")) if digits.count(",") + digits.count(".") == 1 else float(re.sub(r"[.,]", "", digits))
    return round(number * _MULTIPLIERS[suffix])


@cache
def redirectors() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(host, path prefix, parameters holding the target) from runbooks/redirectors.yaml."""
    data = yaml.safe_load(REDIRECTORS_FILE.read_text(encoding="utf-8")) or {}
    return tuple((r["host"].lower(), r.get("path", "/"), tuple(r["params"])) for r in data.get("redirectors", []))


def unwrapped(url: str) -> str:
    """The address a redirect or click-tracking link leads to (Google Alerts'
    ``https://www.google.com/url?…&url=REAL``, a social-listening tool's tracker), as many layers as
    there are; ``url`` itself when it is no known redirector or carries no absolute target."""
    for _ in range(_MAX_UNWRAP):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        target = None
        for r_host, r_path, params in redirectors():
            if (host == r_host or host.endswith("." + r_host)) and parts.path.startswith(r_path):
                query = parse_qs(parts.query)
                target = next((query[p][0] for p in params if query.get(p) and query[p][0].startswith(("http://", "https://"))), None)
                break
        if target is None:
            return url
        url = target
    return url


TAG = re.compile(r"</?[A-Za-z!][^<>]{0,500}>")


def plain(value: object) -> object:
    """A title or text as a reader sees it: HTML tags dropped ("<b>Lapas Nabire</b>" from Google
    Alerts, posted straight to the intake) and entities decoded ("&amp;"); other values untouched."""
    if not isinstance(value, str) or ("<" not in value and "&" not in value):
        return value
    return html.unescape(TAG.sub("", value))
