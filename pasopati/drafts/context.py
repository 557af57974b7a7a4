"""What a message template may say: the facts as sentences with their source and time, the open
questions, the standard actions, who speaks and how to reach them — never a claim as a fact.

The trigger's summary and an alert's text are claims (the reporter's words, unverified): they reach
only the internal situation report. Public templates get verified facts of public checklist items,
each as the runbook's sentence (``statement``) with its source and the time it was recorded
(WRITING.md: "Every figure states its source and the time it was true").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pasopati.facts.models import Fact
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.roster import HEADQUARTERS
from pasopati.plan.runbook import ChecklistItem, Language, Level, RunbookPlan, Wording
from pasopati.texts import clock, count_words, day_date, moment_text

HEADQUARTERS_ZONE = "Asia/Jakarta"  # Ditjenpas and the ministry speak from Jakarta
FIRST_NUMBER = re.compile(r"\d[\d.]*")
ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]


@dataclass(frozen=True)
class Speaker:
    """Who speaks for the incident at this severity: the spokesperson's organisation and person."""

    level: Level
    org: str
    name: str
    title: dict[str, str]
    city: str
    desk: dict[str, str]


def speaker(incident: Incident, plan: RunbookPlan, cat: Catalog) -> Speaker:
    """The runbook's spokesperson role at the incident's unit/Kanwil/headquarters, named from the
    roster. Raises LookupError when the roster has no holder (the catalog check prevents it)."""
    roster = cat.roster
    unit = roster.find_unit(incident.unit_id)
    if unit is None:
        raise LookupError(f"unit {incident.unit_id!r} is not in roster.yaml")
    ref = roster.stand_in(plan.plan.spokesperson, unit)  # at a unit without its own team: its Kanwil's
    holders = roster.holders(ref, unit)
    if not holders:
        raise LookupError(f"no holder of {ref.role!r} for {unit.name} in roster.yaml")
    kanwil = roster.kanwil_of(unit)
    org = roster.org_for(ref, unit)
    fill = {"unit": unit.name, "kanwil": kanwil.name, "province": kanwil.province}
    role = roster.roles[ref.role]
    city = unit.city if ref.level is Level.UPT else kanwil.city if ref.level is Level.KANWIL else "Jakarta"
    desk = roster.desk_for(org, unit)
    return Speaker(
        level=ref.level, org=org, name=holders[0].name,
        title={lang: role.public_title.text(lang).format(**fill) for lang in ("id", "en")},  # type: ignore[arg-type]
        city=city, desk=desk.model_dump(),
    )


def where(incident: Incident, language: Language, *, headline: bool = False) -> str:
    """Where it happened, as a public text says it: the unit's name, or for an event across a Kanwil's
    UPTs its region ("sejumlah UPT Pemasyarakatan di Jawa Barat" / "several correctional units in Jawa
    Barat"); in a headline capitalised as headlines are."""
    if incident.unit_type != "kanwil":
        return incident.unit_name
    if language == "en":
        return f"{'Several Correctional Units' if headline else 'several correctional units'} in {incident.province}"
    return f"{'Sejumlah UPT' if headline else 'sejumlah UPT'} Pemasyarakatan di {incident.province}"


def figure(value: str, item: ChecklistItem, language: Language, qualifiers: dict[str, Wording] | None = None) -> str:
    """A count's first number in the house style (one to nine in words), with the estimate or bound
    the verifier wrote before it ("sekitar 60 orang" → "sekitar 60" / "about 60"); other values, and
    a count with any other words before or after its number ("12 hingga 15 orang", "12 orang
    (sementara)", "05.00 WIB: 3 orang"), as given: a range or a provisional count is never shortened
    into an exact figure."""
    if item.kind != "count":
        return value.strip().rstrip(".")
    match = FIRST_NUMBER.search(value)
    if match is None:
        return value.strip().rstrip(".")
    before = " ".join(value[: match.start()].lower().split())
    qualifier = (qualifiers or {}).get(before)
    if (before and qualifier is None) or not _COUNTED_TAIL.fullmatch(value[match.end():]):
        return value.strip().rstrip(".")
    digits = match.group(0).rstrip(".").replace(".", "")
    number = count_words(int(digits), language) if digits.isdigit() else match.group(0)
    return f"{qualifier.text(language)} {number}" if qualifier else number


# What may follow a count's number for it to be the whole figure: nothing, or who is counted.
_COUNTED_TAIL = re.compile(
    r"\s*(?:orang|jiwa|wbp|warga\s+binaan|narapidana|napi|tahanan|petugas|anak(?:\s+binaan)?|pasien|korban|people|persons?"
    r"|inmates?|officers?|children)?\s*\.?\s*", re.IGNORECASE,
)
_INMATES = re.compile(r"\bwarga binaan\b", re.IGNORECASE)


def _for_children(text: str) -> str:
    """At an LPKA those held are Anak Binaan, never "warga binaan" (WRITING.md, UU SPPA)."""
    return _INMATES.sub("Anak Binaan", text)


