"""The domain services on SQLite (the embedded default) and on the machine's PostgreSQL: every act
is one transaction with its audit event; re-running an act records nothing twice."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from pasopati.audit import service as audit
from pasopati.db import Database
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import Decision, StepKind, Verdict
from pasopati.drafts import service as drafts
from pasopati.drafts.models import Draft
from pasopati.facts import service as facts
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Stage, Trigger
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import MessageType, Severity
from pasopati.publications import sending
from pasopati.publications import service as publications
from pasopati.publications.models import PublicationStatus
from pasopati.settings import get_settings
from pasopati.time import utcnow
from tests.people import Authenticators, decide

UNIT = "lapas-cipinang"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def opened(db: Database, cat: Catalog, category: str, severity: Severity, summary: str = "Tiga warga binaan kabur dari blok B") -> Incident:
    """An incident opened by its first run, as the runbook's first task does."""
    plan = cat.plan(category, severity)
    trigger = Trigger(unit=UNIT, summary=summary, reported_by="Operator Uji", source="cli", new_incident_reason="uji: krisis tersendiri")
    return incidents.open_for_run(db, plan, trigger, cat.roster, str(uuid.uuid4()), None)


def stored_draft(db: Database, incident: Incident, body: str = "Teks pernyataan", **update: object) -> Draft:
    now = utcnow()
    draft = Draft(
        id=f"{incident.id}-{incident.severity.value}-holding_statement-id",
        incident_id=incident.id, severity=incident.severity, message_type=MessageType.HOLDING_STATEMENT, language="id",
        body=body, channels=["akun-upt"], due_at=now + timedelta(minutes=30), created_at=now,
    ).model_copy(update=update)
    with db.write() as session:
        drafts.add(session, draft, actor="uji", flow_run_id=incident.flow_run_id)
    return draft


def authority(cat: Catalog, incident: Incident) -> list[str]:
    plan = cat.plan(incident.category, incident.severity)
    unit = cat.roster.find_unit(incident.unit_id)
    assert unit is not None
    return [p.name for p in cat.roster.holders(plan.plan.approval.authority, unit)]


def test_opening_is_one_act_and_a_rerun_returns_the_same_incident(db: Database, cat: Catalog) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.BERAT)
    trigger = Trigger(unit="Lapas Cipinang", summary="Tiga warga binaan kabur", reported_by="Operator Uji", source="cli", new_incident_reason="uji: krisis tersendiri")
    run = str(uuid.uuid4())
    first = incidents.open_for_run(db, plan, trigger, cat.roster, run, None)
    again = incidents.open_for_run(db, plan, trigger, cat.roster, run, None)  # a re-run after a suspend
    assert again == first and incidents.for_run(db, run) == first and first.detected_at.tzinfo is not None
    kinds = [(e.kind, e.actor, e.flow_run_id) for e in audit.events(db, incident_id=first.id)]
    assert kinds == [("incident.opened", "Operator Uji", run), ("run.started", "sistem:runbook", run)]
    assert Stage.OPENED in incidents.stages(db, first.id)


def test_fact_corrections_are_new_versions_never_overwrites(db: Database, cat: Catalog) -> None:
    """The escapee count at 10:00 and at 14:00 are two versions; re-submitting one adds nothing."""
    incident = opened(db, cat, "keamanan-ketertiban", Severity.BERAT)
    plan = cat.plan(incident.category, incident.severity)

    def submit(value: str, source: str, change: str) -> None:
        facts.submit(db, incident, plan, {"jumlah_wbp_terlibat": value}, source=source, by="Petugas", change=change, via="uji")

    submit("3", "SDP", "verifikasi:berat")
    submit("3", "KPLP", "koreksi:a")  # the same value: no new version
    submit("4", "KPLP", "koreksi:b")
    submit("5", "KPLP", "koreksi:b")  # the same submission again (a re-run): nothing new
    history = [(f.version, f.value, f.source, f.change) for f in facts.history(db, incident.id) if f.item_id == "jumlah_wbp_terlibat"]
    assert history == [(1, "3", "SDP", "verifikasi:berat"), (2, "4", "KPLP", "koreksi:b")]
    recorded = [e.details for e in audit.events(db, incident_id=incident.id) if e.kind == "fact.recorded"]
    assert [(d["version"], d["value"], d["previous"], d["source"]) for d in recorded] == [(1, "3", None, "SDP"), (2, "4", "3", "KPLP")]
    with pytest.raises(facts.UnknownChecklistItem, match="jumlah_naga"):
        facts.submit(db, incident, plan, {"jumlah_naga": "1"}, source="x", by="y", change="z", via="uji")


