"""Find runbook runs on the Prefect server and move them past their human gates."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from pydantic import BaseModel
from prefect.exceptions import ObjectNotFound
from prefect.flow_runs import resume_flow_run

from pasopati.catalog import catalog
from pasopati.inputs import GATE_VERIFICATION
from pasopati.runbook import RunbookPlan
from pasopati.store import get_store

FLOW_PREFIX = "krisis-"


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


def waiting_gate(flow_run: FlowRun) -> str | None:
    state = flow_run.state
    return state.state_details.pause_key if state and state.is_paused() else None


def waiting_run(ref: str, gates: set[str]) -> FlowRun:
    flow_run = find_run(ref)
    gate = waiting_gate(flow_run)
    if gate not in gates:
        state = flow_run.state.name if flow_run.state else "unknown"
        where = f"waiting at {gate!r}" if gate else f"not waiting for input (state: {state})"
        raise RunLookupError(f"run {flow_run.name} is {where}; this command acts at {sorted(gates)}")
    return flow_run


def plan_of(flow_run: FlowRun) -> RunbookPlan:
    with get_client(sync_client=True) as client:
        flow_name = client.read_flow(flow_run.flow_id).name
    if not flow_name.startswith(FLOW_PREFIX):
        raise RunLookupError(f"run {flow_run.name} is a {flow_name!r} run, not a PASOPATI runbook")
    return catalog().plan(flow_name.removeprefix(FLOW_PREFIX), flow_run.parameters["severity"])


def resume(flow_run: FlowRun, run_input: dict[str, object]) -> None:
    try:
        resume_flow_run(flow_run.id, run_input=run_input)
    except RuntimeError as exc:  # the server validated the input against the gate's form and refused it
        raise RunLookupError(f"run {flow_run.name} refused the input: {exc}") from exc


def describe(ref: str) -> str:
    flow_run = find_run(ref)
    lines = [f"run       {flow_run.name} ({flow_run.id})", f"state     {flow_run.state.name if flow_run.state else '?'}"]
    if gate := waiting_gate(flow_run):
        lines.append(f"waiting   {gate}")
    store = get_store()
    incident = store.incident_for_run(str(flow_run.id))
    if incident:
        lines += [
            f"incident  {incident.id}: {incident.category} / {incident.severity.value} at {incident.unit_name}",
            f"summary   {incident.summary}",
        ]
        for decision in store.decisions(incident.id):
            lines.append(
                f"decision  {decision.gate} ({decision.severity.value}): {decision.verdict.value}"
                f" by {decision.approver} ({decision.reason})"
            )
        for publication in store.publications(incident.id):
            lines.append(f"published {publication.channel}: {publication.status.value} {publication.location or publication.error or ''}")
    return "\n".join(lines)


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


def pending() -> list[Pending]:
    """Every runbook run suspended at a human gate, oldest first."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
        )
        flows = {f.id: f.name for f in client.read_flows()}
    store, cat = get_store(), catalog()
    items = []
    for run in runs:
        flow_name = flows.get(run.flow_id, "")
        gate = waiting_gate(run)
        if not flow_name.startswith(FLOW_PREFIX) or gate is None or run.state is None:
            continue
        plan = cat.plan(flow_name.removeprefix(FLOW_PREFIX), run.parameters["severity"])
        incident = store.incident_for_run(str(run.id))
        if gate == GATE_VERIFICATION:
            waiting_for = "verifier (TKK)"
        else:
            approval = plan.plan.approval
            waiting_for = cat.roster.roles[approval.authority.role].title
            if approval.approvers_required > 1:
                waiting_for += f" ×{approval.approvers_required}"
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
