"""Render message texts from the Jinja2 templates, using nothing but the verified facts of the run.

Templates get the context of ``pasopati.drafts.context`` (facts as sentences with source and time,
open questions, standard actions, the named spokesperson); undefined variables raise instead of
rendering blank. Every text a run drafts — holding statement, press release, Q&A sheet,
clarification, situation report, update, ralat — comes from here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel

from pasopati.drafts.context import fact_view, message_context, wording
from pasopati.drafts.models import Draft
from pasopati.facts.models import Fact
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import Language, MessageSpec, MessageType, RunbookPlan
from pasopati.team.models import Team
from pasopati.texts import environment

INTERNAL_MESSAGES = {MessageType.SITUATION_REPORT}
BLANK_RUNS = re.compile(r"\n{3,}")


class FactChange(BaseModel):
    """A figure a published message stated that has changed since: what an update or a ralat says."""

    item_id: str
    old: Fact
    new: Fact


def draft_id(incident: Incident, plan: RunbookPlan, message_type: MessageType, language: str) -> str:
    return f"{incident.id}-{plan.severity.value}-{message_type.value}-{language}"


def stated_versions(body: str, context: dict) -> dict[str, int]:  # type: ignore[type-arg]
    """Which version of each fact a text states: those whose sentence it carries (a later update or
    ralat flags exactly the messages that said it; a short rendering that left it out is not flagged)."""
    views = [v for v in (context["lead"], context["when"]) if v] + context["facts"]
    return {v["id"]: v["version"] for v in views if v["sentence"][1:] and v["sentence"][1:] in body}


def render_message(
    *,
    incident: Incident,
    plan: RunbookPlan,
    team: Team,
    facts: list[Fact],
    spec: MessageSpec,
    language: Language,
    cat: Catalog,
    now: datetime,
    claim_by: str = "",
) -> Draft:
    """The first revision of one message in one language."""
    internal = spec.type in INTERNAL_MESSAGES
    context = message_context(incident=incident, plan=plan, facts=facts, cat=cat, language=language, now=now,
                              public=not internal, claim_by=claim_by)
    if internal:
        known = {v["id"] for v in [context["lead"], context["when"], *context["facts"]] if v}
        context["pending"] = [i.label for i in plan.checklist if i.id not in known]
        # Names are for the internal situation report; public templates never use them.
        context["team"] = [m.model_dump(include={"role_title", "name", "duty", "informed_only"}) for m in team.members]
    body = _render(cat, f"{language}/{spec.type.value}.j2", context)
    return Draft(
        id=draft_id(incident, plan, spec.type, language),
        incident_id=incident.id,
        severity=plan.severity,
        message_type=spec.type,
        language=language,
        body=body,
        channels=spec.channels,
        due_at=incident.detected_at + timedelta(minutes=spec.deadline_minutes),
        created_at=now,
        fact_versions=stated_versions(body, context),
    )


def _render(cat: Catalog, name: str, context: dict) -> str:  # type: ignore[type-arg]
    """The template's text with paragraphs separated by exactly one blank line (templates may leave
    more where an optional paragraph is absent)."""
    text = environment(cat.templates_dir).get_template(name).render(**context, c=context)
    lines = [line.rstrip() for line in text.strip().split("\n")]
    return BLANK_RUNS.sub("\n\n", "\n".join(lines)) + "\n"


def render_change(
    *,
    draft_id: str,
    kind: MessageType,
    incident: Incident,
    plan: RunbookPlan,
    facts: list[Fact],
    language: Language,
    changes: list[FactChange],
    channels: list[str],
    cat: Catalog,
    now: datetime,
) -> Draft:
    """An update (pemutakhiran: a figure evolved) or a ralat (correction: a published figure was
    wrong): what was said, what is true now, its source and time; as urgent as a holding statement."""
    context = message_context(incident=incident, plan=plan, facts=facts, cat=cat, language=language, now=now, public=True)
    views, untranslated = [], []
    for change in changes:
        item = plan.item(change.item_id)
        assert item is not None, f"{change.item_id} is a checklist item"
        label = item.label_en if language == "en" else item.label
        now_view = fact_view(change.new, item, incident, language, now, plan.count_qualifiers, plan.source_titles_en) if change.new.value else None
        # As verified in Indonesian; in English the words its verifier gave (none: said where it is published).
        old, new = ((change.old.value, change.new.value or "") if language == "id" else
                    (wording(change.old, item, language, plan.count_qualifiers), wording(change.new, item, language, plan.count_qualifiers)
                     if change.new.value else ""))
        if old is None or new is None:
            untranslated.append(label)
            continue
        views.append({"label": label, "old": old, "new": new,
                      "source": now_view["source"] if now_view else change.new.verified_by,
                      "as_of": now_view["as_of"] if now_view else "", "now": now_view})
    context["changes"], context["untranslated"] = views, untranslated
    body = _render(cat, f"{language}/{kind.value}.j2", context)
    return Draft(
        id=draft_id,
        incident_id=incident.id,
        severity=incident.severity,
        message_type=kind,
        language=language,
        body=body,
        channels=channels,
        due_at=now + timedelta(minutes=plan.plan.messages[0].deadline_minutes),
        created_at=now,
        fact_versions={c.item_id: c.new.version for c in changes},
    )
