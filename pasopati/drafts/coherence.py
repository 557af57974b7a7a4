"""Coherent and safe by construction: the checks a public text passes when it is drafted, edited,
revised, approved and published (issue 10, items 10 and 11).

- **One set of figures.** Every count a text states traces to a verified fact version of the
  incident; a figure that is a fact's superseded value, or no fact's value, is named with the fact
  it should match ("12" vs jumlah_wbp_terlibat = "14 orang"). Updates and ralat texts may state a
  superseded value: saying what changed is their point.
- **No confirm-and-deny.** An item with a verified value is not also asked about or called
  unconfirmed.
- **No time after the text's own moment** ("pukul 14.00" in a text issued at 13.16), unless the
  sentence speaks of the future ("akan", "paling lambat", "hingga").
- **No security detail** the runbook marks internal (``internal_details``: layouts, perimeter
  damage, patrol times; DOMAIN.md).

Times, dates, durations, statute and letter numbers, addresses and phone numbers are not figures
here: they are masked before counting (the personal-data gate, pasopati.privacy, owns the last two).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pasopati.drafts.models import Draft
from pasopati.drafts.rendering import INTERNAL_MESSAGES
from pasopati.facts.models import Fact
from pasopati.figures import MONTH_PATTERN, MONTHS, WEEKDAYS, figures
from pasopati.incidents.models import Incident
from pasopati.plan.runbook import Language, MessageType, RunbookPlan

ZONES = {"WIB": ZoneInfo("Asia/Jakarta"), "WITA": ZoneInfo("Asia/Makassar"), "WIT": ZoneInfo("Asia/Jayapura")}
# A minute of slack: a text issued at 13.16 may say "pukul 13.16".
SLACK = timedelta(minutes=1)
# "pukul 14.00", "jam 14.00", "at 14:00", "14.00 WITA", "11:05 WIB": a clock time (a bare "14.00" may be anything).
_CLOCK = re.compile(r"\b((?:pukul|pkl\.?|jam|at)\s+)?(\d{1,2})[.:](\d{2})\b(?:\s*([ap])\.?m\b\.?)?(?:\s*(WITA|WIB|WIT)\b)?", re.IGNORECASE)
_DATE = re.compile(rf"\b(\d{{1,2}})\s+({MONTH_PATTERN})(?:\s+(\d{{4}}))?\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\b")
_FUTURE = re.compile(
    r"\b(?:akan|dijadwalkan|direncanakan|rencananya|berikutnya|selanjutnya|nanti|will|scheduled|next)\b",
    re.IGNORECASE,
)
# Right before a time, a bound says it is a limit, not a past moment: "hingga pukul 18.00", "by 15:00".
_UNTIL = re.compile(r"\b(?:hingga|sampai|paling\s+lambat|sebelum|mulai|until|by|before|from)\s+(?:(?:pukul|pkl\.?|jam)\s+)?$", re.IGNORECASE)
# A day said relative to the text: yesterday's times are not later than the text.
_YESTERDAY = re.compile(r"\b(?:kemarin|kemarin\s+malam|tadi\s+malam|semalam|yesterday|last\s+night)\b", re.IGNORECASE)
# A sentence ends at a period not inside a number ("pukul 05.00") or at a line break.
_SENTENCE = re.compile(r"(?:[^.\n]|\.(?=\d))*(?:\.|\n|$)")
_UNCONFIRMED = (r"\s*:?\s*(?:masih\s+)?(?:belum\s+(?:dapat\s+|bisa\s+)?(?:di)?(?:konfirmasi|pastikan|ketahui)|belum\s+terkonfirmasi"
                r"|belum\s+jelas|simpang\s+siur|(?:is\s+|are\s+)?not\s+yet\s+(?:confirmed|known)|unknown|unconfirmed)")


@dataclass(frozen=True)
class Problem:
    """One reason a text may not go out as it is: the rule ("angka", "kontradiksi", "waktu",
    "detail-keamanan"), the matched text, its position (0-based character offset) and why."""

    rule: str
    text: str
    start: int
    detail: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _numbers(value: str | None) -> set[Decimal]:
    if not value:
        return set()
    return {n for lang in ("id", "en") for n, _, _ in figures(value, lang)}


# A press release's reference line ("Nomor: PAS-HM.01.02-101 Tahun 2026", Permenpan-style letter
# numbering) names the document; its digits are no count to check against the facts.
REFERENCE_LINE = re.compile(r"^[ \t]*(?:Nomor|Number|No\.?)[ \t]*:.*$", re.IGNORECASE | re.MULTILINE)


def _without_reference_lines(text: str) -> str:
    """``text`` with each reference line blanked (same length: positions stay right)."""
    return REFERENCE_LINE.sub(lambda m: " " * len(m.group(0)), text)


def figure_problems(
    text: str, language: str, history: list[Fact], *, allow_superseded: bool, names: str = "", plan: RunbookPlan | None = None,
) -> list[Problem]:
    """Counts in ``text`` that no current fact version states (``history``: every version of every
    item, pasopati.facts.service.history_in), and, with ``plan``, a narrative stating a verified count
    with another number ("Dua warga binaan melarikan diri" while the count is "3 orang"). ``names``:
    text whose numbers are names, not counts (the unit's name)."""
    text = _without_reference_lines(text)
    current = _current(history)
    allowed = set().union(*(_numbers(f.value) for f in current.values()), _numbers(names))
    superseded: dict[Decimal, Fact] = {}
    for fact in history:
        latest = current.get(fact.item_id)
        for number in _numbers(fact.value) - allowed:
            if latest is not None and latest.version > fact.version:
                superseded.setdefault(number, latest)
    if allow_superseded:
        allowed |= set(superseded)
    counts = "; ".join(f'{f.item_id} = "{f.value}"' for f in current.values() if f.value and _numbers(f.value))
    problems = []
    for item_id, fact in current.items():
        item = plan.item(item_id) if plan else None
        for said in item.count_phrases(text) if item and fact.value else []:
            stated = _numbers(said.group(0))
            if stated and not stated & _numbers(fact.value) and not (allow_superseded and stated <= allowed):
                problems.append(Problem("angka", said.group(0), said.start(),
                                        f'"{said.group(0)}" menyebut {item_id} berbeda dari fakta terverifikasi "{fact.value}"'))
    reported = {p.start for p in problems}
    for number, written, start in figures(text, language):
        if start in reported:
            continue
        if number in allowed:
            continue
        if (fact := superseded.get(number)) is not None:
            detail = f'"{written}" adalah nilai lama {fact.item_id}; fakta terverifikasi kini "{fact.value}" (versi {fact.version})'
        else:
            detail = f'"{written}" tidak berasal dari fakta terverifikasi mana pun' + (f" (fakta: {counts})" if counts else "")
        problems.append(Problem("angka", written, start, detail))
    return problems


def contradiction_problems(text: str, language: Language, plan: RunbookPlan, history: list[Fact], *, questions: bool = True) -> list[Problem]:
    """Verified items the text still asks about (unless ``questions``: False for a Q&A sheet, whose
    questions are the public's, each with its answer) or calls unconfirmed."""
    problems = []
    current = _current(history)
    verified = {i for i, f in current.items() if f.value}
    for item in plan.checklist:  # "Dua warga binaan melarikan diri … kami masih memastikan berapa warga binaan yang terlibat"
        ask = item.ask.text(language).lower() if item.ask else ""
        if questions and item.id not in verified and (asked := _asked(ask, text)) and (said := item.stated_in(text)):
            problems.append(Problem("kontradiksi", asked.group(0), asked.start(),
                                    f'teks sudah menyebut jumlahnya ("{said.group(0)}") tetapi masih menanyakan "{ask}"'))
    for item_id, fact in current.items():
        item = plan.item(item_id)
        if item is None or not fact.value:
            continue
        ask = item.ask.text(language).lower() if item.ask else ""
        if questions and (asked := _asked(ask, text)):
            problems.append(Problem("kontradiksi", asked.group(0), asked.start(),
                                    f'{item_id} sudah terverifikasi ("{fact.value}") tetapi teks masih menanyakan "{ask}"'))
        label = item.label_en if language == "en" else item.label
        for match in re.finditer(_spaced(label) + _UNCONFIRMED, text, re.IGNORECASE):
            problems.append(Problem("kontradiksi", match.group(0), match.start(),
                                    f'{item_id} sudah terverifikasi ("{fact.value}") tetapi teks menyebutnya belum terkonfirmasi'))
    return problems


def time_problems(text: str, issued_at: datetime, timezone: str) -> list[Problem]:
    """Clock times with a zone (or "pukul") later than ``issued_at``, the text's own moment. A time
    without a date in its sentence is read as its nearest occurrence: "pukul 23.00" in a text issued
    at 00.30 was last night, "pukul 14.00" in one issued at 13.16 is later today (a tie is later
    today). A sentence about the future passes."""
    local_zone = ZoneInfo(timezone)
    problems = []
    text = re.sub(r"\b([ap])\.m\.", lambda m: f"{m.group(1)}m  ", text, flags=re.IGNORECASE)  # "p.m." ends no sentence; same length
    for sentence in _SENTENCE.finditer(text):
        said = sentence.group(0)
        if not said.strip() or _FUTURE.search(said):
            continue
        for match in _CLOCK.finditer(said):
            said_pukul, hour, minute, ampm, zone_name = match.groups()
            if not (said_pukul or zone_name or ampm) or int(hour) > 23 or int(minute) > 59 or _UNTIL.search(said[: match.start()]):
                continue
            hour = str(int(hour) % 12 + (12 if ampm.lower() == "p" else 0)) if ampm else hour
            zone = ZONES.get((zone_name or "").upper(), local_zone)
            today = issued_at.astimezone(zone).date()
            yesterday = today - timedelta(days=1) if _YESTERDAY.search(said[: match.start()]) else None
            dated = _last_date(said[: match.start()], today.year) or yesterday or _last_weekday(said[: match.start()], today)
            day = dated or today
            moment = datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=zone)
            if dated is None and moment - issued_at > issued_at - (moment - timedelta(days=1)):
                moment -= timedelta(days=1)  # nearer as yesterday: told after local midnight
            if moment > issued_at + SLACK:
                own = issued_at.astimezone(zone)
                problems.append(Problem("waktu", match.group(0), sentence.start() + match.start(),
                                        f"{match.group(0)} lebih lambat dari waktu terbit teks ini"
                                        f" ({own:%d-%m-%Y %H.%M} {zone_name or own.tzname()})"))
    return problems


