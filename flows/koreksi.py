"""Correct facts of an incident: new fact versions → flag what was published with the old values →
ralat draft → approval (same authority as the incident's severity) → publish to the same channels.

Started by ``pasopati facts RUN …`` once a run is past verification, or from the Prefect UI (the
deployment's parameter form).
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.context import get_run_context
from prefect.states import Completed, Failed, State

from flows.approval import approved_drafts
from pasopati.db import get_database
from pasopati.decisions.gates import GATE_CORRECTION
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import catalog
from pasopati.publications import service as publications
from pasopati.publications.corrections import RALAT_PREFIX
from pasopati.publications.models import RUN_PARTIAL
from pasopati.team import service as team_service
from tasks.correction import correction_recorded, flag_outdated, record_corrections
from tasks.evaluation import publish_timeline
from tasks.publishing import describe, publish_all, unfinished


class CorrectionFailed(RuntimeError):
    """The incident is unknown."""


@task(name="ikuti-insiden")
def join_incident(incident_id: str, flow_run_id: str) -> Incident:
    """This run acts for the incident: `pasopati approve/status` find it through the store."""
    try:
        return incidents.join_run(get_database(), incident_id, flow_run_id, purpose="koreksi")
    except incidents.IncidentNotFound as exc:
        raise CorrectionFailed(str(exc)) from exc


@flow(name="koreksi-fakta", persist_result=True, log_prints=True, validate_parameters=True)
def correct_facts(
    incident_id: str, facts: dict[str, str] | None = None, source: str = "", verified_by: str = "", kode: str = "",
    ralat: bool = False, recorded_change: str = "",
) -> int | State:
    """Record changed facts (item id → value) proven by ``verified_by``'s TOTP ``kode`` — or take a
    change already recorded and proven through ``pasopati facts`` (``recorded_change``); returns
    how many of the incident's publications are flagged as outdated so far. ``ralat``: the published
    figures were wrong (a ralat with apology); otherwise they evolved (an update)."""
    flow_run = get_run_context().flow_run  # type: ignore[union-attr]
    run_id = str(flow_run.id) if flow_run else incident_id
    incident = join_incident(incident_id, run_id)
    plan = catalog().plan(incident.category, incident.severity)
    if recorded_change:
        change = recorded_change
        if not correction_recorded(incident, change):
            return Failed(message=f"Ditolak — tidak ada koreksi tercatat {change!r} untuk insiden {incident.id}")
    else:
        change = f"{RALAT_PREFIX if ralat else 'koreksi:'}{run_id}"
        if (refused := record_corrections(incident, plan, facts or {}, source, verified_by, kode, change)) is not None:
            return Failed(message=f"Ditolak — koreksi tidak dicatat: {refused}")
    drafts = flag_outdated(incident, plan, change)
    db = get_database()
    flagged = [p for p in publications.publications(db, incident.id) if p.flag]
    if not drafts:
        get_run_logger().info("no published message stated the old values: nothing to correct publicly")
        publish_timeline(incident)
        return len(flagged)
    team = team_service.team(db, incident.id, incident.severity)
    assert team is not None, "a run past its first approval assembled its team"
    approved = approved_drafts(GATE_CORRECTION, incident, plan, team, drafts)
    published = publish_all(incident, approved) if approved is not None else []
    publish_timeline(incident)
    if unfinished(published):
        return Failed(name=RUN_PARTIAL, message=f"{RUN_PARTIAL} — ralat: {describe(published)}; "
                      f"kirim ulang: pasopati publish retry {run_id}", data=len(flagged))
    if approved is None:
        return Completed(name="Ditolak", message=f"Ditolak — ralat tidak terbit; {len(flagged)} pesan tetap ditandai usang", data=len(flagged))
    return Completed(name="Selesai", message=f"Selesai — ralat terbit; {len(flagged)} pesan ditandai usang", data=len(flagged))
