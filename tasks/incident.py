"""Stage 1: open the incident from a trigger, name and tag the run, record what the reporter confirmed."""

from __future__ import annotations

import uuid

from prefect import get_client, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import ObjectNotFound

from pasopati.db import get_database
from pasopati.facts import service as facts
from pasopati.facts.models import FactSet
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Stage, Trigger
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan, Severity
from pasopati.runs import flow_name, run_name, run_tags
from tasks.progress import show


# Not cached: every start of the run (first, after a suspend, a retry) is checked again.
@task(name="periksa-run", cache_policy=NO_CACHE)
def admit_run(severity: Severity, trigger: Trigger, flow_run_id: str, deployment_id: uuid.UUID | None) -> None:
    """Refuse (``incidents.RunRefused``, audited) a run whose ``severity`` contradicts its deployment,
    or that an escalation superseded; a run outside any deployment keeps its parameter."""
    deployment = None
    if deployment_id is not None:
        with get_client(sync_client=True) as client:
            found = client.read_deployment(deployment_id)
        deployment = f"{flow_name(found.flow_id)}/{found.name}"
    incidents.admit(get_database(), flow_run_id, severity, deployment, trigger)


def is_live(flow_run_id: str) -> bool:
    """The run exists on the Prefect server and is not final (scheduled, running, suspended, cancelling)."""
    with get_client(sync_client=True) as client:
        try:
            run = client.read_flow_run(uuid.UUID(flow_run_id))
        except ObjectNotFound:
            return False
    return run.state is None or not run.state.is_final()


@task(name="buka-insiden")
def open_incident(plan: RunbookPlan, trigger: Trigger, flow_run_id: str) -> Incident:
    """Open the incident, or carry the one alert intake opened or escalated for this run; raises
    ``incidents.RunRefused`` (audited) when the run may not carry the incident its trigger names."""
    db = get_database()
    if existing := incidents.carried_by(db, flow_run_id):
        return existing  # re-run after a suspend: the store, not the cache, is the source of truth
    progress = create_progress_artifact(0.0, description=f"{plan.category} / {plan.severity.value}")
    try:
        incident = incidents.open_for_run(db, plan, trigger, catalog().roster, flow_run_id, str(progress), is_live=is_live)
    except incidents.RunRefused as refused:
        update_progress_artifact(progress, progress=0.0, description=str(refused))
        raise
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
