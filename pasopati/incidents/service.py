"""Incident acts: open (from an operator, an alert or a run), escalate, close; and the reads.

Each act is one write transaction with its audit event. Functions taking a ``Session`` are the
parts other services use inside *their* act's transaction (mark a stage, touch, escalate a deadline).

Run integrity (who may carry an incident):

- A run's severity is its deployment's (``admit``): a ``severity`` parameter that contradicts the
  deployment is refused before the run touches any incident.
- One live run per crisis. An incident's *owner* is ``IncidentRow.flow_run_id``. A run that names
  an existing incident may carry it only if no other live run owns it and its severity is not
  lower than the incident's (severity never goes down). A higher severity while a run is live
  comes only through ``escalate`` (alert intake), which only goes up, releases the owner for the
  run it starts next, and is followed by cancelling the released run.
- A run that no longer owns its incident (superseded by an escalation) is refused when it starts again.

Every refusal raises ``RunRefused`` after its audit event (``run.refused`` or
``incident.escalation_refused``, actor ``sistem:…``) has been committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasopati.audit.models import Subject
from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.incidents.models import (
    Escalation,
    Incident,
    IncidentState,
    IncidentSummary,
    Stage,
    Trigger,
)
from pasopati.incidents.tables import EscalationRow, IncidentRow, RunRow, StageRow
from pasopati.plan.roster import Roster
from pasopati.plan.runbook import RunbookPlan, Severity
from pasopati.settings import get_settings
from pasopati.time import utcnow

RUNBOOK = system("runbook")


class UnknownUnit(ValueError):
    """The trigger names a unit the roster does not know."""


class IncidentConflict(ValueError):
    """A trigger names an incident this run cannot carry (unknown, another category, closed)."""


class RunRefused(IncidentConflict):
    """A run (or an escalation) may not go on; the refusal is already in the audit log."""


class OpenIncidentExists(IncidentConflict):
    """A new incident was asked for where one is open for the same unit and category (issue 12: three
    triggers for one crisis made three incidents and three live runs)."""

    def __init__(self, incident: Incident):
        self.incident = incident
        super().__init__(
            f"incident {incident.id} is open for {incident.unit_name} · {incident.category} ({incident.severity.value}, "
            f"run {incident.flow_run_id or 'not started yet'}, opened {incident.opened_at:%Y-%m-%d %H:%M} UTC): attach this "
            "report to it, escalate it, or open a new incident with the reason why"
        )


class IncidentNotFound(KeyError):
    """No incident with this id."""


@dataclass
class Refusal:
    """Why an act is refused: ``message`` for people, ``details`` for the audit event."""

    message: str
    incident_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _assume_live(flow_run_id: str) -> bool:
    """Without a way to ask Prefect, another run is taken to be live (the safe answer)."""
    return True


def build(plan: RunbookPlan, trigger: Trigger, roster: Roster, incident_id: str | None = None) -> Incident:
    """A new incident for ``trigger``'s unit (not stored); raises UnknownUnit naming the known units."""
    unit = roster.find_unit(trigger.unit)
    if unit is None and (shared := roster.candidates(trigger.unit)):
        raise UnknownUnit(f"{trigger.unit!r} names {len(shared)} units ({', '.join(shared)}): give the unit's full name or id")
    if unit is None:
        known = ", ".join(u.name for u in roster.units)
        raise UnknownUnit(f"unknown unit {trigger.unit!r}: neither the roster nor the gazetteer (runbooks/gazetteer/) knows it;"
                          f" the roster's own: {known}")
    if not roster.has_team(unit):
        raise UnknownUnit(f"{unit.name} ({unit.kanwil}) has no team: roster.yaml lists nobody at the unit or at its Kanwil;"
                          " add the Kanwil's TKK (kakanwil, humas-kanwil, kadiv-pemasyarakatan) to runbooks/roster.yaml")
    kanwil = roster.kanwil_of(unit)
    now = utcnow()
    return Incident(
        id=incident_id or str(uuid.uuid4()),
        flow_run_id=None,
        category=plan.category,
        category_title=plan.category_title,
        severity=plan.severity,
        unit_id=unit.id,
        unit_name=unit.name,
        unit_type=unit.type,
        kanwil_id=kanwil.id,
        kanwil_name=kanwil.name,
        province=kanwil.province,
        timezone=unit.timezone,
        summary=trigger.summary,
        detected_at=trigger.detected_at or now,
        opened_at=now,
    )


