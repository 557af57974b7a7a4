"""Run start acts. A start is stored in the transaction of the act that needs the run (an incident
opened, an incident escalated), so the act and its request live or die together; the request is
then tried at once and retried with backoff until Prefect has the run (``pasopati.starts.prefect``).

Issue 12: with Prefect down, intake opened an incident, answered 500 and the run never started;
under a burst of 30 starts on the SQLite default, 5–9 runs were never created (the Prefect client
gave up on 503 "database is locked"). Now nothing is asked of Prefect that is not stored first, and
an unstarted request stays visible (``pasopati starts``, ``pasopati pending``) until it starts.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.alerts import service as alerts
from pasopati.audit.service import record
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Trigger
from pasopati.plan.runbook import Severity
from pasopati.settings import get_settings
from pasopati.starts.models import RunStart, StartStatus
from pasopati.starts.tables import StartRow
from pasopati.time import utcnow

ERROR_CHARS = 500  # of an attempt's error kept on the request (the audit event has the same)


class StartNotFound(KeyError):
    pass


def request_in(session: Session, incident_id: str, deployment: str, trigger: Trigger, *, by: str,
               flow_run_name: str | None = None, tags: list[str] | None = None, supersedes: str | None = None,
               supersede_message: str | None = None, alert_id: str | None = None) -> RunStart:
    """Store a request to run ``deployment`` for ``incident_id`` with ``trigger`` (inside the caller's
    transaction: the act that needs the run). Audit event ``run_start.requested``."""
    now = utcnow()
    start = RunStart(
        id=str(uuid.uuid4()), incident_id=incident_id, deployment=deployment,
        parameters={"trigger": trigger.model_copy(update={"incident_id": incident_id}).model_dump(mode="json")},
        flow_run_name=flow_run_name, tags=tags or [], supersedes=supersedes, supersede_message=supersede_message,
        alert_id=alert_id, requested_by=by, requested_at=now, next_attempt_at=now,
    )
    session.add(StartRow(**start.model_dump()))
    record(session, "run_start.requested", actor=by, incident_id=incident_id, flow_run_id=supersedes,
           details={"start_id": start.id, "deployment": deployment, "supersedes": supersedes, "alert_id": alert_id})
    return start


def open_and_request(db: Database, incident: Incident, trigger: Trigger, deployment: str, *, by: str,
                     reasons: list[str] | None = None, beside_since: datetime | None = None, **request: object) -> RunStart:
    """Open ``incident`` and request its run: one act, one transaction. ``beside_since``: refuse
    (OpenIncidentExists) beside an incident open for the unit and category (``incidents.open_in``)."""
    with db.write() as session:
        incidents.open_in(session, incident, trigger, reasons or [], beside_since=beside_since)
        return request_in(session, incident.id, deployment, trigger, by=by, **request)  # type: ignore[arg-type]


def escalate_and_request(db: Database, incident_id: str, severity: Severity, deployment: str, trigger: Trigger, *,
                         by: str, reason: str, alert_id: str | None = None, **request: object) -> tuple[Incident, RunStart]:
    """Raise the incident to ``severity`` and request the run that carries it, the released run to be
    cancelled first: one act. Raises RunRefused (recorded) when the incident is closed or
    ``severity`` is not higher; IncidentNotFound."""
    with db.write() as session:
        incident, released, refusal = incidents.escalate_in(session, incident_id, severity, by=by, alert_id=alert_id, reason=reason)
        if refusal is None:
            _supersede_open(session, incident_id, by=by, reason=reason)  # a lower run not started yet never starts
            start = request_in(session, incident_id, deployment, trigger, by=by, supersedes=released, supersede_message=reason,
                               alert_id=alert_id, **request)  # type: ignore[arg-type]
    if refusal is not None:
        raise incidents.RunRefused(refusal)
    return incident, start


def started(db: Database, start_id: str, flow_run_id: str) -> RunStart:
    """Prefect has the run: the incident (unless another run owns it) and the asking alert learn it.
    A request superseded or abandoned meanwhile keeps its status and records the run, which the
    caller then cancels (``pasopati.starts.prefect.attempt``): it never carries the incident."""
    with db.write() as session:
        row = _row(session, start_id)
        if row.status == StartStatus.STARTED:
            return _model(row)
        if not StartStatus(row.status).is_open:
            row.flow_run_id = flow_run_id
            record(session, "run_start.started_late", actor=row.requested_by, incident_id=row.incident_id, flow_run_id=flow_run_id,
                   details={"start_id": start_id, "status": row.status})
            return _model(row)
        row.status, row.flow_run_id, row.started_at, row.last_error = StartStatus.STARTED, flow_run_id, utcnow(), None
        row.attempts += 1
        incidents.set_run(session, row.incident_id, flow_run_id)
        if row.alert_id:
            alerts.learn_run_in(session, row.alert_id, flow_run_id)
        record(session, "run_start.started", actor=row.requested_by, incident_id=row.incident_id, flow_run_id=flow_run_id,
               details={"start_id": start_id, "attempts": row.attempts})
        return _model(row)


def attempt_failed(db: Database, start_id: str, error: str, *, permanent: bool, now: datetime | None = None) -> RunStart:
    """An attempt did not reach a run. A transient error (Prefect unreachable, 5xx, locked database)
    is retried after ``PASOPATI_START_RETRY_SECONDS`` × 2^attempts (jittered, at most
    ``PASOPATI_START_RETRY_MAX_SECONDS``), for as long as it takes; a permanent one (Prefect refused
    the request itself) waits for `pasopati starts retry`. Audit event ``run_start.attempt_failed``."""
    now = now or utcnow()
    settings = get_settings()
    with db.write() as session:
        row = _row(session, start_id)
        if not StartStatus(row.status).is_open:
            return _model(row)
        row.attempts += 1
        row.last_error = error[:ERROR_CHARS]
        delay = min(settings.start_retry_max_seconds, settings.start_retry_seconds * 2 ** min(row.attempts - 1, 16))
        row.next_attempt_at = now + timedelta(seconds=delay * random.uniform(0.5, 1.0))  # noqa: S311  jitter, not secrecy
        row.status = StartStatus.FAILED if permanent else StartStatus.PENDING
        record(session, "run_start.attempt_failed", actor=row.requested_by, incident_id=row.incident_id,
               details={"start_id": start_id, "attempts": row.attempts, "error": row.last_error, "permanent": permanent,
                        "next_attempt_at": None if permanent else row.next_attempt_at.isoformat()})
        return _model(row)


def retry(db: Database, start_id: str, *, by: str) -> RunStart:
    """Due now again (`pasopati starts retry`); a started request is left as it is."""
    with db.write() as session:
        row = _row(session, start_id)
        if StartStatus(row.status).is_open:
            row.status, row.next_attempt_at = StartStatus.PENDING, utcnow()
            record(session, "run_start.retried", actor=by, incident_id=row.incident_id, details={"start_id": start_id})
        return _model(row)


def abandon(db: Database, start_id: str, *, reason: str) -> RunStart:
    """Never start this request (its incident was closed before its run started)."""
    with db.write() as session:
        row = _row(session, start_id)
        if StartStatus(row.status).is_open:
            row.status, row.last_error = StartStatus.ABANDONED, reason[:ERROR_CHARS]
            record(session, "run_start.abandoned", actor=row.requested_by, incident_id=row.incident_id,
                   details={"start_id": start_id, "reason": reason})
        return _model(row)


def _supersede_open(session: Session, incident_id: str, *, by: str, reason: str) -> None:
    query = select(StartRow).where(StartRow.incident_id == incident_id,
                                   StartRow.status.in_([StartStatus.PENDING.value, StartStatus.FAILED.value]))
    for row in session.scalars(query):
        row.status = StartStatus.SUPERSEDED
        record(session, "run_start.superseded", actor=by, incident_id=incident_id, details={"start_id": row.id, "reason": reason})


# Reads ---------------------------------------------------------------------------------------------
def get(db: Database, start_id: str) -> RunStart:
    """Raises StartNotFound."""
    with db.read() as session:
        return _model(_row(session, start_id))


def due(db: Database, now: datetime | None = None) -> list[RunStart]:
    """Pending requests whose next attempt is due, oldest first."""
    query = select(StartRow).where(StartRow.status == StartStatus.PENDING, StartRow.next_attempt_at <= (now or utcnow()))
    with db.read() as session:
        return [_model(r) for r in session.scalars(query.order_by(StartRow.requested_at))]


def unstarted(db: Database) -> list[RunStart]:
    """Every request Prefect does not have a run for yet (pending or failed), oldest first."""
    query = select(StartRow).where(StartRow.status.in_([StartStatus.PENDING.value, StartStatus.FAILED.value]))
    with db.read() as session:
        return [_model(r) for r in session.scalars(query.order_by(StartRow.requested_at))]


def of_incident(db: Database, incident_id: str) -> list[RunStart]:
    with db.read() as session:
        rows = session.scalars(select(StartRow).where(StartRow.incident_id == incident_id).order_by(StartRow.requested_at))
        return [_model(r) for r in rows]


def _row(session: Session, start_id: str) -> StartRow:
    row = session.get(StartRow, start_id)
    if row is None:
        raise StartNotFound(f"no run start {start_id!r}")
    return row


def _model(row: StartRow) -> RunStart:
    return RunStart.model_validate(row, from_attributes=True)
