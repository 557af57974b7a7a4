"""Stage 1: open the incident from a trigger, name and tag the run, record what the reporter confirmed."""

from __future__ import annotations

import uuid

from prefect import get_client, task
from prefect.artifacts import create_progress_artifact

from pasopati.db import get_database
from pasopati.facts import service as facts
from pasopati.facts.models import FactSet
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Stage, Trigger
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.runs import run_name
from tasks.progress import show


def run_tags(incident: Incident) -> list[str]:
    """Tags an auditor filters by in the Prefect UI."""
    return [
        f"kategori:{incident.category}",
        f"tingkat:{incident.severity.value}",
        f"upt:{incident.unit_name}",
        f"kanwil:{incident.kanwil_name}",
    ]


@task(name="buka-insiden")
def open_incident(plan: RunbookPlan, trigger: Trigger, flow_run_id: str) -> Incident:
    """Open the incident, or take over the one alert intake opened or escalated for this run."""
    db = get_database()
    if existing := incidents.for_run(db, flow_run_id):
        return existing  # re-run after a suspend: the store, not the cache, is the source of truth
    progress = create_progress_artifact(0.0, description=f"{plan.category} / {plan.severity.value}")
    incident = incidents.open_for_run(db, plan, trigger, catalog().roster, flow_run_id, str(progress))
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(uuid.UUID(flow_run_id))
        client.update_flow_run(run.id, name=run_name(incident), tags=sorted({*run.tags, *run_tags(incident)}))
    show(incident, Stage.OPENED)
    return incident


@task(name="catat-fakta-awal")
def record_reported_facts(incident: Incident, plan: RunbookPlan, trigger: Trigger) -> FactSet:
    """What the trigger confirms, as the first version of each figure (claims stay unconfirmed);
    returns everything known for the incident so far (an escalated run starts from what was verified)."""
    values = facts.reported_values(plan, trigger, incident.unit_name)
    current = facts.submit(
        get_database(), incident, plan, values, source=trigger.reported_by, by=trigger.reported_by,
        change=f"laporan-awal:{plan.severity.value}", via=trigger.source,
    )
    return FactSet(incident_id=incident.id, stage="current", facts=current)
