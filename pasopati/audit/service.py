"""Append to the audit chain inside a domain act's transaction; read it; verify it.

Every service calls ``record`` in the same write transaction as the act it describes, so an act
and its audit event commit together or not at all. ``Database.write()`` holds the store's writer
lock, so reading the head and appending after it cannot race another writer.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pasopati.audit.chain import GENESIS, canonical, event_hash, genesis, timestamp
from pasopati.audit.models import Anchor, AuditEvent, ChainProblem, Verification
from pasopati.audit.tables import AuditEventRow, AuditHeadRow
from pasopati.db import Database, clean_json
from pasopati.db.meta import StoreMetaRow

CHAIN_STATE = "pasopati.audit.chain"  # session.info key: the _Chain of the current transaction
SYSTEM = "sistem"  # actor prefix for what the software did by itself: "sistem:runbook", "sistem:intake"…


def system(component: str) -> str:
    return f"{SYSTEM}:{component}"


def record(
    session: Session,
    kind: str,
    *,
    actor: str,
    incident_id: str | None = None,
    flow_run_id: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event after the chain head, in ``session``'s (write) transaction.

    The first event of a transaction reads the head and the incident's last hash in one query;
    both are then kept for the rest of the transaction (``session.info``), and nothing is flushed
    before commit, so an act that records several events inserts them, and its own rows, in one
    batch, and an event still pending in this session is linked to, not missed."""
    chain = _chain(session)
    with session.no_autoflush:
        if chain.head is None:
            found = session.execute(_HEAD_AND_LAST, {"incident_id": incident_id}).first()
            if found is None:
                raise RuntimeError("audit_head row missing: the store was not created by its migrations")
            chain.head = found[0]
            if incident_id is not None:
                chain.links[incident_id] = found[1]
        elif incident_id is not None and incident_id not in chain.links:
            chain.links[incident_id] = session.scalar(_LAST_OF_INCIDENT, {"incident_id": incident_id})
    head = chain.head
    incident_prev = chain.links[incident_id] if incident_id is not None else None
    at = at or datetime.now(UTC)
    details_json = canonical(clean_json(details or {}))
    actor = clean_json(actor)
    digest = event_hash(
        prev_hash=head.hash, incident_prev_hash=incident_prev, at=at, kind=kind, incident_id=incident_id,
        flow_run_id=flow_run_id, actor=actor, details_json=details_json,
    )
    row = AuditEventRow(
        seq=head.seq + 1, at=at, kind=kind, incident_id=incident_id, flow_run_id=flow_run_id, actor=actor,
        details=details_json, prev_hash=head.hash, incident_prev_hash=incident_prev, hash=digest,
    )
    session.add(row)
    head.seq, head.hash = row.seq, digest
    if incident_id is not None:
        chain.links[incident_id] = digest
    return _event(row)


# Built once: constructing an ORM select costs about 0.2 ms of Python per call.
_LAST_OF_INCIDENT = (
    select(AuditEventRow.hash)
    .where(AuditEventRow.incident_id == bindparam("incident_id"))
    .order_by(AuditEventRow.seq.desc())
    .limit(1)
)
_HEAD_AND_LAST = select(AuditHeadRow, _LAST_OF_INCIDENT.scalar_subquery()).where(AuditHeadRow.id == 1)


@dataclass
class _Chain:
    """What this transaction knows of the chain: the head row, and each incident's last hash."""

    transaction: Any
    head: AuditHeadRow | None = None
    links: dict[str, str | None] = field(default_factory=dict)


def _chain(session: Session) -> _Chain:
    transaction = session.get_transaction()
    chain = session.info.get(CHAIN_STATE)
    if chain is None or chain.transaction is not transaction:
        chain = session.info[CHAIN_STATE] = _Chain(transaction)
    return chain


def head(db: Database) -> tuple[int, str]:
    """(seq, hash) of the last event; (0, the store's genesis) for an empty chain."""
    with db.read() as session:
        row = session.get(AuditHeadRow, 1)
        return (row.seq, row.hash) if row else (0, GENESIS)


def hashes_between(db: Database, first: int, last: int) -> dict[int, str]:
    """seq → hash of the rows from ``first`` to ``last`` (comparing an exported bundle with the store)."""
    with db.read() as session:
        query = select(AuditEventRow.seq, AuditEventRow.hash).where(AuditEventRow.seq.between(first, last))
        return dict(session.execute(query).tuples().all())


