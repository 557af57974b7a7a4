"""Find runbook runs on the Prefect server and move them past their human gates."""

from __future__ import annotations

import json
import time
from datetime import datetime
from functools import lru_cache
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import NotPausedError, ObjectNotFound
from prefect.flow_runs import resume_flow_run
from prefect.states import Failed
from pydantic import BaseModel

from pasopati.db import Database, get_database
from pasopati.decisions import rounds as decisions_rounds
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import (
    GATE_CORRECTION,
    GATE_TYPES,
    GATE_VERIFICATION,
    REVISION_PREFIX,
    gate_of,
)
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


def run_tags(incident: Incident) -> list[str]:
    """Tags an auditor filters by in the Prefect UI (a run started through ``pasopati.starts`` gets
    them with its request; the run's first task sets them again after an escalation)."""
    return [
        f"kategori:{incident.category}",
        f"tingkat:{incident.severity.value}",
        f"upt:{incident.unit_name}",
        f"kanwil:{incident.kanwil_name}",
    ]


def start_labels(incident: Incident, source: str) -> dict[str, str | list[str]]:
    """``flow_run_name`` and ``tags`` of a run requested for ``incident`` (``source``: cli, alert),
    as keyword arguments of ``starts.open_and_request`` / ``escalate_and_request``."""
    return {"flow_run_name": run_name(incident), "tags": [*run_tags(incident), f"sumber:{source}"]}


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
        if paused_out(flow_run):
            where += f"; its gate expired — continue the incident with `pasopati reopen {flow_run.id}`"
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


def ring(flow_run: FlowRun, key: str, patience_seconds: float = 20) -> str:
    """Wake a run after an act at its round ``key`` was recorded in the store: resume it with an
    empty input (Prefect stores none; the run reads the act from the store). Returns what happened,
    for the person who acted; never raises for a run that moved on by itself.

    A run Prefect marked Paused before saving the round's form ("Run input schema not found",
    seen in a burst of 20 triggers) is repaired: the form is saved for it (an empty object schema,
    enough to resume), and the run opens a fresh round with a complete form."""
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            resume_flow_run(flow_run.id, run_input={})
            return "the run continues"
        except (RuntimeError, NotPausedError) as exc:  # NotPaused: woken meanwhile (the watcher repairs too)
            message = str(exc)
        current = find_run(str(flow_run.id))
        if waiting_key(current) != key:
            return "the run had already continued"
        if "schema not found" in message and time.monotonic() > deadline - patience_seconds / 2:
            repair_schema(current)
        elif time.monotonic() > deadline:
            raise RunLookupError(f"recorded, but run {flow_run.name} could not be woken ({message}); the watcher retries every minute")
        time.sleep(1)


def repair_schema(flow_run: FlowRun) -> bool:
    """Save an empty object schema for a paused run whose form was never saved; True if it did."""
    import httpx

    state = flow_run.state
    keyset = state.state_details.run_input_keyset if state and state.is_paused() else None
    if not keyset:
        return False
    with get_client(sync_client=True) as client:
        try:
            client.read_flow_run_input(flow_run.id, keyset["schema"])
            return False
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 404:
                raise
        client.create_flow_run_input(flow_run.id, keyset["schema"], json.dumps({"type": "object", "properties": {}}))
    return True


