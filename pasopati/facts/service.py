"""Fact acts: one submission (what a trigger confirms, a verification, a correction) records new
versions of the figures it changes, in one transaction with one audit event per version."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record
from pasopati.db import Database
from pasopati.facts.models import Fact
from pasopati.facts.tables import FactRow
from pasopati.figures import figures, moments
from pasopati.incidents.models import Incident, Stage, Trigger
from pasopati.incidents.service import mark_stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import ChecklistItem, RunbookPlan
from pasopati.privacy.names import beyond_initials, place_words
from pasopati.texts import TextRefused, number_words, plain
from pasopati.time import utcnow


class UnknownChecklistItem(ValueError):
    """A value for an item the runbook's checklist does not have."""


def check_items(plan: RunbookPlan, items: set[str]) -> None:
    """Raise UnknownChecklistItem naming the unknown ids and the known ones."""
    unknown = sorted(items - {i.id for i in plan.checklist})
    if unknown:
        known = ", ".join(i.id for i in plan.checklist)
        raise UnknownChecklistItem(f"unknown checklist item(s) {unknown} for {plan.category}; known: {known}")


class UnacceptedSource(ValueError):
    """A value whose source the runbook does not accept for that item (a chat group, a rumour, the
    media center citing itself)."""


# A chat, a rumour or a question is never a source, whatever office it names (DOMAIN.md: "never a
# chat group"): "Grup WhatsApp Polres", "katanya SDP?", "bukan dari Polres".
_NOT_A_SOURCE = re.compile(
    r"\?|\b(?:grup|group|whatsapp|wa|telegram|medsos|media\s+sosial|twitter|tiktok|instagram|facebook|katanya|kabarnya"
    r"|konon|palsu|bukan|tidak|hoaks|hoax|rumou?r|isu|gosip|warga|netizen|akun|anonim|mengaku|unggahan|postingan)\b",
    re.IGNORECASE,
)


def accepted(item: ChecklistItem, source: str) -> bool:
    """Whether ``source`` names one of the item's accepted sources as a word ('Polres Garut', 'Kepala
    KPLP') and no chat or rumour ('Grup WhatsApp Polres', 'Polres palsu', 'SDP?' do not pass)."""
    said = " ".join(plain(source).split())
    if _NOT_A_SOURCE.search(said):
        return False
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", said, re.IGNORECASE) for name in item.sources)


MAX_VALUE = 2_000  # characters: a fact is a sentence or two, never a document


def plain_values(values: dict[str, str]) -> dict[str, str]:
    """Values as every check and channel sees them (pasopati.texts.plain). Raises TextRefused for a
    value longer than MAX_VALUE characters or holding a word no reader would read."""
    result = {}
    for item_id, value in values.items():
        text = plain(str(value)).strip()
        if len(text) > MAX_VALUE:
            raise TextRefused(f"{item_id}: value of {len(text)} characters, at most {MAX_VALUE}")
        result[item_id] = text
    return result


class UntrueTranslation(TextRefused):
    """An English value with no Indonesian value to translate, not English, or stating other figures than it."""


_INDONESIAN_WORDS = frozenset(
    ["yang", "dan", "di", "ke", "dari", "tidak", "telah", "sudah", "dengan", "untuk", "pada", "ini", "itu", "dalam", "akan", "oleh",
     "sebanyak", "warga", "binaan", "orang", "petugas"])
_ENGLISH_WORDS = frozenset(["the", "and", "of", "to", "in", "was", "were", "is", "are", "has", "have", "with", "at", "on", "by", "for",
                            "no", "not", "been", "from"])


_COLLECTIVE = re.compile(r"\bke(dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh)(?:nya)?\b", re.IGNORECASE)


def _indonesian(text: str) -> bool:
    """More Indonesian function words than English ones, and at least two: "Tiga warga binaan luka-luka"."""
    tokens = re.findall(r"[^\W\d_]+", text.lower())
    id_words, en_words = sum(t in _INDONESIAN_WORDS for t in tokens), sum(t in _ENGLISH_WORDS for t in tokens)
    return id_words >= 2 and id_words > en_words


