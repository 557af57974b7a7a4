"""Stages 3 and 6: draft the holding statement first, the full set of messages once verified."""

from __future__ import annotations

from prefect import task

from pasopati.catalog import catalog
from pasopati.drafting import render_draft
from pasopati.models import Draft, FactSet, Incident, Stage, Team, utcnow
from pasopati.runbook import MessageType, RunbookPlan
from pasopati.store import get_store
from tasks.progress import reach


def _draft(incident: Incident, plan: RunbookPlan, team: Team, facts: FactSet, types: list[MessageType]) -> list[Draft]:
    existing = [d for d in get_store().drafts(incident.id, plan.severity.value) if d.message_type in types]
    if existing:
        return existing  # drafted before a suspend: approvers decide on exactly this text
    cat = catalog()
    spokesperson = cat.roster.roles[plan.plan.spokesperson.role].title
    now = utcnow()
    drafts = [
        render_draft(
            incident=incident,
            plan=plan,
            spokesperson=spokesperson,
            team=team,
            facts=facts.facts,
            spec=spec,
            language=language,
            templates_dir=cat.templates_dir,
            now=now,
        )
        for spec in plan.plan.messages
        if spec.type in types
        for language in spec.languages
    ]
    get_store().save_drafts(drafts)
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