_INMATES_EN = re.compile(r"\b(?:inmates|prisoners)\b", re.IGNORECASE)
_INMATE_EN = re.compile(r"\b(?:inmate|prisoner)\b", re.IGNORECASE)


def _for_children_en(text: str) -> str:
    """At an LPKA, in English: children, never inmates."""
    def keep_case(word: str) -> Callable[[re.Match[str]], str]:
        return lambda m: word.capitalize() if m.group(0)[0].isupper() else word

    return _INMATE_EN.sub(keep_case("child"), _INMATES_EN.sub(keep_case("children"), text))


def _as_is(text: str) -> str:
    return text


def wording(fact: Fact, item: ChecklistItem, language: Language, qualifiers: dict[str, Wording] | None = None) -> str | None:
    """The value as a ``language`` text may state it: in Indonesian as verified (a count in the house
    style); in English a count's number, else the verifier's English for this version — None when
    there is none (an English text never quotes Indonesian words; issue 10, item 7)."""
    value = fact.value or ""
    said = figure(value, item, language, qualifiers)
    if language == "id":
        return said
    if item.kind == "count" and said != value.strip().rstrip("."):  # the number was read: it is said in English
        return said
    english = fact.value_en or (said if said.replace(".", "").isdigit() else None)
    return _ZONE_EN.sub(lambda m: f"{m.group(0)} (UTC+{ZONE_OFFSETS[m.group(1)]})", english.strip().rstrip(".")) if english else None


ZONE_OFFSETS = {"WIB": 7, "WITA": 8, "WIT": 9}
# "05:00 WIB" as a verifier wrote it → "05:00 WIB (UTC+7)", the English house style (issue 10, item 7).
_ZONE_EN = re.compile(r"(?<=\d)\s*\b(WIB|WITA|WIT)\b(?!\s*\(UTC)")


