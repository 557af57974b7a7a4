"""Fact corrections after publication: record the new versions, flag every published message that
stated an old value, and prepare the ralat (correction) that goes through approval like any message."""

from __future__ import annotations

from prefect import task

from pasopati.db import get_database
from pasopati.drafts.models import Draft
from pasopati.facts import service as facts
from pasopati.facts.models import FactSet
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.publications.corrections import flag_outdated as flag


@task(name="catat-koreksi-fakta")
def record_corrections(
    incident: Incident, plan: RunbookPlan, values: dict[str, str], source: str, verified_by: str, change: str
) -> FactSet:
    current = facts.submit(get_database(), incident, plan, values, source=source, by=verified_by, change=change, via="koreksi")
    return FactSet(incident_id=incident.id, stage="current", facts=current)


@task(name="tandai-pesan-usang")
def flag_outdated(incident: Incident, plan: RunbookPlan, change: str) -> list[Draft]:
    """Flag published messages whose figures changed; one ralat draft per language, to the same channels."""
    return flag(get_database(), incident, plan, change, catalog())