_WEEKDAY = re.compile(r"\b(" + "|".join(re.escape(n) for n in WEEKDAYS) + r")\b(?!\s*,?\s*\d{1,2}\s)", re.IGNORECASE)


def _last_weekday(before: str, today: date) -> date | None:
    """The day a weekday written before a time in its sentence names ("pada Senin pukul 04.30"): its
    latest occurrence on or before ``today`` (a text never dates an event by next week's weekday)."""
    named = list(_WEEKDAY.finditer(before))
    if not named:
        return None
    weekday = WEEKDAYS[named[-1].group(1).lower()]
    return today - timedelta(days=(today.weekday() - weekday) % 7)


def _last_date(before: str, this_year: int) -> date | None:
    """The last date written before a time in its sentence: "1 Desember 2026", "14 April" (this
    year) or "01-12-2026"."""
    dates = sorted([*_DATE.finditer(before), *_NUMERIC_DATE.finditer(before)], key=lambda m: m.start())
    if not dates:
        return None
    day, month, year = dates[-1].groups()
    try:
        return date(int(year or this_year), int(month) if month.isdigit() else MONTHS[month.lower()], int(day))
    except ValueError:
        return None


def internal_detail_problems(text: str, plan: RunbookPlan) -> list[Problem]:
    """Matches of the runbook's ``internal_details`` patterns (security details no public text carries)."""
    problems = []
    for pattern in plan.internal_details:
        for match in re.finditer(pattern.replace(" ", r"\s+"), text, re.IGNORECASE):  # "titik  buta" too
            problems.append(Problem("detail-keamanan", match.group(0), match.start(),
                                    f'rincian pengamanan yang oleh runbook ditandai internal (pola "{pattern}")'))
    return problems