def test_approval_covers_exactly_the_approved_text_and_counts_distinct_approvers(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.LUAR_BIASA)
    plan = cat.plan(incident.category, incident.severity)
    draft = stored_draft(db, incident)
    first, second = authority(cat, incident)[:2]
    auth = Authenticators(db)

    def approve(approver: str) -> Decision:
        return decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, approver)

    assert decisions.approvers(db, draft) == set()
    assert approve(first).accepted
    refused = approve("Orang Luar")
    assert not refused.accepted and "tidak berwenang" in (refused.refusal or "")
    assert decisions.approvers(db, draft) == {first}
    assert decisions.step(db, incident, plan, GATE_HOLDING, [draft], cat.roster).kind is StepKind.DECIDE
    assert approve(second).accepted
    step = decisions.step(db, incident, plan, GATE_HOLDING, [draft], cat.roster)
    assert step.kind is StepKind.APPROVED and decisions.approvers(db, draft) == {first, second}
    assert len(decisions.decisions(db, incident.id)) == 3
    assert decisions.approvers(db, draft.model_copy(update={"body": "Teks yang diubah diam-diam"})) == set()
    events = [e for e in audit.events(db, incident_id=incident.id) if e.kind == "decision.recorded"]
    assert [(e.actor, e.details["accepted"]) for e in events] == [(first, True), ("Orang Luar", False), (second, True)]
    assert events[0].details["drafts"] == {draft.id: draft.content_hash} and events[0].details["role"] == "pimpinan-kementerian"
    assert events[0].details["proof"] == "kode TOTP dari aplikasi autentikator" and events[1].details["proof"] == "tidak terbukti"
    assert Stage.HOLDING_APPROVED in incidents.stages(db, incident.id)


def test_publication_is_claimed_once_and_refused_without_approval(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "kesehatan", Severity.SEDANG)
    plan = cat.plan(incident.category, incident.severity)
    draft = stored_draft(db, incident)
    with pytest.raises(publications.NotApproved, match="0 of 1"):
        sending.publish(db, incident, draft.id, "akun-upt", cat, get_settings())
    (approver,) = authority(cat, incident)
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, approver).accepted
    first = sending.publish(db, incident, draft.id, "akun-upt", cat, get_settings())
    assert first.status is PublicationStatus.SENT and first.attempts == 1 and first.location
    assert Path(first.location).read_text(encoding="utf-8").startswith(draft.body.split()[0])
    again = sending.publish(db, incident, draft.id, "akun-upt", cat, get_settings())
    assert again.status is PublicationStatus.SENT and again.location == first.location and again.attempts == 1
    assert len(publications.publications(db, incident.id)) == 1
    kinds = [e.kind for e in audit.events(db, incident_id=incident.id) if e.kind.startswith("publication.")]
    assert kinds == ["publication.refused", "publication.sending", "publication.sent"]
    sent = next(e for e in audit.events(db, incident_id=incident.id) if e.kind == "publication.sent")
    assert sent.details["body"] == draft.body and sent.details["approvers"] == [approver] and sent.details["channel"] == "akun-upt"


def test_text_postgresql_would_refuse_is_stored_on_both(db: Database, cat: Catalog) -> None:
    """NUL and lone surrogates (JSON "\\u0000", "\\ud800") become U+FFFD instead of a 500 on PostgreSQL."""
    incident = opened(db, cat, "opini-publik", Severity.RINGAN, summary="Video\x00 viral \ud800 beredar")
    assert incidents.get(db, incident.id).summary == "Video\ufffd viral \ufffd beredar"  # type: ignore[union-attr]
    draft = stored_draft(db, incident, body="Teks\x00dengan NUL")
    assert drafts.get(db, draft.id).body == "Teks\ufffddengan NUL"  # type: ignore[union-attr]
    assert audit.verify(db).ok


def test_closing_is_recorded_once_and_correlation_skips_a_closed_incident(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG)
    assert incidents.latest_for(db, UNIT, incident.category, utcnow() - timedelta(hours=1)) == (incident, False)
    assert incidents.close(db, incident.id, by="Kepala Humas", reason="selesai", flow_run_id=incident.flow_run_id)
    assert not incidents.close(db, incident.id, by="Kepala Humas", reason="lagi", flow_run_id=None)
    assert incidents.latest_for(db, UNIT, incident.category, utcnow() - timedelta(hours=1)) == (incident, True)
    closed = [e for e in audit.events(db, incident_id=incident.id) if e.kind == "incident.closed"]
    assert [(e.actor, e.details["reason"]) for e in closed] == [("Kepala Humas", "selesai")]
    # A later incident of the same unit and category that is still open is the one correlation finds,
    # even when the closed one had activity more recently.
    newer = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG, summary="Dua warga binaan kabur")
    with db.write() as session:
        incidents.touch(session, incident.id)
    assert incidents.latest_for(db, UNIT, incident.category, utcnow() - timedelta(hours=1)) == (newer, False)
