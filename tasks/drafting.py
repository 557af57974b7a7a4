"""Stages 3 and 6: draft the holding statement first, the full set of messages once verified."""

from __future__ import annotations

from prefect import task

from pasopati.catalog import catalog
from pasopati.drafting import render_draft
from pasopati.models import Draft, Fact, FactSet, Incident, Stage, Team, utcnow
from pasopati.runbook import MessageType, RunbookPlan
from pasopati.store import get_store
from tasks.progress import reach


def _render(incident: Incident, plan: RunbookPlan, team: Team, facts: list[Fact], types: list[MessageType]) -> list[Draft]:
    cat = catalog()
    spokesperson = cat.roster.roles[plan.plan.spokesperson.role].title
    now = utcnow()
    return [
        render_draft(
            incident=incident,
            plan=plan,
            spokesperson=spokesperson,
            team=team,
            facts=facts,
            spec=spec,
            language=language,
            templates_dir=cat.templates_dir,
            now=now,
        )
        for spec in plan.plan.messages
        if spec.type in types
        for language in spec.languages
    ]


def rerender(incident: Incident, plan: RunbookPlan, team: Team, facts: list[Fact], draft: Draft) -> Draft:
    """The templates' text for ``draft``'s message on ``facts`` (for a revision after request-changes)."""
    fresh = [d for d in _render(incident, plan, team, facts, [draft.message_type]) if d.language == draft.language]
    return fresh[0] if fresh else draft


def _draft(incident: Incident, plan: RunbookPlan, team: Team, facts: FactSet, types: list[MessageType]) -> list[Draft]:
    store = get_store()
    existing = [d for d in store.drafts(incident.id, plan.severity.value) if d.message_type in types and d.revision == 1]
    if existing:
        # Drafted before a suspend. The first revision: the approval loop replays the recorded
        # decisions (edits, revisions) from it to reach the text now awaiting a decision.
        return existing
    drafts = _render(incident, plan, team, facts.facts, types)
    store.save_drafts(drafts)
    return drafts


@task(name="susun-pernyataan-awal")
def draft_holding_statement(incident: Incident, plan: RunbookPlan, team: Team, facts: FactSet) -> list[Draft]:
    """Drafted from the trigger alone (CERC: be first); unconfirmed items say so explicitly."""
    drafts = _draft(incident, plan, team, facts, [MessageType.HOLDING_STATEMENT])
    reach(incident, Stage.HOLDING_DRAFTED)
    return drafts


@task(name="susun-pesan")
def draft_messages(incident: Incident, plan: RunbookPlan, team: Team, facts: FactSet) -> list[Draft]:
    later = [m.type for m in plan.plan.messages if m.type is not MessageType.HOLDING_STATEMENT]
    drafts = _draft(incident, plan, team, facts, later)
    reach(incident, Stage.DRAFTED)
    return drafts