def problems(
    text: str, *, language: Language, plan: RunbookPlan, history: list[Fact], issued_at: datetime, timezone: str,
    allow_superseded: bool = False, questions: bool = True, names: str = "",
) -> list[Problem]:
    """Every problem of one public text, in text order (see the module's rules)."""
    found = [
        *figure_problems(text, language, history, allow_superseded=allow_superseded, names=names, plan=plan),
        *contradiction_problems(text, language, plan, history, questions=questions),
        *time_problems(text, issued_at, timezone),
        *internal_detail_problems(text, plan),
    ]
    return sorted(found, key=lambda p: p.start)


def _spaced(phrase: str) -> str:
    """A regex for ``phrase`` with any run of whitespace between its words."""
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _asked(ask: str, text: str) -> re.Match[str] | None:
    """Where ``text`` asks ``ask`` (any spacing, any case); None for no question or no match."""
    return re.search(_spaced(ask), text, re.IGNORECASE) if ask else None


def draft_problems(draft: Draft, incident: Incident, plan: RunbookPlan, history: list[Fact], now: datetime) -> list[Problem]:
    """The problems of a public draft if it went out at ``now`` (the internal situation report
    quotes claims with their reporter: it is not checked). An update or ralat may state the value
    it replaces; a Q&A sheet asks the public's questions."""
    if draft.message_type in INTERNAL_MESSAGES:
        return []
    return problems(
        draft.body, language=draft.language, plan=plan, history=history, issued_at=now, timezone=incident.timezone,
        allow_superseded=draft.message_type in (MessageType.CORRECTION, MessageType.UPDATE),
        questions=draft.message_type is not MessageType.QA_SHEET, names=f"{incident.unit_name} {incident.kanwil_name}",
    )


def describe(found: list[Problem]) -> str:
    """'angka "12" pada posisi 40: "12" tidak berasal dari …; …' (Indonesian, for the refusal)."""
    return "; ".join(f'{p.rule} "{p.text}" pada posisi {p.start}: {p.detail}' for p in found)


def _current(history: list[Fact]) -> dict[str, Fact]:
    current: dict[str, Fact] = {}
    for fact in history:
        if fact.item_id not in current or fact.version > current[fact.item_id].version:
            current[fact.item_id] = fact
    return current