def describe(ref: str) -> str:
    """`pasopati status`: where a run is and what its incident recorded (the full history: `pasopati audit show`)."""
    flow_run = find_run(ref)
    lines = [f"run       {flow_run.name} ({flow_run.id})", f"state     {flow_run.state.name if flow_run.state else '?'}"]
    if gate := waiting_gate(flow_run):
        lines.append(f"waiting   {gate}")
        if expires := flow_run.state.state_details.pause_timeout:  # type: ignore[union-attr]
            lines.append(f"expires   {expires:%Y-%m-%d %H:%M} UTC unless decided (then: pasopati reopen {flow_run.id})")
    db = get_database()
    incident = incidents.for_run(db, str(flow_run.id))
    if incident:
        lines += [
            f"incident  {incident.id}: {incident.category} / {incident.severity.value} at {incident.unit_name}",
            f"summary   {incident.summary}",
        ]
        lines += _expiry_lines(db, flow_run, incident)
        from pasopati.team.service import team

        crew = team(db, incident.id, incident.severity)
        for member in crew.members if crew else []:
            role = f"{member.role_title}{' (informed)' if member.informed_only else ''}"
            lines.append(f"team      {member.name or '(nobody in the roster)'} — {role}")
        if gate == GATE_VERIFICATION:  # what `pasopati verify --set ITEM=VALUE` may name
            for item in catalog().plan(incident.category, incident.severity).checklist:
                lines.append(f"checklist {item.id}: {item.label}")
        for decision in decisions.decisions(db, incident.id):
            outcome = decision.verdict.value if decision.accepted else f"REFUSED {decision.verdict.value} ({decision.refusal})"
            lines.append(
                f"decision  {decision.gate} ({decision.severity.value}): {outcome} by {decision.approver}"
                f" at {decision.decided_at:%H:%M:%S} UTC ({decision.reason})"
            )
        from pasopati.facts import service as facts

        for fact in facts.history(db, incident.id):
            english = f" [en: {fact.value_en}]" if fact.value_en else ""
            lines.append(f"fact      {fact.item_id} v{fact.version}: {fact.value}{english} (source {fact.source}, {fact.verified_by})")
        kinds = {d.id: f"{d.message_type.value}/{d.language}" for d in drafts.list_drafts(db, incident.id)}
        for publication in sorted(publications.publications(db, incident.id), key=lambda p: (kinds.get(p.draft_id, ""), p.channel)):
            flag = f" — FLAGGED: {publication.flag}" if publication.flag else ""
            lines.append(
                f"published {kinds.get(publication.draft_id, publication.draft_id)} → {publication.channel}: {publication.label}"
                f" {publication.location or ''}{'' if publication.status.value == 'sent' else ' ' + (publication.error or '')}{flag}"
            )
        if publications.needing_attention(db, [incident.id]):
            lines.append(f"publish   not fully out: pasopati publish list {flow_run.id}  (then publish retry / publish resolve)")
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
    key: str
    category: str
    severity: str
    unit: str
    waiting_for: str
    since: datetime
    expires_at: datetime | None = None  # Prefect's pause timeout: the run ends Failed then (pasopati.watch warns before)
    expired_at: datetime | None = None  # set: the gate expired, the run is final; `pasopati reopen` continues it


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
                key=waiting_key(run) or gate,
                category=plan.category,
                severity=plan.severity.value,
                unit=incident.unit_name if incident else "?",
                waiting_for=waiting_for,
                since=run.state.timestamp,
                expires_at=run.state.state_details.pause_timeout,
            )
        )
    return sorted(items, key=lambda p: p.since)


# Gates that expired: Prefect's pause timeout ended the run, the store keeps the round (pasopati.watch)
TIMED_OUT = "never resumed"  # Prefect's Failed message: "The flow was paused (suspended) and never resumed."
EXPIRED_STATE = "Kedaluwarsa"


def paused_out(flow_run: FlowRun) -> bool:
    """The run ended Failed because its pause (suspend) timed out, as Prefect's pause expiry (or a
    resume after the timeout) leaves it; or it was already marked so (``mark_expired``)."""
    state = flow_run.state
    return bool(state and state.is_failed() and (TIMED_OUT in (state.message or "") or state.name == EXPIRED_STATE))


def read_runs(flow_run_ids: list[str]) -> dict[str, FlowRun]:
    """These runs in one call per page (id → run); unknown ids are left out."""
    found: dict[str, FlowRun] = {}
    with get_client(sync_client=True) as client:
        for start in range(0, len(flow_run_ids), PAGE):
            ids = [UUID(i) for i in flow_run_ids[start:start + PAGE]]
            found |= {str(r.id): r for r in client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)))}
    return found


def mark_expired(flow_run: FlowRun, gate: str, key: str) -> None:
    """Say so on the Prefect run too: a Failed state named "Kedaluwarsa" whose message tells how to
    continue (Prefect's own "paused and never resumed" state stays in the run's history)."""
    message = f"Gerbang {gate} ({key}) kedaluwarsa tanpa keputusan; lanjutkan insidennya: pasopati reopen {flow_run.id}"
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run.id, Failed(name=EXPIRED_STATE, message=message), force=True)


