"""The PASOPATI store: incidents and everything a run decided, behind SQLAlchemy.

SQLite file by default (``PASOPATI_DATABASE_URL`` for PostgreSQL). Writes are idempotent where a
Prefect re-run (after a suspend or a retry) may repeat them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from datetime import datetime

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pasopati.alerts import AlertRecord
from pasopati.models import (
    Acknowledgement,
    Decision,
    Escalation,
    Notification,
    Draft,
    Evaluation,
    Fact,
    FactSet,
    Incident,
    Publication,
    PublicationStatus,
    Stage,
    Team,
    utcnow,
)
from pasopati.settings import get_settings
from pasopati.store.tables import (
    AcknowledgementRow,
    AlertRow,
    Base,
    DecisionRow,
    DraftRow,
    EscalationRow,
    EvaluationRow,
    FactRow,
    IncidentRow,
    NotificationRow,
    PublicationRow,
    RunRow,
    StageRow,
    TeamRow,
)


class SchemaOutdated(RuntimeError):
    """The database predates columns this version needs."""


class Store:
    def __init__(self, url: str):
        self.engine = _engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)
        self._check_schema()

    def _check_schema(self) -> None:
        """create_all adds missing tables, never missing columns: say so instead of failing later."""
        inspector = inspect(self.engine)
        missing = [
            f"{table.name}.{column.name}"
            for table in Base.metadata.sorted_tables
            for column in table.columns
            if column.name not in {c["name"] for c in inspector.get_columns(table.name)}
        ]
        if missing:
            raise SchemaOutdated(
                f"the store at {self.engine.url.render_as_string(hide_password=True)} was created by an older"
                f" PASOPATI and lacks {', '.join(missing)}. Move it aside (it is kept, not deleted) or migrate it;"
                " a new one is created on the next start."
            )

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session.begin() as session:
            yield session

    def _insert_once(self, row: Any) -> bool:
        """Insert unless a row with the same key exists; True if this call inserted it."""
        try:
            with self.session() as session:
                session.add(row)
            return True
        except IntegrityError:
            return False

    # Incident -------------------------------------------------------------------------------
    def save_incident(self, incident: Incident) -> None:
        self._insert_once(
            IncidentRow(
                id=incident.id,
                flow_run_id=incident.flow_run_id,
                category=incident.category,
                severity=incident.severity.value,
                unit_id=incident.unit_id,
                kanwil_id=incident.kanwil_id,
                summary=incident.summary,
                detected_at=incident.detected_at,
                opened_at=incident.opened_at,
                updated_at=incident.opened_at,
                data=incident.model_dump(mode="json"),
            )
        )

    def update_incident(self, incident: Incident) -> None:
        """Escalation: a new severity and the run that now carries the incident."""
        with self.session() as session:
            row = session.get(IncidentRow, incident.id)
            assert row is not None, f"no incident {incident.id}"
            row.severity, row.flow_run_id, row.updated_at = incident.severity.value, incident.flow_run_id, utcnow()
            row.data = incident.model_dump(mode="json")

    def record_run(self, incident: Incident) -> None:
        if incident.flow_run_id:
            self._insert_once(
                RunRow(
                    flow_run_id=incident.flow_run_id,
                    incident_id=incident.id,
                    severity=incident.severity.value,
                    started_at=utcnow(),
                )
            )

    def incident(self, incident_id: str) -> Incident | None:
        with self.session() as session:
            row = session.get(IncidentRow, incident_id)
            return Incident.model_validate(row.data) if row else None

    def incident_for_run(self, flow_run_id: str) -> Incident | None:
        """The incident a run carries (or carried, before an escalation handed it on)."""
        with self.session() as session:
            run = session.get(RunRow, flow_run_id)
            row = session.get(IncidentRow, run.incident_id) if run else None
            return Incident.model_validate(row.data) if row else None

    def active_incident(self, unit_id: str, category: str, since: datetime) -> Incident | None:
        """The incident for this unit and category with activity since ``since`` (correlation)."""
        with self.session() as session:
            row = session.scalars(
                select(IncidentRow)
                .where(IncidentRow.unit_id == unit_id, IncidentRow.category == category, IncidentRow.updated_at >= since)
                .order_by(IncidentRow.updated_at.desc())
            ).first()
            return Incident.model_validate(row.data) if row else None

    def count_incidents(self, unit_id: str, since: datetime) -> int:
        with self.session() as session:
            query = select(func.count()).select_from(IncidentRow)
            return session.scalar(query.where(IncidentRow.unit_id == unit_id, IncidentRow.opened_at >= since)) or 0

    def touch_incident(self, incident_id: str) -> None:
        with self.session() as session:
            row = session.get(IncidentRow, incident_id)
            if row is not None:
                row.updated_at = utcnow()

    # Alerts -----------------------------------------------------------------------------------
    def save_alert(self, record: AlertRecord) -> None:
        with self.session() as session:
            session.merge(AlertRow(**record.model_dump()))

    def alert(self, alert_id: str) -> AlertRecord | None:
        with self.session() as session:
            row = session.get(AlertRow, alert_id)
            return AlertRecord.model_validate(row, from_attributes=True) if row else None

    def alerts(self, *, incident_id: str | None = None, url: str | None = None, status: str | None = None) -> list[AlertRecord]:
        query = select(AlertRow)
        if incident_id is not None:
            query = query.where(AlertRow.incident_id == incident_id)
        if url is not None:
            query = query.where(AlertRow.url == url)
        if status is not None:
            query = query.where(AlertRow.status == status)
        with self.session() as session:
            rows = session.scalars(query.order_by(AlertRow.received_at))
            return [AlertRecord.model_validate(r, from_attributes=True) for r in rows]

    # Team -----------------------------------------------------------------------------------
    def save_team(self, team: Team) -> None:
        self._insert_once(
            TeamRow(
                incident_id=team.incident_id,
                severity=team.severity.value,
                assembled_at=team.assembled_at,
                data=team.model_dump(mode="json"),
            )
        )

    def team(self, incident_id: str, severity: str) -> Team | None:
        with self.session() as session:
            row = session.get(TeamRow, (incident_id, severity))
            return Team.model_validate(row.data) if row else None

    # Facts ----------------------------------------------------------------------------------
    def save_facts(self, incident_id: str, facts: list[Fact], change: str) -> list[Fact]:
        """Record each fact as a new version where its value or source differs from the current one.

        Idempotent per ``change``: re-running the submission that recorded a version returns it.
        Returns the current version of every item given.
        """
        recorded = []
        for fact in facts:
            for _ in range(5):  # two corrections of one figure at once: the loser takes the next version
                current = {f.item_id: f for f in self.facts(incident_id, change=change)}.get(fact.item_id)
                current = current or self.current_fact(incident_id, fact.item_id)
                if current and (current.change == change or (current.value, current.source) == (fact.value, fact.source)):
                    recorded.append(current)
                    break
                version = fact.model_copy(update={"version": (current.version + 1) if current else 1, "change": change})
                if self._insert_once(FactRow(incident_id=incident_id, **version.model_dump())):
                    recorded.append(version)
                    break
            else:
                raise RuntimeError(f"could not record a version of {fact.item_id} for {incident_id}")
        return recorded

    def facts(self, incident_id: str, *, change: str | None = None) -> list[Fact]:
        """Every version, oldest first (an auditor's history), or those one submission recorded."""
        query = select(FactRow).where(FactRow.incident_id == incident_id)
        if change is not None:
            query = query.where(FactRow.change == change)
        with self.session() as session:
            rows = session.scalars(query.order_by(FactRow.item_id, FactRow.version))
            return [Fact.model_validate(row, from_attributes=True) for row in rows]

    def current_fact(self, incident_id: str, item_id: str) -> Fact | None:
        with self.session() as session:
            row = session.scalars(
                select(FactRow)
                .where(FactRow.incident_id == incident_id, FactRow.item_id == item_id)
                .order_by(FactRow.version.desc())
            ).first()
            return Fact.model_validate(row, from_attributes=True) if row else None

    def current_facts(self, incident_id: str) -> list[Fact]:
        """The latest version of every item: the one source of truth for each figure."""
        latest: dict[str, Fact] = {}
        for fact in self.facts(incident_id):
            latest[fact.item_id] = fact
        return list(latest.values())

    def fact_version(self, incident_id: str, item_id: str, version: int) -> Fact | None:
        with self.session() as session:
            row = session.scalars(
                select(FactRow).where(
                    FactRow.incident_id == incident_id, FactRow.item_id == item_id, FactRow.version == version
                )
            ).first()
            return Fact.model_validate(row, from_attributes=True) if row else None

    # Drafts and decisions -------------------------------------------------------------------
    def save_drafts(self, drafts: list[Draft]) -> None:
        for draft in drafts:
            self._insert_once(DraftRow(content_hash=draft.content_hash, **draft.model_dump()))

    def draft(self, draft_id: str) -> Draft | None:
        with self.session() as session:
            row = session.get(DraftRow, draft_id)
            return Draft.model_validate(row, from_attributes=True) if row else None

    def drafts(self, incident_id: str, severity: str | None = None, *, latest: bool = False) -> list[Draft]:
        """All revisions, or with ``latest`` only the newest revision of each message."""
        query = select(DraftRow).where(DraftRow.incident_id == incident_id)
        if severity is not None:
            query = query.where(DraftRow.severity == severity)
        with self.session() as session:
            rows = session.scalars(query.order_by(DraftRow.created_at, DraftRow.revision, DraftRow.id))
            drafts = [Draft.model_validate(row, from_attributes=True) for row in rows]
        if latest:
            replaced = {d.parent_id for d in drafts if d.parent_id}
            drafts = [d for d in drafts if d.id not in replaced]
        return drafts

    def record_decision(self, decision: Decision, drafts: list[Draft]) -> Decision:
        """Insert once per pause (a re-run returns the recorded one); refusals at the CLI always insert."""
        if decision.pause_key is not None and (recorded := self.decision_at(decision.incident_id, decision.severity.value, decision.pause_key)):
            return recorded
        self._insert_once(
            DecisionRow(
                **decision.model_dump(exclude={"draft_ids"}),
                draft_hashes={d.id: d.content_hash for d in drafts},
            )
        )
        if decision.pause_key is None:
            return decision
        recorded = self.decision_at(decision.incident_id, decision.severity.value, decision.pause_key)
        assert recorded is not None
        return recorded

    def decision_at(self, incident_id: str, severity: str, pause_key: str) -> Decision | None:
        with self.session() as session:
            row = session.scalars(
                select(DecisionRow).where(
                    DecisionRow.incident_id == incident_id,
                    DecisionRow.severity == severity,
                    DecisionRow.pause_key == pause_key,
                )
            ).first()
            return _decision(row) if row else None

    def decisions(self, incident_id: str) -> list[Decision]:
        with self.session() as session:
            rows = session.scalars(
                select(DecisionRow).where(DecisionRow.incident_id == incident_id).order_by(DecisionRow.id)
            )
            return [_decision(r) for r in rows]

    def approvers_of(self, draft: Draft) -> set[str]:
        """Distinct people whose accepted approval covers exactly this draft's current body."""
        with self.session() as session:
            rows = session.scalars(
                select(DecisionRow).where(
                    DecisionRow.incident_id == draft.incident_id,
                    DecisionRow.verdict.in_(["approve", "edit"]),
                    DecisionRow.accepted.is_(True),
                )
            )
            return {r.approver for r in rows if r.draft_hashes.get(draft.id) == draft.content_hash}

    # Publications ---------------------------------------------------------------------------
    def claim_publication(self, publication_id: str, draft: Draft, channel: str) -> Publication:
        """Create the publication record before sending; return the existing one if there is one."""
        self._insert_once(
            PublicationRow(
                id=publication_id,
                incident_id=draft.incident_id,
                draft_id=draft.id,
                channel=channel,
                status=PublicationStatus.SENDING.value,
                attempts=0,
            )
        )
        with self.session() as session:
            row = session.get(PublicationRow, publication_id)
            assert row is not None
            row.attempts += 1
            return _publication(row)

    def finish_publication(self, publication_id: str, *, location: str | None = None, error: str | None = None) -> Publication:
        with self.session() as session:
            row = session.get(PublicationRow, publication_id)
            assert row is not None
            if error is None:
                row.status, row.location, row.error, row.published_at = "sent", location, None, utcnow()
            else:
                row.status, row.error = "failed", error
            return _publication(row)

    def publications(self, incident_id: str) -> list[Publication]:
        with self.session() as session:
            rows = session.scalars(
                select(PublicationRow).where(PublicationRow.incident_id == incident_id).order_by(PublicationRow.id)
            )
            return [_publication(r) for r in rows]

    # Stages and evaluation ------------------------------------------------------------------
    def mark_stage(self, incident_id: str, stage: Stage) -> None:
        self._insert_once(StageRow(incident_id=incident_id, stage=stage.value, at=utcnow()))

    def stages(self, incident_id: str) -> dict[Stage, Any]:
        with self.session() as session:
            rows = session.scalars(select(StageRow).where(StageRow.incident_id == incident_id))
            return {Stage(r.stage): r.at for r in rows}

    def save_evaluation(self, evaluation: Evaluation) -> None:
        """Replace: a retried run re-evaluates once its failed publications went out."""
        with self.session() as session:
            session.merge(
                EvaluationRow(incident_id=evaluation.incident_id, created_at=utcnow(), data=evaluation.model_dump(mode="json"))
            )

    def evaluation(self, incident_id: str) -> Evaluation | None:
        with self.session() as session:
            row = session.get(EvaluationRow, incident_id)
            return Evaluation.model_validate(row.data) if row else None

    # Corrections ----------------------------------------------------------------------------
    def flag_publication(self, publication_id: str, flag: str, correction_draft_id: str) -> None:
        with self.session() as session:
            row = session.get(PublicationRow, publication_id)
            assert row is not None, f"no publication {publication_id}"
            row.flag, row.correction_draft_id = flag, correction_draft_id

    # Open crises ----------------------------------------------------------------------------
    def close_incident(self, incident_id: str, by: str, reason: str) -> bool:
        """True if this call closed it (False: already closed)."""
        with self.session() as session:
            row = session.get(IncidentRow, incident_id)
            assert row is not None, f"no incident {incident_id}"
            if row.closed_at is not None:
                return False
            row.closed_at, row.closed_by, row.close_reason = utcnow(), by, reason
            return True

    def open_incidents(self) -> list[Incident]:
        with self.session() as session:
            rows = session.scalars(select(IncidentRow).where(IncidentRow.closed_at.is_(None)).order_by(IncidentRow.opened_at))
            return [Incident.model_validate(r.data) for r in rows]

    def is_closed(self, incident_id: str) -> bool:
        with self.session() as session:
            row = session.get(IncidentRow, incident_id)
            return row is not None and row.closed_at is not None

    # Escalations, notifications, acknowledgements ------------------------------------------
    def escalate(self, escalation: Escalation) -> bool:
        """Record once; True if this call recorded it (so only that caller notifies)."""
        return self._insert_once(EscalationRow(**escalation.model_dump()))

    def escalations(self, incident_id: str) -> list[Escalation]:
        with self.session() as session:
            rows = session.scalars(select(EscalationRow).where(EscalationRow.incident_id == incident_id).order_by(EscalationRow.id))
            return [Escalation.model_validate(r, from_attributes=True) for r in rows]

    def claim_notification(self, notification: Notification) -> bool:
        """Reserve (incident, key, person) before sending: a re-run never notifies twice."""
        return self._insert_once(NotificationRow(**notification.model_dump()))

    def finish_notification(
        self, incident_id: str, key: str, person: str, *, contact: str, ok: bool, error: str | None
    ) -> None:
        with self.session() as session:
            row = session.scalars(
                select(NotificationRow).where(
                    NotificationRow.incident_id == incident_id, NotificationRow.key == key, NotificationRow.person == person
                )
            ).one()
            row.contact, row.ok, row.error, row.sent_at = contact, ok, error, utcnow()

    def notifications(self, incident_id: str) -> list[Notification]:
        with self.session() as session:
            rows = session.scalars(select(NotificationRow).where(NotificationRow.incident_id == incident_id).order_by(NotificationRow.id))
            return [Notification.model_validate(r, from_attributes=True) for r in rows]

    def acknowledge(self, ack: Acknowledgement) -> bool:
        return self._insert_once(AcknowledgementRow(**ack.model_dump()))

    def acknowledgements(self, incident_id: str) -> list[Acknowledgement]:
        with self.session() as session:
            rows = session.scalars(select(AcknowledgementRow).where(AcknowledgementRow.incident_id == incident_id))
            return [Acknowledgement.model_validate(r, from_attributes=True) for r in rows]


def _publication(row: PublicationRow) -> Publication:
    return Publication.model_validate(row, from_attributes=True)


def _decision(row: DecisionRow) -> Decision:
    return Decision(
        incident_id=row.incident_id,
        severity=row.severity,
        gate=row.gate,
        pause_key=row.pause_key,
        verdict=row.verdict,
        approver=row.approver,
        reason=row.reason,
        accepted=row.accepted,
        refusal=row.refusal,
        draft_ids=list(row.draft_hashes),
        diffs=row.diffs,
        decided_at=row.decided_at,
    )


@lru_cache
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        # Several served runs write at once: WAL lets readers proceed while one writes.
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA journal_mode=WAL"))
        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache
def _store(url: str) -> Store:
    store = Store(url)
    store.create_schema()
    return store


def get_store() -> Store:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return _store(settings.database)
