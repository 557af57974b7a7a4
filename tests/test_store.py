"""The store on SQLite (the embedded default) and on the machine's PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy

from pasopati.models import Decision, Draft, Fact, FactSet, PublicationStatus, Stage, Verdict, utcnow
from pasopati.runbook import MessageType, Severity
from pasopati.store import Store
from tests.conftest import postgres_url
from tests.test_drafting import incident


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'store.db'}")
        store.create_schema()
        yield store
        return
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(url)
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    store = Store(f"{url}?options=-csearch_path%3D{schema}")
    store.create_schema()
    yield store
    store.engine.dispose()
    with admin.begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def draft(incident_id: str, body: str = "Teks pernyataan") -> Draft:
    now = utcnow()
    return Draft(
        id=f"{incident_id}-holding_statement-id",
        incident_id=incident_id,
        severity=Severity.SEDANG,
        message_type=MessageType.HOLDING_STATEMENT,
        language="id",
        body=body,
        channels=["akun-upt"],
        due_at=now + timedelta(minutes=30),
        created_at=now,
    )


def test_round_trip_keeps_time_zones_and_is_idempotent(store: Store) -> None:
    inc = incident("keamanan-ketertiban", Severity.BERAT).model_copy(update={"flow_run_id": str(uuid.uuid4())})
    store.save_incident(inc)
    store.save_incident(inc)  # a re-run after a suspend saves again: still one incident
    store.record_run(inc)
    assert store.incident(inc.id) == inc
    assert store.incident_for_run(inc.flow_run_id) == inc
    facts = FactSet(
        incident_id=inc.id,
        stage="trigger",
        facts=[Fact(item_id="apa", label="Apa", value="kabur", source="cli", public=True, verified_by="op", recorded_at=utcnow())],
    )
    store.save_facts(facts)
    store.save_facts(facts)
    assert store.facts(inc.id, "trigger") == facts.facts
    store.mark_stage(inc.id, Stage.OPENED)
    first = store.stages(inc.id)[Stage.OPENED]
    store.mark_stage(inc.id, Stage.OPENED)
    assert store.stages(inc.id)[Stage.OPENED] == first
    assert first.tzinfo is not None


def test_approval_covers_exactly_the_approved_text(store: Store) -> None:
    inc = incident("kesehatan", Severity.SEDANG)
    store.save_incident(inc)
    approved = draft(inc.id)
    store.save_drafts([approved])
    assert store.approval_for(approved) is None
    decision = Decision(incident_id=inc.id, severity=inc.severity, gate="g", verdict=Verdict.APPROVE, approver="A", reason="", draft_ids=[approved.id], decided_at=utcnow())
    store.record_decision(decision, [approved])
    assert store.approval_for(approved) is not None
    assert store.approval_for(approved.model_copy(update={"body": "Teks yang diubah diam-diam"})) is None


def test_publication_is_claimed_once(store: Store) -> None:
    inc = incident("kesehatan", Severity.SEDANG)
    store.save_incident(inc)
    d = draft(inc.id)
    store.save_drafts([d])
    first = store.claim_publication("pub-1", d, "akun-upt")
    assert first.status is PublicationStatus.SENDING
    store.finish_publication("pub-1", location="outbox/x")
    again = store.claim_publication("pub-1", d, "akun-upt")
    assert again.status is PublicationStatus.SENT and again.location == "outbox/x"
    assert len(store.publications(inc.id)) == 1