def expired_gates(db: Database | None = None) -> list[Pending]:
    """Gates that expired and wait for an operator to continue them (``pasopati reopen``), read
    from the store: the latest round of a gate closed as expired, in an open incident still carried
    by the run that waited there (a reopened incident is carried by its new run), oldest first."""
    db = db or get_database()
    carried = {i.id: i for i in incidents.open_incidents(db) if i.flow_run_id}
    items = []
    for row in decisions_rounds.expired(db, incident_ids=list(carried)):
        incident = carried[row.incident_id]
        if row.severity != incident.severity.value or row.flow_run_id != incident.flow_run_id:
            continue
        latest = decisions.open_round(db, incident, row.gate)
        if latest is not None:
            continue  # a later round of the gate is open: it was continued
        plan = catalog().plan(incident.category, incident.severity)
        items.append(Pending(
            run=run_name(incident), flow_run_id=row.flow_run_id, gate=row.gate, key=row.pause_key, category=incident.category,
            severity=incident.severity.value, unit=incident.unit_name, since=row.opened_at, expired_at=row.closed_at,
            waiting_for=f"operator: pasopati reopen {row.flow_run_id} ({_waiting_for(db, row.gate, plan, incident)} decides)",
        ))
    return items


def expired_round(db: Database, flow_run: FlowRun, incident: Incident) -> decisions_rounds.Round:
    """The round this run waited at when Prefect's pause timeout ended it, as the store recorded
    it. Raises RunLookupError, one line saying why the run cannot be reopened (it is not final,
    it completed or was rejected, it failed otherwise, or its expiry is not recorded yet)."""
    state = flow_run.state
    name = f"run {flow_run.name}"
    if state is None or not state.is_final():
        where = f"waiting at {waiting_gate(flow_run)!r}" if waiting_gate(flow_run) else (state.name if state else "not started")
        raise RunLookupError(f"{name} is not over ({where}): only a run whose gate expired can be reopened")
    if not state.is_failed():
        raise RunLookupError(f"{name} ended {state.name} ({state.message or state.type.value}): nothing to reopen")
    rows = decisions_rounds.expired(db, flow_run_id=str(flow_run.id))
    rows = [r for r in rows if r.incident_id == incident.id]
    if rows:
        return rows[-1]
    if paused_out(flow_run):
        raise RunLookupError(f"{name} timed out at a gate but the watcher has not recorded it yet: try again in a minute")
    raise RunLookupError(f"{name} failed ({state.message}), but no gate of it expired: retry it from the Prefect UI instead")


def reopen(ref: str, *, by: str) -> FlowRun:
    """`pasopati reopen`: continue the incident of a run whose gate expired, at the same gate — a new
    run of the same deployment (category, severity) for the same incident, named like the first.
    It replays from the store: what was published, notified or decided stays so; the gate opens a
    new round. The expired run is renamed "… · kedaluwarsa di <round>" so the name stays unique.

    ``by``: who asks (``operator:<OS user>``), recorded as ``incident.reopened`` before the run
    starts. Raises RunLookupError or IncidentConflict with one line when the run cannot be reopened."""
    from prefect.deployments import run_deployment

    from pasopati.incidents.models import Trigger

    flow_run = find_run(ref)
    if not (flow := flow_name(flow_run.flow_id)).startswith(FLOW_PREFIX):
        raise RunLookupError(f"run {flow_run.name} is a {flow!r} run: only runbook runs are reopened (start it again from its deployment)")
    db = get_database()
    incident = incident_of(flow_run)
    row = expired_round(db, flow_run, incident)
    if incident.flow_run_id != str(flow_run.id):
        raise RunLookupError(f"run {flow_run.name} was continued already: its incident is carried by run {incident.flow_run_id}")
    incidents.reopen(db, incident.id, str(flow_run.id), gate=row.gate, pause_key=row.pause_key, by=by)
    suffix = f" · kedaluwarsa di {row.pause_key}"
    if not flow_run.name.endswith(suffix):
        with get_client(sync_client=True) as client:
            client.update_flow_run(flow_run.id, name=f"{flow_run.name}{suffix}")
    trigger = Trigger.model_validate(flow_run.parameters["trigger"]).model_copy(update={"incident_id": incident.id})
    return run_deployment(
        deployment_name(incident.category, incident.severity), parameters={"trigger": trigger.model_dump(mode="json")},
        timeout=0, flow_run_name=run_name(incident), tags=["dibuka-ulang"],
    )


def _expiry_lines(db: Database, flow_run: FlowRun, incident: Incident) -> list[str]:
    """`pasopati status` of a run whose gate expired: which, when, and how it goes on."""
    lines = []
    for row in decisions_rounds.expired(db, flow_run_id=str(flow_run.id)):
        if row.incident_id != incident.id:
            continue
        lines.append(f"EXPIRED   {row.gate} (round {row.pause_key}) at {row.closed_at:%Y-%m-%d %H:%M} UTC: nothing was decided there")
        if incident.flow_run_id == str(flow_run.id) and not incidents.is_closed(db, incident.id):
            lines.append(f"continue  pasopati reopen {flow_run.id}   (a new run of the incident waits at {row.gate})")
        elif incident.flow_run_id != str(flow_run.id):
            lines.append(f"continued by run {incident.flow_run_id}")
    return lines


