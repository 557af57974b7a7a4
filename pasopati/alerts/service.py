"""Alert acts: keep what arrived (before anything else happens), keep what could not be read, and
record what intake decided — each with its audit event."""

from __future__ import annotations

import hashlib
import uuid
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.alerts.models import AlertRecord
from pasopati.alerts.tables import AlertRow
from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.incidents.service import set_run, touch
from pasopati.time import utcnow

INTAKE = system("intake")
EXCERPT = 500  # characters of an alert's text kept in its audit event (the whole body is in the alert row)


def receive(db: Database, alert: AlertRecord) -> None:
    """Store an alert as received, before it is classified (a replay too: a new record pointing at
    the original with ``replay_of``). An alert already stored is left as it is."""
    with db.write() as session:
        if session.get(AlertRow, alert.id) is not None:
            return
        session.add(AlertRow(**alert.model_dump()))
        kind = "alert.replayed" if alert.replay_of else "alert.received"
        record(session, kind, actor=INTAKE, details={**_summary(alert), **({"replay_of": alert.replay_of} if alert.replay_of else {})})


def reject(db: Database, raw: str, source: str, reason: str) -> str:
    """Keep a body that could not be read as alerts, with the reason, for a replay after a fix."""
    alert = AlertRecord(id=str(uuid.uuid4()), received_at=utcnow(), source=source, raw=raw, status="rejected", reason=reason)
    with db.write() as session:
        session.add(AlertRow(**alert.model_dump()))
        record(session, "alert.rejected", actor=INTAKE, details=_summary(alert))
    return alert.id


def decide(db: Database, alert: AlertRecord, *, run_started: bool = False) -> None:
    """Record what intake decided (status, classification, incident, run), touching the incident it
    concerns; with ``run_started`` the incident learns its new run in the same transaction."""
    with db.write() as session:
        row = session.get(AlertRow, alert.id)
        if row is None:
            session.add(AlertRow(**alert.model_dump()))
        else:
            for field, value in alert.model_dump(exclude={"id"}).items():
                setattr(row, field, value)
        if alert.incident_id is not None:
            touch(session, alert.incident_id)
            if run_started and alert.flow_run_id:
                set_run(session, alert.incident_id, alert.flow_run_id)
        record(
            session, "alert.decided", actor=INTAKE, incident_id=alert.incident_id, flow_run_id=alert.flow_run_id,
            details={"alert_id": alert.id, "status": alert.status, "reason": alert.reason, "category": alert.category,
                     "severity": alert.severity, "unit_id": alert.unit_id, "classification": alert.reasons},
        )


def learn_run_in(session: Session, alert_id: str, flow_run_id: str) -> None:
    """The run this alert asked for has started (a queued start, ``pasopati.starts``)."""
    row = session.get(AlertRow, alert_id)
    if row is not None and row.flow_run_id is None:
        row.flow_run_id = flow_run_id


def _summary(alert: AlertRecord) -> dict[str, object]:
    return {
        "alert_id": alert.id, "source": alert.source, "url": alert.url, "status": alert.status, "reason": alert.reason,
        "raw_sha256": hashlib.sha256(alert.raw.encode("utf-8", "replace")).hexdigest(), "raw_bytes": len(alert.raw.encode("utf-8", "replace")),
        "text": (alert.text or "")[:EXCERPT],
    }


# Reads ---------------------------------------------------------------------------------------------
def get(db: Database, alert_id: str) -> AlertRecord | None:
    with db.read() as session:
        row = session.get(AlertRow, alert_id)
        return AlertRecord.model_validate(row, from_attributes=True) if row else None


def find(db: Database, *, incident_id: str | None = None, url: str | None = None, status: str | None = None) -> list[AlertRecord]:
    query = select(AlertRow)
    if incident_id is not None:
        query = query.where(AlertRow.incident_id == incident_id)
    if url is not None:
        query = query.where(AlertRow.url == url)
    if status is not None:
        query = query.where(AlertRow.status == status)
    with db.read() as session:
        return [AlertRecord.model_validate(r, from_attributes=True) for r in session.scalars(query.order_by(AlertRow.received_at))]


class Fingerprinted(NamedTuple):
    id: str
    url: str | None
    fingerprint: list[str]


def fingerprints_of(db: Database, incident_id: str) -> list[Fingerprinted]:
    """Id, URL and stored fingerprint of every alert kept with an incident (no bodies: a big alert
    costs its later neighbours nothing). Alerts stored before fingerprints were: computed now."""
    from pasopati.alerts.classify import fingerprint

    query = select(AlertRow.id, AlertRow.url, AlertRow.fingerprint).where(AlertRow.incident_id == incident_id)
    with db.read() as session:
        rows = session.execute(query.order_by(AlertRow.received_at)).all()
        legacy = [i for i, _, stored in rows if stored is None]
        texts = dict(session.execute(select(AlertRow.id, AlertRow.text).where(AlertRow.id.in_(legacy))).all()) if legacy else {}
    return [Fingerprinted(i, url, stored if stored is not None else sorted(fingerprint(texts.get(i) or ""))) for i, url, stored in rows]