def events(
    db: Database, *, incident_id: str | None = None, incident_ids: Iterable[str] | None = None, upto: int | None = None
) -> list[AuditEvent]:
    """Events in chain order: all, one incident's, several incidents', optionally up to a seq."""
    query = select(AuditEventRow).order_by(AuditEventRow.seq)
    if incident_id is not None:
        query = query.where(AuditEventRow.incident_id == incident_id)
    if incident_ids is not None:
        query = query.where(AuditEventRow.incident_id.in_(list(incident_ids)))
    if upto is not None:
        query = query.where(AuditEventRow.seq <= upto)
    with db.read() as session:
        return [_event(row) for row in session.scalars(query)]


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        seq=row.seq, at=row.at, kind=row.kind, incident_id=row.incident_id, flow_run_id=row.flow_run_id,
        actor=row.actor, details=json.loads(row.details), prev_hash=row.prev_hash,
        incident_prev_hash=row.incident_prev_hash, hash=row.hash,
    )


# Verification ------------------------------------------------------------------------------------
Row = tuple[int, datetime | str, str, str | None, str | None, str, str, str, str | None, str]


VERIFY_QUERY = (
    "SELECT seq, at, kind, incident_id, flow_run_id, actor, details, prev_hash, incident_prev_hash, hash"
    " FROM audit_events ORDER BY seq"
)
SQLITE_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")


def verify(db: Database, anchors: list[Anchor] | None = None, batch: int = 10_000) -> Verification:
    """Recompute the whole chain and name the first altered, missing, inserted or reordered row,
    then compare the head and every anchor. Reads only (works for a read-only auditor role).

    Rows are read through the driver without SQLAlchemy's per-row type conversion (half the cost
    at 100 000 events, bench/audit.py); the time is turned into its hashed text here."""
    started = time.perf_counter()
    with db.read(snapshot=True) as session:  # head and rows from one moment, while writers go on
        head_row = session.get(AuditHeadRow, 1)
        stored_head = (head_row.seq, head_row.hash) if head_row else (0, GENESIS)
        store_id = session.scalar(select(StoreMetaRow.store_id).where(StoreMetaRow.id == 1))
        start = genesis(store_id) if store_id else GENESIS

        def rows() -> Iterator[Row]:
            result = session.connection().execution_options(yield_per=batch).exec_driver_sql(VERIFY_QUERY)
            for partition in result.partitions():
                for row in partition:
                    yield (row[0], _stamp(row[1]), *row[2:])  # type: ignore[misc]

        def seq_of(digest: str) -> int | None:
            return session.scalar(select(AuditEventRow.seq).where(AuditEventRow.hash == digest))

        report = verify_rows(rows(), seq_of, start_hash=start)
        if report.problem is None:
            report.problem = _check_head(report, stored_head)
        if report.problem is None and anchors:
            report.problem = _check_anchors(anchors, lambda seq: session.scalar(select(AuditEventRow.hash).where(AuditEventRow.seq == seq)))
            report.anchors_checked = len(anchors)
    report.seconds = time.perf_counter() - started
    return report


def _stamp(value: object) -> str:
    """The hashed text of a stored time: SQLite gives 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC), PostgreSQL
    an aware datetime. Anything else was not written by PASOPATI: its raw text (which cannot match)."""
    try:
        if isinstance(value, str):
            if SQLITE_STAMP.fullmatch(value):
                return f"{value[:10]}T{value[11:]}+00:00"
            value = datetime.fromisoformat(value)
            value = value if value.tzinfo else value.replace(tzinfo=UTC)  # type: ignore[union-attr]
        return timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError):
        return f"unreadable time {value!r}"


def verify_rows(rows: Iterable[Row], seq_of: Callable[[str], int | None], *, first_seq: int = 1, start_hash: str = GENESIS) -> Verification:
    """The chain check over rows in seq order; ``seq_of`` finds the row a stray link points to."""
    expected_seq, prev = first_seq, start_hash
    last_of_incident: dict[str, str] = {}
    count = 0
    for seq, at, kind, incident_id, flow_run_id, actor, details, prev_hash, incident_prev_hash, digest in rows:
        count += 1
        problem = None
        try:
            recomputed = event_hash(
                prev_hash=prev_hash, incident_prev_hash=incident_prev_hash, at=at, kind=kind, incident_id=incident_id,
                flow_run_id=flow_run_id, actor=actor, details_json=details,
            )
        except (TypeError, ValueError, AttributeError):
            recomputed = None  # a value no PASOPATI wrote (a time that is not a time, …): altered
        if seq != expected_seq:
            problem = ChainProblem(
                seq=expected_seq, kind="missing",
                message=f"row(s) {expected_seq}–{seq - 1} missing: the chain jumps from {expected_seq - 1} to {seq}",
            )
        elif digest != recomputed:
            problem = ChainProblem(seq=seq, kind="altered", message=f"row {seq} ({kind}) altered: its content no longer matches its hash")
        elif prev_hash != prev:
            problem = _broken_link(seq, kind, prev_hash, seq_of)
        elif incident_id is not None and incident_prev_hash != last_of_incident.get(incident_id):
            problem = ChainProblem(
                seq=seq, kind="incident-link",
                message=f"row {seq} ({kind}) does not follow the previous event of incident {incident_id}:"
                " an event of that incident was altered, removed or moved",
            )
        if problem is not None:
            return Verification(events=count, head_seq=expected_seq - 1, head_hash=prev, problem=problem)
        prev, expected_seq = digest, seq + 1
        if incident_id is not None:
            last_of_incident[incident_id] = digest
    return Verification(events=count, head_seq=expected_seq - 1, head_hash=prev, problem=None)


