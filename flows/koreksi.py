"""Correct facts of an incident: new fact versions → flag what was published with the old values →
ralat draft → approval (same authority as the incident's severity) → publish to the same channels.

Started by ``pasopati facts RUN …`` once a run is past verification, or from the Prefect UI (the
deployment's parameter form).
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.context import get_run_context

from flows.approval import approved_drafts
from pasopati.catalog import catalog
from pasopati.inputs import GATE_CORRECTION
from pasopati.models import Incident
from pasopati.store import get_store
from tasks.correction import flag_outdated, record_corrections
from tasks.publishing import publish_all


class CorrectionFailed(RuntimeError):
    """The incident is unknown, or some channels did not take the ralat (retry the run)."""


@task(name="ikuti-insiden")
def join_incident(incident_id: str, flow_run_id: str) -> Incident:
    """This run acts for the incident: `pasopati approve/status` find it through the store."""
    store = get_store()
    incident = store.incident(incident_id)
    if incident is None:
        raise CorrectionFailed(f"no incident {incident_id!r} in the store")
    store.record_run(incident.model_copy(update={"flow_run_id": flow_run_id}))
    return incident


@flow(name="koreksi-fakta", persist_result=True, log_prints=True, validate_parameters=True)
def correct_facts(incident_id: str, facts: dict[str, str], source: str, verified_by: str) -> int:
    """Record corrected facts (item id → value); returns how many of the incident's publications
    are flagged as outdated so far (this correction and earlier ones)."""
    flow_run = get_run_context().flow_run  # type: ignore[union-attr]
    run_id = str(flow_run.id) if flow_run else incident_id
    incident = join_incident(incident_id, run_id)
    plan = catalog().plan(incident.category, incident.severity)
    change = f"koreksi:{run_id}"
    record_corrections(incident, plan, facts, source, verified_by, change)
    drafts = flag_outdated(incident, plan, change)
    flagged = [p for p in get_store().publications(incident.id) if p.flag]
    if not drafts:
        get_run_logger().info("no published message stated the old values: nothing to correct publicly")
        return len(flagged)
    team = get_store().team(incident.id, incident.severity.value)
    assert team is not None, "a run past its first approval assembled its team"
    approved = approved_drafts(GATE_CORRECTION, incident, plan, team, drafts)
    if approved is not None and (failures := publish_all(incident, approved)):
        raise CorrectionFailed(f"{failures} ralat publication(s) failed; retry the run to resend")
    return len(flagged)