# Acts ---------------------------------------------------------------------------------------------
def open_incident(db: Database, incident: Incident, trigger: Trigger, *, reasons: list[str] | None = None) -> Incident:
    """Store a new incident (alert intake opens one before its run starts)."""
    with db.write() as session:
        open_in(session, incident, trigger, reasons or [])
    return incident


def open_in(session: Session, incident: Incident, trigger: Trigger, reasons: list[str], *, beside_since: datetime | None = None) -> None:
    """``open_incident`` inside the caller's act (``pasopati.starts`` requests its run with it).
    ``beside_since``: first refuse (OpenIncidentExists) when an incident of the same unit and
    category is open with activity since then, unless ``trigger.new_incident_reason`` says why
    (recorded with the new incident)."""
    beside = None
    if beside_since is not None and (found := _open_beside(session, incident, beside_since)) is not None:
        if not trigger.new_incident_reason:
            raise OpenIncidentExists(found)
        beside = {"incident_id": found.id, "reason": trigger.new_incident_reason}
    _insert(session, incident, trigger, reasons, beside=beside)


def _open_beside(session: Session, incident: Incident, since: datetime) -> Incident | None:
    row = session.scalars(
        select(IncidentRow).where(IncidentRow.unit_id == incident.unit_id, IncidentRow.category == incident.category,
                                  IncidentRow.closed_at.is_(None), IncidentRow.updated_at >= since,
                                  IncidentRow.id != incident.id)
        .order_by(IncidentRow.updated_at.desc()).limit(1)
    ).first()
    return _incident(row) if row is not None else None


def attach_report(db: Database, incident_id: str, trigger: Trigger, *, by: str) -> Incident:
    """An operator's report about an open incident is kept with it (``incident.report_attached``:
    the summary and the reported facts as the reporter's claims; verification still decides) and
    the correlation window counts from now. Raises IncidentNotFound, IncidentConflict (closed)."""
    with db.write() as session:
        row = _row(session, incident_id)
        if row.closed_at is not None:
            raise IncidentConflict(f"incident {incident_id} was closed {row.closed_at:%Y-%m-%d %H:%M} UTC; open a new one")
        row.updated_at = utcnow()
        record(session, "incident.report_attached", actor=by, incident_id=incident_id, flow_run_id=row.flow_run_id,
               details={"summary": trigger.summary, "reported_by": trigger.reported_by, "reported_facts": trigger.reported_facts,
                        "source": trigger.source})
        return _incident(row)


def admit(db: Database, flow_run_id: str, severity: Severity, deployment: str | None, trigger: Trigger) -> None:
    """A runbook run's check at every start (first start, resume, retry), before any incident act.

    ``deployment`` is ``"<flow>/<deployment>"`` (None: the flow was called outside any deployment,
    which keeps its ``severity`` parameter). Raises RunRefused, recorded as ``run.refused`` with
    ``incident_id=None`` when the parameter contradicts the deployment, or on the incident when
    this run was already superseded on it (``_superseded``)."""
    with db.write() as session:
        refusal = _contradicts_deployment(severity, deployment, trigger)
        if refusal is None and (run := session.get(RunRow, flow_run_id)) is not None:
            refusal = _superseded(_row(session, run.incident_id), flow_run_id)
        if refusal is not None:
            _record_refusal(session, refusal, flow_run_id, trigger)
    if refusal is not None:
        raise RunRefused(refusal.message)


def deployment_severity(deployment: str) -> Severity | None:
    """The severity a runbook deployment runs (its name, see flows/deployments.py); None if its name is none."""
    try:
        return Severity(deployment.rpartition("/")[2])
    except ValueError:
        return None


def _contradicts_deployment(severity: Severity, deployment: str | None, trigger: Trigger) -> Refusal | None:
    if deployment is None or (runs := deployment_severity(deployment)) == severity:
        return None
    flow = deployment.rpartition("/")[0]
    runs_what = f"runs {runs.value!r}" if runs else "is not named after a severity"
    return Refusal(
        f"run refused: parameter 'severity' is {severity.value!r} but its deployment {deployment} {runs_what}; "
        f"severity comes from the deployment (start {flow}/{severity.value} for a {severity.value} run)",
        details={"parameter": "severity", "claimed": severity.value, "deployment": deployment,
                 "deployment_severity": runs.value if runs else None, "claimed_incident": trigger.incident_id},
    )