def after_publish_retry(ref: str, *, by: str) -> str:
    """After ``pasopati publish retry`` or ``resolve``: bring the run's state in line with the store.
    A run that ended "Sebagian terbit" whose publications are all out now becomes Completed
    "Selesai" (the message says by whom); a run stopped at "Tidak terbit" whose holding statement is
    out now is continued by a new run of the incident, which replays from the store (nothing is
    published, notified or decided twice) and goes on to verification. Returns one line saying
    what happened to the run."""
    from prefect.deployments import run_deployment
    from prefect.states import Completed

    from pasopati.incidents.models import Trigger
    from pasopati.publications.models import RUN_NOT_PUBLISHED, RUN_PARTIAL
    from pasopati.publications.operator import all_out

    flow_run = find_run(ref)
    state = flow_run.state.name if flow_run.state else ""
    db = get_database()
    incident = incident_of(flow_run)
    if state == RUN_PARTIAL and all_out(db, incident.id):
        with get_client(sync_client=True) as client:
            client.set_flow_run_state(flow_run.id, Completed(name="Selesai", message=f"Selesai — semua publikasi terbit setelah dikirim ulang oleh {by}"),
                                      force=True)
        return f"run {flow_run.name}: Selesai (every publication is out)"
    crashed = flow_run.state is not None and flow_run.state.type is StateType.CRASHED
    if (state == RUN_NOT_PUBLISHED or crashed) and incident.flow_run_id == str(flow_run.id) and not incidents.is_closed(db, incident.id):
        if not crashed and not any(p.reached_anyone for p in publications.publications(db, incident.id)):
            return f"run {flow_run.name}: still {RUN_NOT_PUBLISHED} — the holding statement reached no channel yet"
        incidents.reopen(db, incident.id, str(flow_run.id), gate="publikasi", pause_key="publikasi", by=by,
                         why="pernyataan awal terbit setelah dikirim ulang; run baru melanjutkan ke verifikasi")
        trigger = Trigger.model_validate(flow_run.parameters["trigger"]).model_copy(update={"incident_id": incident.id})
        new = run_deployment(deployment_name(incident.category, incident.severity), parameters={"trigger": trigger.model_dump(mode="json")},
                             timeout=0, flow_run_name=run_name(incident), tags=["lanjut-publikasi"])
        return f"run {flow_run.name}: continued by run {new.name} ({new.id}), which goes on to verification"
    return f"run {flow_run.name}: {state}"


class Unpublished(BaseModel):
    """A publication not fully out: for `pasopati pending` and the watcher's report."""

    run: str
    flow_run_id: str
    incident_id: str
    channel: str
    label: str
    error: str | None
    ambiguous: bool
    refused: bool = False  # some recipient's remote refused it: a retry needs --include-refused once fixed


def unpublished(db: Database | None = None) -> list[Unpublished]:
    """Every publication of an open incident that is partial, failed, ambiguous or stuck sending."""
    db = db or get_database()
    items = []
    for publication in publications.needing_attention(db):
        incident = incidents.get(db, publication.incident_id)
        if incident is None or incidents.is_closed(db, incident.id):
            continue
        items.append(Unpublished(run=run_name(incident), flow_run_id=incident.flow_run_id or "", incident_id=incident.id,
                                 channel=publication.channel, label=publication.label, error=publication.error,
                                 ambiguous=publication.status.value == "ambiguous",
                                 refused=any(d.status.value == "refused" for d in publications.deliveries(db, publication.id))))
    return items


def crash_abandoned_run(flow_run_id: str, what: str) -> bool:
    """Mark a run Crashed when it is still shown Running although its process died mid-publish
    (found by the watcher); True if it was. `pasopati publish retry` then finishes and continues it."""
    from prefect.states import Crashed

    try:
        flow_run = find_run(flow_run_id)
    except RunLookupError:
        return False
    if flow_run.state is None or flow_run.state.type is not StateType.RUNNING:
        return False
    with get_client(sync_client=True) as client:
        client.set_flow_run_state(flow_run.id, Crashed(message=f"proses run berhenti saat publikasi ({what}); "
                                                                f"selesaikan: pasopati publish retry {flow_run.id}"), force=True)
    return True
