"""Counts in a text: what is a figure ("12", "1.200", "dua belas", "tiga ribu") and what only holds
digits (times, dates, years, durations, statute, letter and phone numbers). Shared by the facts
(a translation states the figures of its value) and the drafts (pasopati.drafts.coherence)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pasopati.texts import number_pattern, number_words

MONTHS = {
    **{m: i for i, m in enumerate(["januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september",
                                   "oktober", "november", "desember"], start=1)},
    **{m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august", "september",
                                   "october", "november", "december"], start=1)},
}
MONTH_PATTERN = "|".join(m for m in MONTHS if m != "may") + "|(?-i:May)"  # "25 may have" is not a date
_UNITS = r"menit|jam|hari|minggu|pekan|bulan|tahun|detik|minutes?|hours?|days?|weeks?|months?|years?|seconds?"

# Who is counted: a year-like number before one of these is a count ("2019 orang"), not a year.
_COUNTED = r"(?:orang|warga|wbp|narapidana|napi|tahanan|petugas|anak|pasien|korban|inmates?|people|officers?|children)\b"
# Spans that hold digits but no count (replaced by spaces, so positions stay). Every alternative is
# linear: a token is looked at from its start only (a long token once took seconds: the adversarial review).
_NOT_FIGURES = re.compile(
    "|".join([
        r"https?://\S+|www\.\S+",  # links
        r"(?<!\S)[^\s@]*@\S*",  # e-mail addresses
        r"(?<!\S)(?=[^\s/]*\d|\S*/[^\s/]*\d)(?=[^\s/]*/)\S+",  # letter and statute numbers: 27/2022, 1A2B/HM.01.02/XI/2026
        rf"\b\d{{1,2}}\s+(?:{MONTH_PATTERN})\b|\b\d{{1,2}}[-.]\d{{1,2}}[-.]\d{{4}}\b",  # dates
        r"(?P<phone>\+?\(?\d[\d\s().-]{6,}\d)",  # phone and identity numbers (only with 9 digits or more: _masked)
        r"\butc\s*[+-]\s*\d+",
        r"\b(?:[01]?\d|2[0-3])[.:][0-5]\d\b",  # clock times
        rf"\b(?:19|20)\d{{2}}\b(?!\s+{_COUNTED})",  # years
        r"\b(?:pasal|uu|undang-undang|nomor|no\.|article|law|kelas|class|pp|perpres|permen\w*|tahun|rt|rw|blok|ke)[\s-]*\d+\w*",
        rf"\b(?:\d+|[a-z]+)(?:\s+setengah|\s+and\s+a\s+half)?(?:\s*x\s*\d+)?\s+(?:{_UNITS})\b(?!\s+ini)",  # "2 x 24 jam"
        r"\b[a-z]+-\d+\b",  # COVID-19
        r"\bsalah satu\b|\bsatu-satunya\b|\bsatu pintu\b|\bsatu per satu\b|\bone of\b|\bno one\b|\bone-stop\b",
    ]),
    re.IGNORECASE,
)
_PHONE_DIGITS = 9  # the shortest Indonesian landline with its area code: (022) 500 304
_MULTIPLIER = re.compile(r"\s+(ribu|thousand|juta|million)\b", re.IGNORECASE)
_MULTIPLIERS = {"ribu": 1000, "thousand": 1000, "juta": 1_000_000, "million": 1_000_000}
_FIGURE: dict[str, re.Pattern[str]] = {lang: re.compile(number_pattern(lang), re.IGNORECASE) for lang in ("id", "en")}


def figures(text: str, language: str) -> list[tuple[Decimal, str, int]]:
    """The counts ``text`` states: (value, as written, position); digits ("12", "1.200") and words
    one to a thousand ("dua belas", "tiga ribu" with its multiplier). Times, dates, durations and reference numbers are not counts."""
    masked = _NOT_FIGURES.sub(_masked, text)
    words = number_words("en" if language == "en" else "id")
    found = []
    for match in _FIGURE["en" if language == "en" else "id"].finditer(masked):
        written = match.group(0)
        value = words.get(written.lower())
        number = Decimal(value) if value is not None else _digits(written, language)
        if number is not None:
            if times := _MULTIPLIER.match(masked, match.end()):  # "tiga ribu" is 3 000, not 3
                number, written = number * _MULTIPLIERS[times.group(1).lower()], written + times.group(0)
            found.append((number, written, match.start()))
    return found


def _masked(match: re.Match[str]) -> str:
    """Spaces for a span that is no count; a "phone number" of fewer than nine digits ("1.234.567",
    "25 (30) (40)") is counts after all and stays."""
    span = match.group(0)
    if match.group("phone") and sum(c.isdigit() for c in span) < _PHONE_DIGITS:
        return span
    return " " * len(span)


def _digits(written: str, language: str = "id") -> Decimal | None:
    """Indonesian "1.200" → 1200 and "2,5" → 2.5; English "1,200" and "2,000,000" → thousands, "2.5" → 2.5."""
    if language == "en":
        plain = re.sub(r",(?=\d{3}\b)", "", written)
    else:
        plain = re.sub(r"\.(?=\d{3}\b)", "", written).replace(",", ".")
    try:
        return Decimal(plain)
    except InvalidOperation:
        return None
