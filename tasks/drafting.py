"""Stages 3 and 6: draft the holding statement first, the full set of messages once verified."""

from __future__ import annotations

from prefect import task

from pasopati.db import get_database
from pasopati.drafts import service as drafts
from pasopati.drafts.models import Draft
from pasopati.facts.models import FactSet
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import MessageType, RunbookPlan
from pasopati.team.models import Team
from tasks.progress import show


@task(name="susun-pernyataan-awal")
def draft_holding_statement(incident: Incident, plan: RunbookPlan, team: Team, facts: FactSet) -> list[Draft]:
    """Drafted from the trigger alone (CERC: be first); unconfirmed items say so explicitly."""
    result = drafts.prepare(get_database(), incident, plan, team, [MessageType.HOLDING_STATEMENT], catalog(), Stage.HOLDING_DRAFTED)
    show(incident, Stage.HOLDING_DRAFTED)
    return result


@task(name="susun-pesan")
def draft_messages(incident: Incident, plan: RunbookPlan, team: Team, facts: FactSet) -> list[Draft]:
    later = [m.type for m in plan.plan.messages if m.type is not MessageType.HOLDING_STATEMENT]
    result = drafts.prepare(get_database(), incident, plan, team, later, catalog(), Stage.DRAFTED)
    show(incident, Stage.DRAFTED)
    return result