def check_english(values_en: dict[str, str], values: dict[str, str | None]) -> None:
    """Raise UntrueTranslation naming each item whose English value (``values_en``, already plain)
    translates nothing (``values``: the Indonesian value it goes with, given now or current), is the
    Indonesian again or reads as Indonesian, or states other counts, times, dates, years or weekdays
    than it (pasopati.figures: "Dua warga binaan" / "Three inmates", "pukul 23.15 WIT" / "23:15 WIB"
    differ). One set of figures in both languages (issue 10, items 7 and 11)."""
    wrong = []
    for item_id, english in values_en.items():
        value = values.get(item_id)
        if not english:
            continue
        if not value:
            wrong.append(f"{item_id} (en): no Indonesian value to translate")
            continue
        if english.casefold() == value.casefold() or _indonesian(english):
            wrong.append(f"{item_id} (en): not English ({english[:60]!r})")
            continue
        # One is compared apart: "seorang" and "an inmate" state it in words no count reads.
        said_all, told_all = [n for n, _, _ in figures(value, "id")], [n for n, _, _ in figures(english, "en")]
        said_all += [Decimal(number_words("id")[m.group(1).lower()]) for m in _COLLECTIVE.finditer(value)]  # "ketiganya": all three
        said, told = sorted(n for n in said_all if n != 1), sorted(n for n in told_all if n != 1)
        one_said = 1 in said_all or re.search(r"\bse(?:orang|buah|ekor)\b", value, re.IGNORECASE)
        one_told = 1 in told_all or re.search(r"\ban?\b", english, re.IGNORECASE)
        if (1 in told_all and not one_said) or (one_said and not one_told):
            wrong.append(f"{item_id} (en): states one where the value {'does not' if 1 in told_all else 'does'}")
        elif said != told:
            wrong.append(f"{item_id} (en): states the figures {[str(n) for n in told]}, the value {[str(n) for n in said]}")
        elif moments(english) != moments(value):
            wrong.append(f"{item_id} (en): states the times and dates {moments(english)}, the value {moments(value)}")
    if wrong:
        raise UntrueTranslation("; ".join(wrong))


class PersonNamed(TextRefused):
    """A value of an initials-only item that names a person in full or identifies them."""


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    return place_words(catalog().roster.place_names())


def check_people(plan: RunbookPlan, values: dict[str, str], english: dict[str, str]) -> None:
    """Raise PersonNamed naming each value of an initials-only item (``ChecklistItem.initials_only``)
    with anything beyond initials (pasopati.privacy.names.beyond_initials: "AS dan BT" passes, "Ahmad
    Santoso" does not; DOMAIN.md); English values are checked for listed people and numbers only.
    Names in other public values are findings at drafting (pasopati.drafts.privacy_check), not a
    refusal here: a place mistaken for a name must never block a verification."""
    wrong = []
    for item_id, value in [*values.items(), *((f"{k} (en)", v) for k, v in english.items())]:
        item = plan.item(item_id.removesuffix(" (en)"))
        if item is None or not item.initials_only or not value.strip():
            continue
        if named := beyond_initials(value, _places(), vocabulary=not item_id.endswith(" (en)")):
            wrong.append(f"{item_id}: initials only (DOMAIN.md), not {', '.join(repr(t) for t in named)}")
    if wrong:
        raise PersonNamed("; ".join(wrong))


def check_sources(plan: RunbookPlan, values: dict[str, str], source: str, sources: dict[str, str] | None = None) -> None:
    """Raise UnacceptedSource naming each item whose (non-blank) value comes from a source the
    runbook does not accept for it, with the sources it accepts."""
    wrong = []
    for item_id, value in values.items():
        item = plan.item(item_id)
        given = (sources or {}).get(item_id, source)
        if item is not None and value.strip() and not accepted(item, given):
            wrong.append(f"{item_id}: source {given!r} is not accepted (accepted: {', '.join(item.sources)})")
    if wrong:
        raise UnacceptedSource("; ".join(wrong))


def reported_values(plan: RunbookPlan, trigger: Trigger, unit_name: str) -> dict[str, str]:
    """What a trigger confirms: only the items it reports with a source the runbook accepts for
    them. Its summary is a claim (the reporter's words) and confirms nothing; neither does an alert.

    Raises UnknownChecklistItem or UnacceptedSource (the reporter is the source of its facts)."""
    check_items(plan, set(trigger.reported_facts))
    values = dict(trigger.reported_facts)
    check_sources(plan, values, trigger.reported_by)
    return values


def submit(
    db: Database,
    incident: Incident,
    plan: RunbookPlan,
    values: dict[str, str],
    *,
    source: str,
    by: str,
    change: str,
    sources: dict[str, str] | None = None,
    values_en: dict[str, str] | None = None,
    via: str,
    stage: Stage | None = None,
) -> list[Fact]:
    """Record ``values`` (item id → value; blank: "no longer confirmed") and ``values_en`` (item id
    → the value in English) as new versions where they differ from the current ones. A new value
    without English drops the old English (it translated another value); an English value alone
    adds a version of the same value. Idempotent per ``change``: re-running a submission records
    nothing new. Returns the current version of every item of the incident.

    Raises UnknownChecklistItem for an id not in the runbook's checklist, UnacceptedSource for a
    source the runbook does not accept for an item, UntrueTranslation (``submit_in`` checks, before
    it writes anything)."""
    with db.write() as session:
        return submit_in(session, incident, plan, values, source=source, by=by, change=change, sources=sources,
                         values_en=values_en, via=via, stage=stage)


