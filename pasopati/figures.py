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
        rf"\b\d{{1,2}}\s+(?:{MONTH_PATTERN})\b|\b(?:{MONTH_PATTERN})\s+\d{{1,2}}\b|\b\d{{1,2}}[-.]\d{{1,2}}[-.]\d{{4}}\b",  # dates
        r"(?P<phone>\+?\(?\d[\d\s().-]{6,}\d)",  # phone and identity numbers (only with 9 digits or more: _masked)
        r"\butc\s*[+-]\s*\d+",
        r"\b(?:[01]?\d|2[0-3])[.:][0-5]\d\b(?!\s*(?:m|cm|mm|km|kg|g|ton|tonnes?|l|liter|litres?|meters?|metres?|%)(?!\w))",  # clock times, not "1.20 metres"
        r"\b\d{1,2}(?:[.:][0-5]\d)?\s*[ap]\.?m\b\.?",  # "8 p.m.", "11.30 p.m."
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


# -- moments: what a translation must state the same as its value --------------------------------------
_MONTH_ABBREVIATIONS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "agu": 8, "ags": 8, "agt": 8, "aug": 8, "sep": 9, "sept": 9,
                        "okt": 10, "oct": 10, "nov": 11, "des": 12, "dec": 12, "jun": 6, "jul": 7}
_MONTH_NUMBERS = {**MONTHS, **_MONTH_ABBREVIATIONS}
_ANY_MONTH = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
# Weekday names, Indonesian and English → Monday 0 … Sunday 6 (also pasopati.drafts.coherence).
WEEKDAYS = {name: i for i, names in enumerate([
    ("senin", "monday"), ("selasa", "tuesday"), ("rabu", "wednesday"), ("kamis", "thursday"), ("jumat", "jum'at", "friday"),
    ("sabtu", "saturday"), ("minggu", "ahad", "sunday")]) for name in names}
_MOMENT = re.compile(
    "|".join([
        (r"(?P<clock>(?:\b(?:pukul|pkl\.?|jam|at)\s+)?\b(?P<h>\d{1,2})(?=[.:]\d{2}\b|\s*[ap]\.?m\b)(?:[.:](?P<m>\d{2})\b)?(?:\s*(?P<ampm>[ap])\.?m\b\.?)?"
         r"(?:\s*(?:local\s+time\s*)?\(?\s*(?P<zone>WIB|WITA|WIT)\b)?)"),
        rf"\b(?P<d1>\d{{1,2}})\s+(?P<mon1>{_ANY_MONTH})\b\.?(?:\s+(?P<y1>(?:19|20)\d{{2}})\b)?",
        rf"\b(?P<mon2>{_ANY_MONTH})\b\.?\s+(?P<d2>\d{{1,2}}),?(?:\s+(?P<y2>(?:19|20)\d{{2}})\b)?",
        r"\b(?P<numeric>\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2})\b",
        r"\b(?P<year>(?:19|20)\d{2})\b",
        r"\b(?P<weekday>" + "|".join(re.escape(w) for w in WEEKDAYS) + r")\b",
    ]),
    re.IGNORECASE,
)


def moments(text: str) -> list[str]:
    """The clock times (with their zone), dates, years and weekdays ``text`` states, language-neutral
    and sorted: "pukul 05.00 WIB, Senin 30 November 2026" and "Monday, November 30, 2026 at 05:00 WIB"
    both give ["05:00 WIB", "30-11-2026", "weekday 0"]. A bare "1.20" (a measure) is no clock time:
    a time needs "pukul"/"jam"/"at", a zone or a.m./p.m."""
    found = []
    for m in _MOMENT.finditer(text):
        if m.group("clock"):
            said = m.group("clock")
            if not (re.match(r"(?:pukul|pkl|jam|at)\b", said, re.IGNORECASE) or m.group("zone") or m.group("ampm")):
                continue
            hour = int(m.group("h")) % 12 + (12 if (m.group("ampm") or "").lower() == "p" else 0) if m.group("ampm") else int(m.group("h"))
            found.append(f"{hour:02d}:{m.group('m') or '00'}" + (f" {m.group('zone').upper()}" if m.group("zone") else ""))
        elif m.group("d1") or m.group("d2"):
            day, month, year = (m.group("d1"), m.group("mon1"), m.group("y1")) if m.group("d1") else (m.group("d2"), m.group("mon2"), m.group("y2"))
            found.append(f"{int(day):02d}-{_MONTH_NUMBERS[month.lower()]:02d}" + (f"-{year}" if year else ""))
        elif m.group("numeric"):
            found.append(m.group("numeric"))
        elif m.group("year"):
            found.append(m.group("year"))
        else:
            found.append(f"weekday {WEEKDAYS[m.group('weekday').lower()]}")
    return sorted(found)
