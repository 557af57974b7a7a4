"""Find runbook runs on the Prefect server and move them past their human gates."""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from pydantic import BaseModel
from prefect.exceptions import ObjectNotFound
from prefect.flow_runs import resume_flow_run

from pasopati.db import Database, get_database
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import GATE_CORRECTION, GATE_TYPES, GATE_VERIFICATION, REVISION_PREFIX, gate_of
from pasopati.drafts import service as drafts
from pasopati.drafts.models import Draft
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan, Severity
from pasopati.publications import service as publications
from pasopati.texts import short_time

FLOW_PREFIX = "krisis-"


def deployment_name(category: str, severity: Severity | str) -> str:
    return f"{FLOW_PREFIX}{category}/{Severity(severity).value}"


def run_name(incident: Incident) -> str:
    """What the Prefect UI lists: category · severity · unit · detection time in the unit's zone."""
    return f"{incident.category} · {incident.severity.value} · {incident.unit_name} · {short_time(incident.detected_at, incident.timezone)}"


class RunLookupError(Exception):
    """The run does not exist, is not a runbook run, or is not waiting where the command acts."""


def find_run(ref: str) -> FlowRun:
    """A flow run by id or by its (Prefect-generated) name."""
    with get_client(sync_client=True) as client:
        try:
            return client.read_flow_run(UUID(ref))
        except ValueError:
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[ref])))
        except ObjectNotFound:
            runs = []
    if not runs:
        raise RunLookupError(f"no flow run {ref!r}")
    return runs[0]


def waiting_key(flow_run: FlowRun) -> str | None:
    state = flow_run.state
    return state.state_details.pause_key if state and state.is_paused() else None


def waiting_gate(flow_run: FlowRun) -> str | None:
    """The gate a run waits at (its pause key without the round)."""
    key = waiting_key(flow_run)
    return gate_of(key) if key else None


def waiting_run(ref: str, gates: set[str]) -> FlowRun:
    flow_run = find_run(ref)
    gate = waiting_gate(flow_run)
    if gate not in gates:
        state = flow_run.state.name if flow_run.state else "unknown"
        where = f"waiting at {gate!r}" if gate else f"not waiting for input (state: {state})"
        raise RunLookupError(f"run {flow_run.name} is {where}; this command acts at {sorted(gates)}")
    return flow_run


@lru_cache(maxsize=256)
def flow_name(flow_id: UUID) -> str:
    """A flow's name never changes for its id: asked once per process."""
    with get_client(sync_client=True) as client:
        return client.read_flow(flow_id).name


def plan_of(flow_run: FlowRun) -> RunbookPlan:
    flow_name_ = flow_name(flow_run.flow_id)
    if flow_name_.startswith(FLOW_PREFIX):
        return catalog().plan(flow_name_.removeprefix(FLOW_PREFIX), flow_run.parameters["severity"])
    incident = incidents.for_run(get_database(), str(flow_run.id))  # a correction run: its incident's plan
    if incident is None:
        raise RunLookupError(f"run {flow_run.name} is a {flow_name_!r} run, not a PASOPATI runbook")
    return catalog().plan(incident.category, incident.severity)


def incident_of(flow_run: FlowRun) -> Incident:
    incident = incidents.for_run(get_database(), str(flow_run.id))
    if incident is None:
        raise RunLookupError(f"run {flow_run.name} has no incident in the store (not started yet?)")
    return incident


def awaiting_drafts(db: Database, incident: Incident, gate: str) -> list[Draft]:
    """The text now awaiting a decision at ``gate``: the latest revision of each of its messages
    (for corrections: those not yet fully approved)."""
    base = gate.removeprefix(REVISION_PREFIX)
    latest = [d for d in drafts.list_drafts(db, incident.id, incident.severity.value, latest=True) if d.message_type in GATE_TYPES[base]]
    if base == GATE_CORRECTION:
        required = catalog().plan(incident.category, incident.severity).plan.approval.approvers_required
        latest = [d for d in latest if len(decisions.approvers(db, d)) < required]
    return latest


def resume(flow_run: FlowRun, run_input: dict[str, object], patience_seconds: float = 15) -> None:
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            resume_flow_run(flow_run.id, run_input=run_input)
            return
        except RuntimeError as exc:  # the server validated the input against the gate's form and refused it
            # Prefect marks a run Paused before it saves the gate's form; on a busy SQLite server
            # that save can lag by seconds. Only that case is worth waiting for.
            if "schema not found" not in str(exc) or time.monotonic() > deadline:
                raise RunLookupError(f"run {flow_run.name} refused the input: {exc}") from exc
            time.sleep(1)