def open_for_run(
    db: Database,
    plan: RunbookPlan,
    trigger: Trigger,
    roster: Roster,
    flow_run_id: str,
    progress_artifact_id: str | None,
    *,
    is_live: Callable[[str], bool] = _assume_live,
) -> Incident:
    """A runbook run's first act: open its incident, or carry the existing one ``trigger.incident_id``
    names (alert intake opened or escalated it); record the run. A re-run of the same run returns
    the same incident.

    ``is_live(flow_run_id)`` says whether another run is not final yet (asked inside the transaction,
    only about the incident's owner when that is another run). Raises UnknownUnit (new incident)
    or RunRefused, recorded as ``run.refused``: the named incident is unknown, of another category or
    closed; it is more severe than ``plan`` (severity never goes down); another live run owns it
    (never two live runs for one crisis: a higher severity comes only through ``escalate``); or this
    run was superseded on it."""
    with db.write() as session:
        if (run := session.get(RunRow, flow_run_id)) is not None:
            row = _row(session, run.incident_id)
            if (refusal := _superseded(row, flow_run_id)) is None:
                return _incident(row)
        elif trigger.incident_id:
            row = session.get(IncidentRow, trigger.incident_id)
            if (refusal := _attach_refusal(row, trigger.incident_id, plan, flow_run_id, is_live)) is None:
                assert row is not None
                incident = _carry(session, row, plan, trigger, flow_run_id, progress_artifact_id)
        else:
            incident = build(plan, trigger, roster).model_copy(
                update={"flow_run_id": flow_run_id, "progress_artifact_id": progress_artifact_id}
            )
            try:
                open_in(session, incident, trigger, [], beside_since=utcnow() - correlation_window())
            except OpenIncidentExists as exists:  # a Prefect UI trigger for a crisis already open
                refusal = Refusal(f"run refused: {exists}", exists.incident.id, {"open_incident": exists.incident.id})
            else:
                refusal = None
                _start_run(session, incident, plan, trigger, flow_run_id, severity_before=None)
        if refusal is not None:
            _record_refusal(session, refusal, flow_run_id, trigger)
    if refusal is not None:
        raise RunRefused(refusal.message)
    return incident


def _attach_refusal(
    row: IncidentRow | None, incident_id: str, plan: RunbookPlan, flow_run_id: str, is_live: Callable[[str], bool]
) -> Refusal | None:
    """Why a new ``plan.severity`` run may not carry this existing incident (None: it may)."""
    asked = {"claimed_incident": incident_id, "severity": plan.severity.value}
    if row is None or row.category != plan.category:
        return Refusal(f"run refused: trigger names incident {incident_id}, which is not a {plan.category} incident",
                       incident_id=row.id if row else None, details=asked)
    asked |= {"incident_severity": row.severity, "owner_run": row.flow_run_id}
    if row.closed_at is not None:
        return Refusal(f"run refused: incident {incident_id} was closed {row.closed_at:%Y-%m-%d %H:%M} UTC; open a new one",
                       row.id, asked)
    current = Severity(row.severity)
    if plan.severity.rank < current.rank:
        return Refusal(
            f"run refused: incident {incident_id} is {current.value}; a {plan.severity.value} run may not carry it "
            "(an incident's severity never goes down)", row.id, asked)
    if row.flow_run_id not in (None, flow_run_id) and is_live(row.flow_run_id):
        return Refusal(
            f"run refused: incident {incident_id} is live under run {row.flow_run_id} ({current.value}); never two live "
            "runs for one crisis — a higher severity comes only through escalation, which cancels that run", row.id, asked)
    return None


def _superseded(row: IncidentRow, flow_run_id: str) -> Refusal | None:
    """A run starting again (resume, retry) that no longer owns its incident: an escalation handed it on."""
    if row.flow_run_id == flow_run_id:
        return None
    carrier = f"run {row.flow_run_id}" if row.flow_run_id else "the run its escalation starts"
    return Refusal(
        f"run refused: incident {row.id} is now {row.severity} and carried by {carrier}; this run no longer carries it",
        row.id, {"claimed_incident": row.id, "incident_severity": row.severity, "owner_run": row.flow_run_id},
    )