def submit_in(
    session: Session,
    incident: Incident,
    plan: RunbookPlan,
    values: dict[str, str],
    *,
    source: str,
    by: str,
    change: str,
    sources: dict[str, str] | None = None,
    values_en: dict[str, str] | None = None,
    via: str,
    stage: Stage | None = None,
    proof: str | None = None,
) -> list[Fact]:
    """``submit`` inside another act's transaction (a verification proven at its gate round);
    ``proof`` says how ``by`` was identified and goes into each fact's audit event."""
    rows = list(session.scalars(select(FactRow).where(FactRow.incident_id == incident.id).order_by(FactRow.version)))
    current = {r.item_id: r for r in rows}
    values, english = check_submission(plan, values, source, sources, values_en, {i: r.value for i, r in current.items()})
    now = utcnow()
    done = {r.item_id for r in rows if r.change == change}
    for item in plan.checklist:
        if (item.id not in values and item.id not in english) or item.id in done:
            continue
        previous = current.get(item.id)
        value = (values[item.id] or None) if item.id in values else previous.value if previous else None
        # English given now, else the old English while the value it translates stands.
        value_en = english.get(item.id) or (previous.value_en if previous and previous.value == value else None)
        item_source = (sources or {}).get(item.id, source) if item.id in values or previous is None else previous.source
        if previous is not None and previous.value == value and previous.value_en == value_en:
            continue  # submitted unchanged (forms come prefilled): the version and its source stand
        if previous is None and value is None:
            continue
        row = FactRow(
            incident_id=incident.id, item_id=item.id, version=(previous.version + 1) if previous else 1, change=change,
            label=item.label, value=value, value_en=value_en, source=item_source, public=item.public, verified_by=by,
            recorded_at=now,
        )
        session.add(row)
        current[item.id] = row
        record(
            session, "fact.recorded", actor=by, incident_id=incident.id, flow_run_id=incident.flow_run_id,
            details={"item": item.id, "label": item.label, "version": row.version, "value": value, "value_en": value_en,
                     "previous": previous.value if previous else None, "source": item_source, "public": item.public,
                     "change": change, "via": via, "proof": proof},
        )
    if stage is not None:
        mark_stage(session, incident.id, stage)
    return [Fact.model_validate(r, from_attributes=True) for r in current.values()]


def check_submission(
    plan: RunbookPlan, values: dict[str, str], source: str, sources: dict[str, str] | None, values_en: dict[str, str] | None,
    current: dict[str, str | None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Every check a submission passes before anything is written, in the order a refusal names:
    items, readable values, sources, people named, English. ``current``: item id → its current value. Returns the
    values and English values as stored (pasopati.texts.plain). Raises UnknownChecklistItem,
    TextRefused, UnacceptedSource, PersonNamed, UntrueTranslation."""
    check_items(plan, set(values) | set(sources or {}) | set(values_en or {}))
    values = plain_values(values)
    english = plain_values(values_en or {})
    check_sources(plan, values, source, sources)
    check_people(plan, values, english)
    check_english(english, current | {k: v or None for k, v in values.items()})
    return values, english


def recorded_in(session: Session, incident_id: str, change: str) -> list[Fact]:
    """The versions a submission ``change`` recorded (none: it was never recorded, or changed nothing)."""
    rows = session.scalars(select(FactRow).where(FactRow.incident_id == incident_id, FactRow.change == change).order_by(FactRow.version))
    return [Fact.model_validate(r, from_attributes=True) for r in rows]


def current_in(session: Session, incident_id: str) -> list[Fact]:
    """The latest version of every item, inside another act's transaction."""
    latest: dict[str, Fact] = {}
    for row in session.scalars(select(FactRow).where(FactRow.incident_id == incident_id).order_by(FactRow.version)):
        latest[row.item_id] = Fact.model_validate(row, from_attributes=True)
    return list(latest.values())


# Reads ---------------------------------------------------------------------------------------------
def history(db: Database, incident_id: str) -> list[Fact]:
    """Every version, by item then version (an auditor's history)."""
    with db.read() as session:
        return history_in(session, incident_id)


def history_in(session: Session, incident_id: str) -> list[Fact]:
    rows = session.scalars(select(FactRow).where(FactRow.incident_id == incident_id).order_by(FactRow.item_id, FactRow.version))
    return [Fact.model_validate(row, from_attributes=True) for row in rows]


def current(db: Database, incident_id: str) -> list[Fact]:
    """The latest version of every item: the one source of truth for each figure."""
    latest: dict[str, Fact] = {}
    for fact in history(db, incident_id):
        latest[fact.item_id] = fact
    return list(latest.values())


def versions(db: Database, incident_id: str) -> dict[tuple[str, int], Fact]:
    return {(f.item_id, f.version): f for f in history(db, incident_id)}
