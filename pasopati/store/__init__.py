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

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pasopati.alerts import AlertRecord
from pasopati.models import (
    Decision,
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
    AlertRow,
    Base,
    DecisionRow,
    DraftRow,
    EvaluationRow,
    FactRow,
    IncidentRow,
    PublicationRow,
    RunRow,
    StageRow,
    TeamRow,
)


class Store:
    def __init__(self, url: str):
        self.engine = _engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

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
    def save_facts(self, fact_set: FactSet) -> None:
        for fact in fact_set.facts:
            self._insert_once(
                FactRow(incident_id=fact_set.incident_id, stage=fact_set.stage, **fact.model_dump())
            )

    def facts(self, incident_id: str, stage: str) -> list[Fact]:
        with self.session() as session:
            rows = session.scalars(
                select(FactRow).where(FactRow.incident_id == incident_id, FactRow.stage == stage).order_by(FactRow.id)
            )
            return [Fact.model_validate(row, from_attributes=True) for row in rows]

    # Drafts and decisions -------------------------------------------------------------------
    def save_drafts(self, drafts: list[Draft]) -> None:
        for draft in drafts:
            self._insert_once(DraftRow(content_hash=draft.content_hash, **draft.model_dump()))

    def draft(self, draft_id: str) -> Draft | None:
        with self.session() as session:
            row = session.get(DraftRow, draft_id)
            return Draft.model_validate(row, from_attributes=True) if row else None

    def drafts(self, incident_id: str, severity: str | None = None) -> list[Draft]:
        query = select(DraftRow).where(DraftRow.incident_id == incident_id)
        if severity is not None:
            query = query.where(DraftRow.severity == severity)
        with self.session() as session:
            rows = session.scalars(query.order_by(DraftRow.created_at, DraftRow.id))
            return [Draft.model_validate(row, from_attributes=True) for row in rows]

    def record_decision(self, decision: Decision, drafts: list[Draft]) -> None:
        self._insert_once(
            DecisionRow(
                **decision.model_dump(exclude={"draft_ids"}),
                draft_hashes={d.id: d.content_hash for d in drafts},
            )
        )

    def decisions(self, incident_id: str) -> list[Decision]:
        with self.session() as session:
            rows = session.scalars(
                select(DecisionRow).where(DecisionRow.incident_id == incident_id).order_by(DecisionRow.id)
            )
            return [
                Decision(
                    incident_id=r.incident_id,
                    severity=r.severity,
                    gate=r.gate,
                    verdict=r.verdict,
                    approver=r.approver,
                    reason=r.reason,
                    draft_ids=list(r.draft_hashes),
                    decided_at=r.decided_at,
                )
                for r in rows
            ]

    def approval_for(self, draft: Draft) -> DecisionRow | None:
        """The approving decision covering exactly this draft's body, if any."""
        with self.session() as session:
            rows = session.scalars(
                select(DecisionRow).where(
                    DecisionRow.incident_id == draft.incident_id, DecisionRow.verdict == "approve"
                )
            )
            return next((r for r in rows if r.draft_hashes.get(draft.id) == draft.content_hash), None)

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


def _publication(row: PublicationRow) -> Publication:
    return Publication.model_validate(row, from_attributes=True)


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