def _carry(
    session: Session, row: IncidentRow, plan: RunbookPlan, trigger: Trigger, flow_run_id: str, progress_artifact_id: str | None
) -> Incident:
    """This run now owns the existing incident (checked by ``_attach_refusal``: never a lower severity)."""
    before = _incident(row)
    incident = before.model_copy(
        update={"severity": plan.severity, "flow_run_id": flow_run_id, "progress_artifact_id": progress_artifact_id}
    )
    _update(row, incident)
    _start_run(session, incident, plan, trigger, flow_run_id, severity_before=before.severity)
    return incident


def _start_run(
    session: Session, incident: Incident, plan: RunbookPlan, trigger: Trigger, flow_run_id: str, severity_before: Severity | None
) -> None:
    session.add(RunRow(flow_run_id=flow_run_id, incident_id=incident.id, severity=plan.severity.value, started_at=utcnow()))
    details: dict[str, Any] = {"severity": plan.severity.value, "source": trigger.source, "alert_ids": trigger.alert_ids}
    if severity_before not in (None, plan.severity):
        details["severity_before"] = severity_before.value  # type: ignore[union-attr]
    record(session, "run.started", actor=RUNBOOK, incident_id=incident.id, flow_run_id=flow_run_id, details=details)
    mark_stage(session, incident.id, Stage.OPENED)


def _record_refusal(session: Session, refusal: Refusal, flow_run_id: str | None, trigger: Trigger | None) -> None:
    details = dict(refusal.details, reason=refusal.message)
    if trigger is not None:
        details |= {"source": trigger.source, "alert_ids": trigger.alert_ids, "reported_by": trigger.reported_by}
    record(session, "run.refused", actor=RUNBOOK, incident_id=refusal.incident_id, flow_run_id=flow_run_id, details=details)


def join_run(db: Database, incident_id: str, flow_run_id: str, purpose: str) -> Incident:
    """A support run (a correction) acts for an incident: `pasopati approve/status` find it by its run."""
    with db.write() as session:
        incident = _incident(_row(session, incident_id))
        if session.get(RunRow, flow_run_id) is None:
            session.add(RunRow(flow_run_id=flow_run_id, incident_id=incident_id, severity=incident.severity.value, started_at=utcnow()))
            record(session, "run.started", actor=RUNBOOK, incident_id=incident_id, flow_run_id=flow_run_id,
                   details={"severity": incident.severity.value, "source": purpose, "alert_ids": []})
    return incident


def escalate(db: Database, incident_id: str, severity: Severity, *, alert_id: str, reason: str) -> tuple[Incident, str | None]:
    """The escalation path: the same incident goes up to ``severity`` and its owner is released, so
    that the run started next may carry it (``open_for_run``); the caller then cancels the released
    run. Returns (the escalated incident, the released run id or None).

    Raises IncidentNotFound, or RunRefused, recorded as ``incident.escalation_refused``, when the
    incident is closed or ``severity`` is not strictly higher than its current one (only up)."""
    with db.write() as session:
        incident, released, refusal = escalate_in(session, incident_id, severity, by=system("intake"), alert_id=alert_id, reason=reason)
    if refusal is not None:
        raise RunRefused(refusal)
    return incident, released


def escalate_in(session: Session, incident_id: str, severity: Severity, *, by: str, alert_id: str | None,
                reason: str) -> tuple[Incident, str | None, str | None]:
    """``escalate`` inside the caller's act: (incident, released run, None), or (incident as it
    was, None, the refusal) after recording ``incident.escalation_refused``."""
    row = _row(session, incident_id)
    before = _incident(row)
    details = {"from": before.severity.value, "to": severity.value, "alert_id": alert_id}
    if (refusal := _escalation_refusal(row, severity)) is not None:
        record(session, "incident.escalation_refused", actor=by, incident_id=incident_id,
               flow_run_id=before.flow_run_id, details=details | {"reason": refusal})
        return before, None, refusal
    incident = before.model_copy(update={"severity": severity, "flow_run_id": None})
    _update(row, incident)
    record(session, "incident.escalated", actor=by, incident_id=incident_id, flow_run_id=before.flow_run_id,
           details=details | {"cancelled_run": before.flow_run_id, "reason": reason})
    return incident, before.flow_run_id, None


def _escalation_refusal(row: IncidentRow, severity: Severity) -> str | None:
    if row.closed_at is not None:
        return f"escalation refused: incident {row.id} is closed"
    if severity.rank <= Severity(row.severity).rank:
        return f"escalation refused: incident {row.id} is already {row.severity}; escalation only goes up (asked {severity.value})"
    return None


