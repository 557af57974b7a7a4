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
    facts = [Fact(item_id="apa", label="Apa", value="kabur", source="cli", public=True, verified_by="op", recorded_at=utcnow())]
    first = store.save_facts(inc.id, facts, change="laporan-awal")
    assert store.save_facts(inc.id, facts, change="laporan-awal") == first  # a re-run records nothing new
    assert store.facts(inc.id) == first and first[0].version == 1
    store.mark_stage(inc.id, Stage.OPENED)
    first = store.stages(inc.id)[Stage.OPENED]
    store.mark_stage(inc.id, Stage.OPENED)
    assert store.stages(inc.id)[Stage.OPENED] == first
    assert first.tzinfo is not None


def test_fact_corrections_are_new_versions_never_overwrites(store: Store) -> None:
    """The escapee count at 10:00 and at 14:00 are two versions; re-submitting one adds nothing."""
    inc = incident("keamanan-ketertiban", Severity.BERAT)
    store.save_incident(inc)

    def count(value: str, source: str) -> Fact:
        return Fact(item_id="jumlah_wbp_terlibat", label="Jumlah", value=value, source=source, public=True, verified_by="op", recorded_at=utcnow())

    store.save_facts(inc.id, [count("3", "SDP")], change="verifikasi:berat")
    store.save_facts(inc.id, [count("3", "SDP")], change="koreksi:a")  # same value and source: no new version
    store.save_facts(inc.id, [count("4", "Polres")], change="koreksi:b")
    store.save_facts(inc.id, [count("4", "Polres")], change="koreksi:b")  # the same submission again
    history = store.facts(inc.id)
    assert [(f.version, f.value, f.source, f.change) for f in history] == [
        (1, "3", "SDP", "verifikasi:berat"),
        (2, "4", "Polres", "koreksi:b"),
    ]
    assert store.current_fact(inc.id, "jumlah_wbp_terlibat") == history[1]
    assert store.fact_version(inc.id, "jumlah_wbp_terlibat", 1) == history[0]


def test_approval_covers_exactly_the_approved_text_and_counts_distinct_approvers(store: Store) -> None:
    inc = incident("kesehatan", Severity.SEDANG)
    store.save_incident(inc)
    approved = draft(inc.id)
    store.save_drafts([approved])
    assert store.approvers_of(approved) == set()

    def decide(approver: str, key: str, accepted: bool = True) -> None:
        store.record_decision(
            Decision(incident_id=inc.id, severity=inc.severity, gate="g", pause_key=key, verdict=Verdict.APPROVE, approver=approver,
                     reason="", accepted=accepted, refusal=None if accepted else "tidak berwenang", draft_ids=[approved.id], decided_at=utcnow()),
            [approved],
        )

    decide("A", "g")
    decide("A", "g")  # the same pause answered again (a re-run): still one decision
    decide("Z", "g-ke-2", accepted=False)  # refused decisions are kept but never count
    assert store.approvers_of(approved) == {"A"}
    decide("B", "g-ke-3")
    assert store.approvers_of(approved) == {"A", "B"}
    assert len(store.decisions(inc.id)) == 3
    assert store.approvers_of(approved.model_copy(update={"body": "Teks yang diubah diam-diam"})) == set()


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


def test_a_store_made_by_an_older_version_is_refused_with_what_it_lacks(tmp_path: Path) -> None:
    from pasopati.store import SchemaOutdated

    old = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with old.begin() as conn:  # the facts table as an earlier version created it
        conn.execute(sqlalchemy.text("CREATE TABLE facts (id INTEGER PRIMARY KEY, incident_id VARCHAR(36), stage VARCHAR(16))"))
    with pytest.raises(SchemaOutdated, match=r"lacks facts\.item_id, facts\.version"):
        Store(f"sqlite:///{tmp_path / 'old.db'}").create_schema()
    with old.begin() as conn:
        assert conn.execute(sqlalchemy.text("SELECT count(*) FROM facts")).scalar() == 0, "nothing dropped"