def describe(ref: str) -> str:
    """`pasopati status`: where a run is and what its incident recorded (the full history: `pasopati audit show`)."""
    flow_run = find_run(ref)
    lines = [f"run       {flow_run.name} ({flow_run.id})", f"state     {flow_run.state.name if flow_run.state else '?'}"]
    if gate := waiting_gate(flow_run):
        lines.append(f"waiting   {gate}")
    db = get_database()
    incident = incidents.for_run(db, str(flow_run.id))
    if incident:
        lines += [
            f"incident  {incident.id}: {incident.category} / {incident.severity.value} at {incident.unit_name}",
            f"summary   {incident.summary}",
        ]
        for decision in decisions.decisions(db, incident.id):
            outcome = decision.verdict.value if decision.accepted else f"REFUSED {decision.verdict.value} ({decision.refusal})"
            lines.append(
                f"decision  {decision.gate} ({decision.severity.value}): {outcome} by {decision.approver}"
                f" at {decision.decided_at:%H:%M:%S} UTC ({decision.reason})"
            )
        from pasopati.facts import service as facts

        for fact in facts.history(db, incident.id):
            lines.append(f"fact      {fact.item_id} v{fact.version}: {fact.value} (source {fact.source}, {fact.verified_by})")
        for publication in publications.publications(db, incident.id):
            flag = f" — FLAGGED: {publication.flag}" if publication.flag else ""
            lines.append(
                f"published {publication.channel}: {publication.status.value}"
                f" {publication.location or publication.error or ''}{flag}"
            )
        for escalation in incidents.escalations(db, incident.id):
            lines.append(f"escalated {escalation.kind} {escalation.subject} → {escalation.to_role}: {escalation.reason}")
        lines.append(f"history   pasopati audit show {incident.id}")
    return "\n".join(lines)


PAGE = 200


class Pending(BaseModel):
    """A run waiting for a person: at which gate, for whom, since when."""

    run: str
    flow_run_id: str
    gate: str
    category: str
    severity: str
    unit: str
    waiting_for: str
    since: datetime


def _waiting_for(db: Database, gate: str, plan: RunbookPlan, incident: Incident | None) -> str:
    if gate == GATE_VERIFICATION:
        return "verifier (TKK)"
    if gate.startswith(REVISION_PREFIX):
        return "drafter (TKK humas)"
    roster, approval = catalog().roster, plan.plan.approval
    who = roster.roles[approval.authority.role].title
    if incident and approval.escalate_to and decisions.is_escalated(db, incident, plan, gate):
        who += f" or {roster.roles[approval.escalate_to.role].title} (escalated)"
    if approval.approvers_required > 1 and incident:
        done = len(decisions.approvers_of_all(db, awaiting_drafts(db, incident, gate)))
        who += f" ({done}/{approval.approvers_required} approved)"
    return who


def pending() -> list[Pending]:
    """Every runbook run suspended at a human gate, oldest first."""
    paused = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    runs: list[FlowRun] = []
    with get_client(sync_client=True) as client:
        # Page through: the server returns at most 200 per call, and a national disaster has more.
        while page := client.read_flow_runs(flow_run_filter=paused, sort=FlowRunSort.ID_DESC, offset=len(runs), limit=PAGE):
            runs += page
            if len(page) < PAGE:
                break
        flows = {f.id: f.name for f in client.read_flows()}
    db, cat = get_database(), catalog()
    items = []
    for run in runs:
        name = flows.get(run.flow_id, "")
        gate = waiting_gate(run)
        incident = incidents.for_run(db, str(run.id))
        if gate is None or run.state is None or not (name.startswith(FLOW_PREFIX) or incident):
            continue
        if incident is not None:
            plan = cat.plan(incident.category, incident.severity)
        else:
            plan = cat.plan(name.removeprefix(FLOW_PREFIX), run.parameters["severity"])
        waiting_for = _waiting_for(db, gate, plan, incident)
        items.append(
            Pending(
                run=run.name,
                flow_run_id=str(run.id),
                gate=gate,
                category=plan.category,
                severity=plan.severity.value,
                unit=incident.unit_name if incident else "?",
                waiting_for=waiting_for,
                since=run.state.timestamp,
            )
        )
    return sorted(items, key=lambda p: p.since)