def close(db: Database, incident_id: str, *, by: str, reason: str, flow_run_id: str | None) -> bool:
    """True if this call closed it (False: already closed)."""
    with db.write() as session:
        return close_in(session, incident_id, by=by, reason=reason, flow_run_id=flow_run_id)


def close_in(session: Session, incident_id: str, *, by: str, reason: str, flow_run_id: str | None, proof: str | None = None) -> bool:
    """``close`` inside another act's transaction (a closure proven by pasopati.decisions.steps)."""
    row = _row(session, incident_id)
    if row.closed_at is not None:
        return False
    row.closed_at, row.closed_by, row.close_reason = utcnow(), by, reason
    record(session, "incident.closed", actor=by, incident_id=incident_id, flow_run_id=flow_run_id,
           details={"reason": reason, "via": "cli", "proof": proof})
    return True


def reopen(db: Database, incident_id: str, expired_run: str, *, gate: str, pause_key: str, by: str,
           why: str = "batas tunggu gerbang habis; run baru menunggu di gerbang yang sama") -> Incident:
    """An operator continues an incident whose run ended at an expired gate (``pasopati reopen``):
    recorded as ``incident.reopened`` (actor ``by``) before the new run starts; that run then
    carries the incident through ``open_for_run`` (the expired run is final, the severity the same).
    Decides nothing: the new run waits at the same gate in a new round.

    Raises IncidentNotFound, or IncidentConflict (nothing recorded) when the incident is closed or
    no longer carried by ``expired_run`` (reopened already, or escalated)."""
    with db.write() as session:
        row = _row(session, incident_id)
        refusal = None
        if row.closed_at is not None:
            refusal = f"incident {incident_id} was closed {row.closed_at:%Y-%m-%d %H:%M} UTC: nothing to reopen"
        elif row.flow_run_id != expired_run:
            carrier = f"run {row.flow_run_id}" if row.flow_run_id else "the run its escalation starts"
            refusal = f"incident {incident_id} is carried by {carrier} now, not by run {expired_run}: nothing to reopen"
        else:
            record(session, "incident.reopened", actor=by, incident_id=incident_id, flow_run_id=expired_run,
                   details={"gate": gate, "pause_key": pause_key, "severity": row.severity, "expired_run": expired_run,
                            "why": why})
            incident = _incident(row)
    if refusal is not None:
        raise IncidentConflict(refusal)
    return incident


def escalate_deadline(db: Database, escalation: Escalation, flow_run_id: str | None) -> bool:
    """Record a passed deadline once; True if this call recorded it (so only that caller notifies)."""
    with db.write() as session:
        exists = session.scalar(
            select(EscalationRow.id).where(
                EscalationRow.incident_id == escalation.incident_id,
                EscalationRow.severity == escalation.severity.value,
                EscalationRow.kind == escalation.kind,
                EscalationRow.subject == escalation.subject,
            )
        )
        if exists is not None:
            return False
        session.add(EscalationRow(**escalation.model_dump(mode="python") | {"severity": escalation.severity.value}))
        record(
            session, "escalation.recorded", actor=system("pantau-tenggat"), incident_id=escalation.incident_id,
            flow_run_id=flow_run_id, details=escalation.model_dump(mode="json", exclude={"incident_id"}),
        )
        return True


# Parts of other acts ------------------------------------------------------------------------------
def mark_stage(session: Session, incident_id: str, stage: Stage) -> bool:
    """Record the first time the incident reaches ``stage``; True if this call did."""
    if session.get(StageRow, (incident_id, stage.value)) is not None:
        return False
    session.add(StageRow(incident_id=incident_id, stage=stage.value, at=utcnow()))
    return True


def escalations_in(session: Session, incident_id: str) -> list[Escalation]:
    rows = session.scalars(select(EscalationRow).where(EscalationRow.incident_id == incident_id).order_by(EscalationRow.id))
    return [Escalation.model_validate(r, from_attributes=True) for r in rows]


def stages_in(session: Session, incident_id: str) -> dict[Stage, datetime]:
    return {Stage(r.stage): r.at for r in session.scalars(select(StageRow).where(StageRow.incident_id == incident_id))}