def _broken_link(seq: int, kind: str, prev_hash: str, seq_of: Callable[[str], int | None]) -> ChainProblem:
    if seq == 1:
        return ChainProblem(
            seq=1, kind="altered",
            message=f"row 1 ({kind}) does not start this store's chain: the store's identity (store_meta) or its first row was changed",
        )
    pointed = seq_of(prev_hash)
    if pointed is None:
        return ChainProblem(
            seq=seq - 1, kind="altered",
            message=f"row {seq} ({kind}) follows a row that is no longer in the log: row {seq - 1} was rewritten,"
            f" or a row between {seq - 1} and {seq} was removed and the rest renumbered",
        )
    if pointed < seq - 1:
        return ChainProblem(
            seq=seq - 1, kind="inserted" if pointed == seq - 2 else "missing",
            message=(f"row {seq - 1} was inserted: row {seq} ({kind}) follows row {pointed}" if pointed == seq - 2
                     else f"row {seq} ({kind}) follows row {pointed}: rows in between were removed or inserted"),
        )
    return ChainProblem(seq=seq, kind="reordered", message=f"row {seq} ({kind}) follows row {pointed}, which comes after it: rows reordered")


def _check_head(report: Verification, stored: tuple[int, str]) -> ChainProblem | None:
    if (report.head_seq, report.head_hash) == stored:
        return None
    if report.head_seq == stored[0]:
        return ChainProblem(seq=None, kind="head", message=f"the chain head row (audit_head) was altered: it names hash {stored[1][:16]}…, the log ends with {report.head_hash[:16]}…")
    if report.head_seq > stored[0]:
        return ChainProblem(seq=stored[0] + 1, kind="inserted", message=f"row(s) {stored[0] + 1}–{report.head_seq} were appended behind the chain head's back")
    return ChainProblem(
        seq=report.head_seq + 1, kind="missing",
        message=f"the chain head says {stored[0]} events, the log ends at {report.head_seq}: the last rows were removed",
    )


def _check_anchors(anchors: list[Anchor], hash_at: Callable[[int], str | None]) -> ChainProblem | None:
    for anchor in sorted(anchors, key=lambda a: a.seq):
        stored = hash_at(anchor.seq)
        if stored != anchor.hash:
            what = "is missing" if stored is None else "differs"
            return ChainProblem(
                seq=anchor.seq, kind="anchor",
                message=f"row {anchor.seq} {what} from the anchor written to Prefect at {anchor.at.isoformat(timespec='seconds')}:"
                " the log was rewritten after that moment",
            )
    return None


def verify_incident(events: list[AuditEvent]) -> ChainProblem | None:
    """One incident's events on their own (an exported bundle): each hash recomputes and each event
    links to the incident's previous one, from its first. The links to the store-wide chain
    (``prev_hash``) are checked against the store or its anchors, not here."""
    last: str | None = None
    for event in events:
        digest = event_hash(
            prev_hash=event.prev_hash, incident_prev_hash=event.incident_prev_hash, at=event.at, kind=event.kind,
            incident_id=event.incident_id, flow_run_id=event.flow_run_id, actor=event.actor,
            details_json=canonical(event.details),
        )
        if digest != event.hash:
            return ChainProblem(seq=event.seq, kind="altered", message=f"event {event.seq} ({event.kind}) altered: its content no longer matches its hash")
        if event.incident_prev_hash != last:
            known = {e.hash: e.seq for e in events}
            pointed = known.get(event.incident_prev_hash or "")
            if pointed is not None and pointed > event.seq:
                return ChainProblem(seq=event.seq, kind="reordered", message=f"event {event.seq} ({event.kind}) follows event {pointed}, which comes after it: events reordered")
            what = "the incident's first event is missing" if last is None else "the event before it was removed or altered"
            return ChainProblem(seq=event.seq, kind="missing" if pointed is None else "inserted", message=f"event {event.seq} ({event.kind}) does not follow the one before it: {what}")
        last = event.hash
    return None
