"""Words live in templates (``templates/``): the Jinja2 environment and how times are written.

Undefined variables raise instead of rendering blank; times are written in the unit's own zone
with the Indonesian abbreviation (WIB, WITA, WIT), dates per language (CLDR via Babel).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from num2words import num2words

MARKDOWN_SPECIAL = re.compile(r"[\\|<>\[\]`*_#!]")
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
    env.filters["fenced"] = fenced
    env.filters["capital"] = capital
    env.filters["count_words"] = count_words
    env.filters["join_list"] = join_list
    return env


def render(templates_dir: Path, name: str, **context: Any) -> str:
    return environment(templates_dir).get_template(name).render(**context)


def local_time(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'24 November 2026 pukul 14.05 WIB' in the zone of the unit."""
    tz = ZoneInfo(tz_name)
    stamp = format_datetime(moment, TIME_PATTERNS[language], tzinfo=tz, locale=language)
    return f"{stamp} {zone_abbreviation(moment, tz_name)}"


def clock(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'pukul 14.05 WIB' / '14:05 WIB (UTC+7)': the time of day in the unit's zone (WRITING.md)."""
    tz = ZoneInfo(tz_name)
    zone = zone_abbreviation(moment, tz_name)
    if language == "en":
        offset = format_datetime(moment, "xxxxx", tzinfo=tz, locale="en").replace(":00", "").lstrip("+0") or "0"
        return f"{format_datetime(moment, 'HH:mm', tzinfo=tz, locale='en')} {zone} (UTC+{offset})"
    return f"pukul {format_datetime(moment, 'HH.mm', tzinfo=tz, locale='id')} {zone}"


def day_date(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'Senin, 30 November 2026' / 'Monday, 30 November 2026' in the unit's zone."""
    return format_datetime(moment, "EEEE, d MMMM y", tzinfo=ZoneInfo(tz_name), locale=language)


def moment_text(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'Senin, 30 November 2026 pukul 05.00 WIB' / 'Monday, 30 November 2026, 05:00 WIB (UTC+7)'."""
    joint = ", " if language == "en" else " "
    return f"{day_date(moment, tz_name, language)}{joint}{clock(moment, tz_name, language)}"


def count_words(number: int, language: str = "id") -> str:
    """Numbers one to nine in words, figures from 10 (WRITING.md; words by num2words)."""
    return num2words(number, lang=language) if 0 < number < 10 else f"{number:,}".replace(",", "." if language == "id" else ",")


# A public text and a fact value hold what a reader sees: no invisible format or control characters
# (they split "3174\u200b0512…" so a check misses what a channel, which drops them, then shows).
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ODD_SPACE = re.compile(r"[^\S\n]")  # NBSP, thin space, ideographic space, tab…
# Limits of what a person may submit as a public text or a fact value (a 600-word press release is
# about 4 000 characters): beyond them a check would take seconds (measured: bench/privacy.py).
MAX_TEXT = 20_000
MAX_WORD = 200


class TextRefused(ValueError):
    """A submitted text that cannot be a statement: too long, or a 'word' no reader would read."""


def plain(text: str) -> str:
    """``text`` as every check and every channel sees it: Unicode NFKC (full-width and circled
    digits become digits), invisible characters removed, every space a plain space, line ends LF.
    Raises TextRefused beyond MAX_TEXT characters or with a word longer than MAX_WORD."""
    if len(text) > MAX_TEXT * 2:
        raise TextRefused(f"text of {len(text)} characters: at most {MAX_TEXT}")
    normal = _ODD_SPACE.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text.replace("\r\n", "\n").replace("\r", "\n"))))
    if len(normal) > MAX_TEXT:
        raise TextRefused(f"text of {len(normal)} characters: at most {MAX_TEXT}")
    if (longest := max(normal.split(), key=len, default="")) and len(longest) > MAX_WORD:
        raise TextRefused(f"a word of {len(longest)} characters ({longest[:20]}…): at most {MAX_WORD}")
    return normal


# Letters by Unicode's account that show nothing: the Hangul fillers. A text of them alone passed
# every "is it blank" check and was published (issue 11, second review).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def has_words(text: str) -> bool:
    """Whether ``text`` (as ``plain`` gives it) holds a letter a reader sees: a public statement does."""
    return any(c.isalpha() and c not in _BLANK_LETTERS for c in text)


@lru_cache(maxsize=2)
def number_words(language: str = "id") -> dict[str, int]:
    """Number words one to a thousand ("dua belas" → 12, "seribu" → 1000, "twenty-one" → 21), by num2words."""
    return {num2words(n, lang=language): n for n in range(1, 1001)}


@lru_cache(maxsize=2)
def number_pattern(language: str = "id") -> str:
    """A regex (no groups) matching a count as written: digits ("12", "1.200", "2,5", also glued to
    what follows: "25WBP", "_25_"; not after a letter: "H5N1", "B20") or words one to a thousand,
    longest first."""
    words = sorted(number_words(language), key=len, reverse=True)
    return r"(?:(?<![^\W\d_])(?<![\d.,])\d+(?:[.,]\d+)*(?!\d)|\b(?:" + "|".join(re.escape(w) for w in words) + r")\b)"


def capital(text: str) -> str:
    """The first letter upper-case, the rest as written (names and abbreviations keep their case)."""
    return text[:1].upper() + text[1:]


def join_list(items: list[str], language: str = "id") -> str:
    """'a dan b', 'a, b, dan c' (EYD; 'a dan b, serta c' when an item holds its own "dan") / 'a and
    b', 'a, b and c' ('a, b and c, and d' when an item holds its own "and": the serial comma keeps
    the last item apart)."""
    if len(items) < 2:
        return "".join(items)
    if language == "id" and any(" dan " in item for item in items[:-1]):
        return f"{', '.join(items[:-1])}, serta {items[-1]}"  # "A dan B, serta C": never "… dan … dan"
    word = "dan" if language == "id" else "and"
    comma = "," if len(items) > 2 and (language == "id" or any(" and " in item for item in items)) else ""
    return f"{', '.join(items[:-1])}{comma} {word} {items[-1]}"


def short_time(moment: datetime, tz_name: str, language: str = "id") -> str:
    """'24 Nov 2026 14.05.09 WIB': for timelines, to the second."""
    tz = ZoneInfo(tz_name)
    return f"{format_datetime(moment, SHORT_TIME_PATTERNS[language], tzinfo=tz, locale=language)} {zone_abbreviation(moment, tz_name)}"


def zone_abbreviation(moment: datetime, tz_name: str) -> str:
    return format_datetime(moment, "z", tzinfo=ZoneInfo(tz_name), locale="id")


def md_cell(value: Any) -> str:
    """A value fit for one Markdown table cell: one line, and no character that Markdown or HTML
    would act on (texts come from alerts and forms anyone can fill; the Prefect UI renders them)."""
    return MARKDOWN_SPECIAL.sub(r"\\\g<0>", " ".join(str(value).split()))


def fenced(text: str) -> str:
    """``text`` in a Markdown code fence longer than any run of backticks inside it (so the text,
    whatever it holds, cannot close the fence and turn into Markdown)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"