def touch(session: Session, incident_id: str) -> None:
    """An alert about it arrived: the correlation window counts from now."""
    _row(session, incident_id).updated_at = utcnow()


def set_run(session: Session, incident_id: str, flow_run_id: str) -> bool:
    """Intake started ``flow_run_id`` for this incident, maybe before the run's first task records
    it: the next alert must find the live run. Never takes the incident from another owner (the run
    itself was then refused); True if the owner is now ``flow_run_id``."""
    row = _row(session, incident_id)
    if row.flow_run_id not in (None, flow_run_id):
        return False
    _update(row, _incident(row).model_copy(update={"flow_run_id": flow_run_id}))
    return True


def _insert(session: Session, incident: Incident, trigger: Trigger, reasons: list[str], *, beside: dict[str, str] | None = None) -> None:
    """``beside``: the open incident of the same unit and category this one was opened beside, and why."""
    session.add(
        IncidentRow(
            id=incident.id, flow_run_id=incident.flow_run_id, category=incident.category, severity=incident.severity.value,
            unit_id=incident.unit_id, kanwil_id=incident.kanwil_id, summary=incident.summary,
            detected_at=incident.detected_at, opened_at=incident.opened_at, updated_at=incident.opened_at,
            follows_id=incident.follows_id, data=incident.model_dump(mode="json"),
        )
    )
    record(
        session, "incident.opened", actor=trigger.reported_by if trigger.source != "alert" else system("intake"),
        incident_id=incident.id, flow_run_id=incident.flow_run_id,
        details={
            "category": incident.category, "severity": incident.severity.value, "unit_id": incident.unit_id,
            "unit_name": incident.unit_name, "kanwil_name": incident.kanwil_name, "timezone": incident.timezone,
            "summary": incident.summary, "detected_at": incident.detected_at.isoformat(), "source": trigger.source,
            "reported_by": trigger.reported_by, "reported_facts": trigger.reported_facts,
            "alert_ids": trigger.alert_ids, "classification": reasons, "follows_id": incident.follows_id,
            **({"opened_beside": beside} if beside else {}),
        },
    )


def _update(row: IncidentRow, incident: Incident) -> None:
    row.severity, row.flow_run_id, row.updated_at = incident.severity.value, incident.flow_run_id, utcnow()
    row.data = incident.model_dump(mode="json")


def _row(session: Session, incident_id: str) -> IncidentRow:
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise IncidentNotFound(f"no incident {incident_id!r}")
    return row


def _incident(row: IncidentRow) -> Incident:
    return Incident.model_validate(row.data)


# Reads ---------------------------------------------------------------------------------------------
def get(db: Database, incident_id: str) -> Incident | None:
    with db.read() as session:
        row = session.get(IncidentRow, incident_id)
        return _incident(row) if row else None


def for_run(db: Database, flow_run_id: str) -> Incident | None:
    """The incident a run carries (or carried, before an escalation handed it on), also a run that
    was started for it but has not begun yet (its first task records it)."""
    with db.read() as session:
        run = session.get(RunRow, flow_run_id)
        row = session.get(IncidentRow, run.incident_id) if run else None
        if row is None:
            row = session.scalars(select(IncidentRow).where(IncidentRow.flow_run_id == flow_run_id).limit(1)).first()
        return _incident(row) if row else None


def carried_by(db: Database, flow_run_id: str) -> Incident | None:
    """The incident this run opened or carried (its first task recorded it); None before that, also
    for a run started for an incident (``for_run`` finds that one): that run still has to open it."""
    with db.read() as session:
        run = session.get(RunRow, flow_run_id)
        return _incident(_row(session, run.incident_id)) if run else None


def runs_of(db: Database, incident_id: str) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(RunRow.flow_run_id).where(RunRow.incident_id == incident_id).order_by(RunRow.started_at)))


def recent_for(db: Database, unit_id: str, category: str, since: datetime) -> list[tuple[Incident, bool]]:
    """Incidents of this unit and category with activity since ``since``, open ones first, each
    with whether it is closed (correlation attaches to an open one, never to a closed one)."""
    with db.read() as session:
        rows = session.scalars(
            select(IncidentRow)
            .where(IncidentRow.unit_id == unit_id, IncidentRow.category == category, IncidentRow.updated_at >= since)
            .order_by(IncidentRow.closed_at.is_(None).desc(), IncidentRow.updated_at.desc())
        )
        return [(_incident(row), row.closed_at is not None) for row in rows]


