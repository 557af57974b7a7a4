"""Every message of one runbook cell rendered without a run or a store: how an institution reviews
its templates (``pasopati preview``) and how the tests check all 20 cells."""

from __future__ import annotations

from datetime import datetime

from pasopati.drafts.models import Draft
from pasopati.drafts.review import Review, review_of
from pasopati.drafts.service import render
from pasopati.facts.models import Fact
from pasopati.facts.service import check_items, check_submission
from pasopati.incidents.models import Trigger
from pasopati.incidents.service import build
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import Severity
from pasopati.team.models import Team
from pasopati.time import utcnow

PREVIEW_ID = "00000000-preview"


def preview_facts(cat: Catalog, category: str, facts: dict[str, object], at: datetime) -> list[Fact]:
    """Facts for a preview: ``item: value`` (cited to the item's first accepted source) or ``item:
    {value, source, en}`` (``en``: the value in English). Raises the
    errors of pasopati.facts.service.check_submission, ValueError for another shape."""
    plan = cat.plan(category, Severity.RINGAN)
    check_items(plan, set(facts))
    result = []
    for item_id, given in facts.items():
        item = plan.item(item_id)
        assert item is not None
        english = ""
        if isinstance(given, dict):
            if unknown := sorted(set(given) - {"value", "source", "en"}):
                raise ValueError(f"{item_id}: unknown key(s) {unknown}; expected value, source, en")
            value, source, english = given.get("value", ""), given.get("source", item.sources[0]), given.get("en", "")
            if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in (value, english)) or not isinstance(source, str):
                raise ValueError(f"{item_id}: value, source and en must be text")
            value, english = str(value), str(english)
        elif isinstance(given, str | int | float) and not isinstance(given, bool):
            value, source = str(given), item.sources[0]
        else:
            raise ValueError(f"{item_id}: expected a value or {{value, source, en}}, got {type(given).__name__}")  # noqa: TRY004  (a user file: the CLI reports ValueErrors)
        # As a verification would store them, after the same checks.
        values, values_en = check_submission(plan, {item_id: value}, source, None, {item_id: english} if english else {}, {})
        result.append(Fact(item_id=item_id, label=item.label, value=values[item_id] or None, value_en=values_en.get(item_id) or None,
                           source=source, public=item.public, verified_by="pratinjau", recorded_at=at))
    return result


def preview(
    cat: Catalog, category: str, severity: Severity, unit: str, summary: str, facts: dict[str, object] | None = None,
    *, now: datetime | None = None, detected_at: datetime | None = None,
) -> list[Draft]:
    """Revision 1 of every message of CATEGORY × SEVERITY at UNIT, in every language, as a run would
    draft it with these verified facts. Raises KeyError (category), UnknownUnit, UnknownChecklistItem,
    UnacceptedSource."""
    return [draft for draft, _ in reviewed_preview(cat, category, severity, unit, summary, facts, now=now, detected_at=detected_at)]


def reviewed_preview(
    cat: Catalog, category: str, severity: Severity, unit: str, summary: str, facts: dict[str, object] | None = None,
    *, now: datetime | None = None, detected_at: datetime | None = None,
) -> list[tuple[Draft, Review]]:
    """``preview``, each draft with what its approval would be refused for (pasopati.drafts.review)."""
    now = now or utcnow()
    plan = cat.plan(category, severity)
    incident = build(plan, Trigger(unit=unit, summary=summary, detected_at=detected_at or now), cat.roster, incident_id=PREVIEW_ID)
    known = preview_facts(cat, category, facts or {}, now)
    team = Team(incident_id=incident.id, severity=severity, members=[], assembled_at=now)
    drafts = render(incident, plan, team, known, [m.type for m in plan.plan.messages], cat, now)
    return [(draft, review_of(draft, incident, known, cat, now)) for draft in drafts]