def fact_view(
    fact: Fact, item: ChecklistItem, incident: Incident, language: Language, now: datetime, qualifiers: dict[str, Wording] | None = None,
    titles_en: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One verified fact as a sentence (no final period), its source, and when it was recorded;
    ``untranslated`` (and no sentence) when an English text has no English words for it."""
    nilai = wording(fact, item, language, qualifiers)
    if nilai is None:
        sentence = None
    else:
        sentence = item.statement.text(language).format(nilai=nilai) if item.statement else nilai
    same_day = day_date(fact.recorded_at, incident.timezone, language) == day_date(now, incident.timezone, language)
    source = fact.source or fact.verified_by
    if language == "en" and titles_en:
        first, _, rest = source.partition(" ")
        source = f"{titles_en[first]} {rest}" if first in titles_en and rest else source
    return {
        "id": item.id,
        "label": item.label_en if language == "en" else item.label,
        "value": fact.value,
        "sentence": sentence,
        "untranslated": sentence is None,
        "ask": item.ask.text(language) if item.ask else "",
        "source": source,
        "as_of": clock(fact.recorded_at, incident.timezone, language) if same_day else moment_text(fact.recorded_at, incident.timezone, language),
        "version": fact.version,
        "count": item.kind == "count",  # a figure that can change says when it was true (WRITING.md)
    }


def message_context(
    *,
    incident: Incident,
    plan: RunbookPlan,
    facts: list[Fact],
    cat: Catalog,
    language: Language,
    now: datetime,
    public: bool,
    claim_by: str = "",
) -> dict[str, Any]:
    """Everything a template of ``plan`` may use, in ``language``. ``public``: only public items."""
    who = speaker(incident, plan, cat)
    child = incident.unit_type == "lpka"
    say = (_for_children if language == "id" else _for_children_en) if child else _as_is
    latest = {f.item_id: f for f in facts if f.value}
    verified = [
        fact_view(latest[item.id], item, incident, language, now, plan.count_qualifiers, plan.source_titles_en)
        for item in plan.checklist
        if item.id in latest and (item.public or not public)
    ]
    for view in verified:
        view["sentence"] = say(str(view["sentence"])) if view["sentence"] is not None else None
    known = {view["id"] for view in verified}  # what is verified, whatever the language can state
    # What this language can state: an English text leaves out a fact with no English words and says
    # where it is published instead (never half Indonesian).
    confirmed = [view for view in verified if not view["untranslated"]]
    by_id = {view["id"]: view for view in confirmed}
    public_ids = {item.id for item in plan.checklist if item.public}
    narrative = " ".join(str(view["value"]) for view in verified)  # "Dua warga binaan melarikan diri" states a count
    # What kind of incident this is, for questions and actions that fit only some ("kabur" → the search):
    # what has been verified; before anything is, the report (a claim: it chooses what we ask, it is
    # never said — and once facts exist, a rumour of an escape no longer asks about a search).
    story = narrative if narrative.strip() else incident.summary

    def fits(pattern: str | None, unless: str | None = None) -> bool:
        if unless is not None and re.search(unless, narrative, re.IGNORECASE):
            return False
        return pattern is None or re.search(pattern, story, re.IGNORECASE) is not None

    asked = [
        item for item_id in plan.first_questions
        if item_id not in known and (item := plan.item(item_id)) is not None and item.ask is not None
        and not item.stated_in(narrative) and fits(item.asked_when, item.asked_unless)
    ]
    open_questions = [say(item.ask.text(language)) for item in asked]
    # An action that only seeks an answer the open questions already name is said once, as the
    # question ("Kami masih memastikan kapan … direkam", not also "sedang menelusuri kapan … direkam").
    actions = [a for a in plan.actions
               if not (a.until and (a.until in known or a.until in {i.id for i in asked})) and fits(a.when, a.unless)]
    office_zone = HEADQUARTERS_ZONE if who.org in HEADQUARTERS.values() else incident.timezone
    office_day = now.astimezone(ZoneInfo(office_zone)).date()
    within = plan.plan.press_conference_within_minutes
    deadline = incident.detected_at + timedelta(minutes=within) if within else None
    # Said only while it can still be kept: after the deadline the text announces the time instead.
    press_by = "" if not deadline or deadline <= now else (
        clock(deadline, incident.timezone, language) if day_date(deadline, incident.timezone, language) == day_date(now, incident.timezone, language)
        else moment_text(deadline, incident.timezone, language))
    grief = plan.condolence
    died = grief is not None and any(re.search(grief.when, str(v["value"]), re.IGNORECASE) for v in verified if v["id"] in public_ids)
    facts = [v for v in confirmed if v["id"] != "apa" and not (v["id"] == "kapan" and "apa" in by_id)]
    # What a holding statement shows: the public's first questions answered, a verified death (its
    # condolence never precedes it), every verified count, the result of a standard action that is
    # done (the recount's outcome, not silence), and the response under way ("situasi terkendali").
    results = {a.until for a in plan.actions if a.until}
    shown_ids = [*(i for i in plan.first_questions if i in by_id),
                 *(v["id"] for v in confirmed if grief is not None and v["id"] in public_ids
                   and re.search(grief.when, str(v["value"]), re.IGNORECASE)),
                 *(v["id"] for v in confirmed if v["count"] or v["id"] in results or v["id"] == "tindakan")]
    first = [by_id[i] for i in dict.fromkeys(shown_ids) if i not in ("apa", "kapan")]
    shown = first or facts[:2]  # a holding statement with verified facts never shows none of them
    rule = plan.misconduct
    misconduct = rule is not None and rule.item in latest and rule.confirmed(latest[rule.item].value)
    cadence = plan.plan.update_every_minutes
    place = where(incident, language)
    return {
        "lang": language,
        "public": public,
        "speaker": {"level": who.level.value, "org": who.org, "name": who.name, "title": who.title[language], "city": who.city,
                    "desk": who.desk, "headquarters": who.org in HEADQUARTERS.values()},
        "incident": {
            "unit": place, "unit_type": incident.unit_type, "kanwil": incident.kanwil_name,
            "province": incident.province, "category": plan.category_title_en if language == "en" else plan.category_title,
            "severity": incident.severity.value, "detected": moment_text(incident.detected_at, incident.timezone, language),
            "claim": incident.summary, "claim_by": claim_by,
            "child_unit": incident.unit_type == "lpka",
        },
        "headline": say(plan.headline.text(language).format(unit=where(incident, language, headline=True))) if plan.headline else "",
        "topic": say(plan.topic.text(language).format(unit=place)) if plan.topic else "",
        "wbp": ("Anak Binaan" if child else "warga binaan") if language == "id" else ("children" if child else "inmates"),
        # The dateline and the letter number carry the date where the speaking office is (Jakarta for Ditjenpas).
        "dateline": f"{who.city}, {day_date(now, office_zone, language)}",
        "issued": moment_text(now, incident.timezone, language),
        "number": f"{incident.id[:8].upper()}/HM.01.02/{ROMAN_MONTHS[office_day.month - 1]}/{office_day.year}",
        "lead": by_id.get("apa"),
        "when": by_id.get("kapan") if "apa" in by_id else None,  # said in the lead, with what happened
        "facts": facts,
        # The public's first questions answered, then any other verified count (a recapture): a
        # holding statement never leaves out a verified figure the press release states.
        "first": shown,
        # Checked beyond when and where: only then does the opening say findings follow, not "being verified".
        "checked": any(v["id"] not in ("kapan", "di_mana") for v in shown),
        "website": urlsplit(cat.channels.statement_url).netloc,
        "unknown": open_questions,
        "actions": [say(a.en if language == "en" else a.id) for a in actions],
        "untranslated": [view["label"] for view in verified if view["untranslated"]],
        "strategy": plan.plan.strategy.value,
        "misconduct_confirmed": misconduct,
        "condolence": grief.words.text(language) if died and grief else "",
        "commitment": say(plan.commitment.text(language)) if plan.commitment else "",
        "update_within": cadence,
        "press_conference_within": plan.plan.press_conference_within_minutes,
        "press_conference_by": press_by,
        "hashtags": plan.hashtags,
    }