def latest_for(db: Database, unit_id: str, category: str, since: datetime) -> tuple[Incident, bool] | None:
    """The first of ``recent_for``: the open incident if there is one, else the latest closed."""
    found = recent_for(db, unit_id, category, since)
    return found[0] if found else None


def count_since(db: Database, unit_id: str, since: datetime) -> int:
    with db.read() as session:
        query = select(func.count()).select_from(IncidentRow)
        return session.scalar(query.where(IncidentRow.unit_id == unit_id, IncidentRow.opened_at >= since)) or 0


def open_incidents(db: Database) -> list[Incident]:
    with db.read() as session:
        rows = session.scalars(select(IncidentRow).where(IncidentRow.closed_at.is_(None)).order_by(IncidentRow.opened_at))
        return [_incident(r) for r in rows]


def is_closed(db: Database, incident_id: str) -> bool:
    with db.read() as session:
        row = session.get(IncidentRow, incident_id)
        return row is not None and row.closed_at is not None


def stages(db: Database, incident_id: str) -> dict[Stage, datetime]:
    with db.read() as session:
        return stages_in(session, incident_id)


def escalations(db: Database, incident_id: str) -> list[Escalation]:
    with db.read() as session:
        return escalations_in(session, incident_id)


def search(
    db: Database,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    severity: str | None = None,
    unit: str | None = None,
    kanwil: str | None = None,
    state: IncidentState | None = None,
) -> list[IncidentSummary]:
    """Incidents opened in [since, until), newest first, filtered (``pasopati audit list``).

    ``unit`` and ``kanwil`` are roster ids (the CLI resolves names first)."""
    query = select(IncidentRow, func.count(RunRow.flow_run_id)).outerjoin(RunRow, RunRow.incident_id == IncidentRow.id)
    if since is not None:
        query = query.where(IncidentRow.opened_at >= since)
    if until is not None:
        query = query.where(IncidentRow.opened_at < until)
    if category:
        query = query.where(IncidentRow.category == category)
    if severity:
        query = query.where(IncidentRow.severity == severity)
    if unit:
        query = query.where(IncidentRow.unit_id == unit)
    if kanwil:
        query = query.where(IncidentRow.kanwil_id == kanwil)
    if state is IncidentState.OPEN:
        query = query.where(IncidentRow.closed_at.is_(None))
    elif state is IncidentState.CLOSED:
        query = query.where(IncidentRow.closed_at.is_not(None))
    query = query.group_by(IncidentRow.id).order_by(IncidentRow.opened_at.desc())
    with db.read() as session:
        return [
            IncidentSummary(
                incident=_incident(row), state=IncidentState.CLOSED if row.closed_at else IncidentState.OPEN,
                closed_at=row.closed_at, runs=runs,
            )
            for row, runs in session.execute(query)
        ]


def window(hours: float) -> timedelta:
    return timedelta(hours=hours)


def correlation_window() -> timedelta:
    """How recent an open incident's activity must be for a new report to belong to it
    (``PASOPATI_CORRELATION_WINDOW_HOURS``)."""
    return window(get_settings().correlation_window_hours)


def subject(incident: Incident) -> Subject:
    """The incident as the audit timeline heads it."""
    return Subject(
        id=incident.id, summary=incident.summary, category_title=incident.category_title, severity=incident.severity.value,
        unit_name=incident.unit_name, kanwil_name=incident.kanwil_name, timezone=incident.timezone, detected_at=incident.detected_at,
    )


def resolve(db: Database, ref: str) -> Incident:
    """An incident by id, unique id prefix (8+ characters) or the id of a run that carried it."""
    ref = ref.strip()
    with db.read() as session:
        if (row := session.get(IncidentRow, ref)) is not None:
            return _incident(row)
        if (run := session.get(RunRow, ref)) is not None:
            return _incident(_row(session, run.incident_id))
        if len(ref) >= 8:
            matches = list(session.scalars(select(IncidentRow).where(IncidentRow.id.startswith(ref, autoescape=True)).limit(2)))
            if len(matches) == 1:
                return _incident(matches[0])
            if matches:
                raise IncidentNotFound(f"{ref!r} matches more than one incident: give more of the id")
    raise IncidentNotFound(f"no incident {ref!r} (give its id, 8+ leading characters of it, or a run id)")
