"""Gate rounds: each wait for a person at a gate, kept in the store (``gate_rounds``).

A round opens before the run suspends (``gate.opened`` audit event, with the time a proof must
postdate and the hash of the text shown) and closes when a submission is recorded for it. Prefect
keeps one input per pause key, so a refused submission closes its round and the next one opens at
``<gate>-ke-<n+1>``. Every function works inside the caller's write transaction, except those of
the expiry section at the end (a round Prefect's pause timeout ended), which are acts and reads of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.decisions.gates import pause_key
from pasopati.decisions.tables import GateRoundRow
from pasopati.incidents.models import Incident
from pasopati.time import utcnow

ACCEPTED, REFUSED, EXPIRED = "accepted", "refused", "expired"


def latest(session: Session, incident: Incident, gate: str) -> GateRoundRow | None:
    """The newest round of ``gate`` at the incident's severity, open or closed."""
    return session.scalars(
        select(GateRoundRow)
        .where(GateRoundRow.incident_id == incident.id, GateRoundRow.severity == incident.severity.value, GateRoundRow.gate == gate)
        .order_by(GateRoundRow.round.desc())
        .limit(1)
    ).first()


def at(session: Session, incident: Incident, key: str) -> GateRoundRow | None:
    """The round waiting (or having waited) at pause ``key``; ``FOR UPDATE`` on PostgreSQL."""
    return session.get(GateRoundRow, (incident.id, incident.severity.value, key), with_for_update=True)


def open_next(session: Session, incident: Incident, gate: str, *, text_hash: str | None, flow_run_id: str | None) -> GateRoundRow:
    """Open round n+1 of ``gate`` (round 1 if none) and audit it."""
    previous = latest(session, incident, gate)
    number = previous.round + 1 if previous else 1
    row = GateRoundRow(
        incident_id=incident.id, severity=incident.severity.value, pause_key=pause_key(gate, number), gate=gate,
        round=number, flow_run_id=flow_run_id, opened_at=utcnow(), text_hash=text_hash,
    )
    session.add(row)
    record(
        session, "gate.opened", actor=system("runbook"), incident_id=incident.id, flow_run_id=flow_run_id, at=row.opened_at,
        details={"gate": gate, "pause_key": row.pause_key, "round": number, "text_hash": text_hash, "severity": incident.severity.value},
    )
    return row


def close(row: GateRoundRow, outcome: str, at: datetime | None = None) -> None:
    row.closed_at = at or utcnow()
    row.outcome = outcome


def is_open(row: GateRoundRow | None) -> bool:
    return row is not None and row.closed_at is None


def read_input(session: Session, incident: Incident, key: str) -> GateRoundRow | None:
    """The round at ``key`` if the run has not read its input yet (then marked read), else None:
    a re-run after a crash never records the same input twice."""
    row = at(session, incident, key)
    if row is None or row.input_read_at is not None:
        return None
    row.input_read_at = utcnow()
    return row


def consume(session: Session, incident: Incident, row: GateRoundRow, claimed: str | None) -> None:
    """An input with nothing to act on (a wake-up after an act recorded elsewhere, a resume without
    input, a form without a verdict) still uses up its pause key: an open round is closed as
    refused, so the next one opens at a fresh key."""
    if not is_open(row):
        return
    close(row, REFUSED)
    record(
        session, "gate.round_consumed", actor=claimed or system("prefect"), incident_id=incident.id, flow_run_id=row.flow_run_id,
        details={"gate": row.gate, "pause_key": row.pause_key, "claimed": claimed,
                 "why": "masukan kosong atau tanpa keputusan: ronde berikutnya dibuka"},
    )


# Expiry: Prefect's pause timeout ended a run that still waited at a round ---------------------------
# Unlike the functions above, these are acts and reads of their own (one transaction each): the
# watcher (pasopati.watch) and the CLI call them directly.
def expire(db: Database, incident: Incident, key: str, *, when: datetime, actor: str, flow_run_id: str | None,
           details: dict[str, Any] | None = None) -> bool:
    """Close the round still open at pause ``key`` as ``expired`` (the run waiting there was ended
    by Prefect's pause timeout, nothing decided) with its ``gate.expired`` audit event.

    Once: True only for the call that closed it; a round already closed (decided, consumed,
    expired by another watcher pass) or unknown is left as it is and False returned."""
    with db.write() as session:
        row = at(session, incident, key)
        if not is_open(row):
            return False
        assert row is not None
        close(row, EXPIRED, when)
        record(
            session, "gate.expired", actor=actor, incident_id=incident.id, flow_run_id=flow_run_id, at=when,
            details={"gate": row.gate, "pause_key": row.pause_key, "round": row.round, "severity": row.severity,
                     "run": row.flow_run_id, "opened_at": row.opened_at.isoformat(), **(details or {})},
        )
        return True


class Round(BaseModel):
    """A round as the readers outside this package see it (a copy of its ``gate_rounds`` row)."""

    model_config = ConfigDict(from_attributes=True)
    incident_id: str
    severity: str
    pause_key: str
    gate: str
    round: int
    flow_run_id: str | None
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None


def open_rounds(db: Database, incident_ids: list[str]) -> list[Round]:
    """Rounds still waiting for a submission in these incidents, oldest first."""
    if not incident_ids:
        return []
    query = select(GateRoundRow).where(GateRoundRow.incident_id.in_(incident_ids), GateRoundRow.closed_at.is_(None))
    with db.read() as session:
        return [Round.model_validate(r) for r in session.scalars(query.order_by(GateRoundRow.opened_at))]


def expired(db: Database, *, incident_ids: list[str] | None = None, flow_run_id: str | None = None) -> list[Round]:
    """Rounds closed as expired, of these incidents and/or opened by this run, oldest first."""
    query = select(GateRoundRow).where(GateRoundRow.outcome == EXPIRED).order_by(GateRoundRow.opened_at)
    if incident_ids is not None:
        query = query.where(GateRoundRow.incident_id.in_(incident_ids))
    if flow_run_id is not None:
        query = query.where(GateRoundRow.flow_run_id == flow_run_id)
    with db.read() as session:
        return [Round.model_validate(r) for r in session.scalars(query)]


def unread(session: Session, incident: Incident, gate: str) -> list[str]:
    """Pause keys of ``gate``'s rounds closed without the run having read their input."""
    return list(session.scalars(
        select(GateRoundRow.pause_key)
        .where(GateRoundRow.incident_id == incident.id, GateRoundRow.severity == incident.severity.value, GateRoundRow.gate == gate,
               GateRoundRow.closed_at.is_not(None), GateRoundRow.input_read_at.is_(None))
        .order_by(GateRoundRow.round)
    ))
