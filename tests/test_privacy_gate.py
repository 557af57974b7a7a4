"""The personal-data gate end to end through the services: an approval of a text carrying personal
data is refused (recorded) unless an authorised approver overrides it with a reason — never for a
child's identity or a NIK — and team notifications carry the reporter's words masked."""

from __future__ import annotations

import uuid

import pytest

from pasopati.audit.service import events
from pasopati.db import Database
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import Verdict
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Trigger
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.team.service import assemble, message
from tests.people import Authenticators, decide
from tests.test_store import authority, opened, stored_draft


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


NIK = "Warga binaan dengan NIK 3174051203880004 melarikan diri."
PHONE = "Keluarga dapat menghubungi Bapak Santoso di 0812-3456-7890."


def test_a_nik_is_never_approved_even_with_an_override(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.RINGAN)
    plan, draft = cat.plan(incident.category, incident.severity), stored_draft(db, incident, body=NIK)
    (head,) = authority(cat, incident)
    refused = decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head, override="sudah izin keluarga")
    assert not refused.accepted and "nik" in (refused.refusal or "") and "tidak dapat dikecualikan" in (refused.refusal or "")


def test_a_phone_number_blocks_until_an_approver_overrides_with_a_recorded_reason(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.RINGAN)
    plan, draft = cat.plan(incident.category, incident.severity), stored_draft(db, incident, body=PHONE)
    (head,) = authority(cat, incident)
    auth = Authenticators(db)
    refused = decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head)
    assert not refused.accepted and "phone" in (refused.refusal or "") and "override" in (refused.refusal or "")
    accepted = decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head, override="nomor posko resmi keluarga")
    assert accepted.accepted, accepted.refusal
    (event,) = [e for e in events(db) if e.kind == "privacy.overridden"]
    assert event.actor == head and event.details["reason"] == "nomor posko resmi keluarga"
    assert event.details["findings"][draft.id][0]["rule"] == "phone"


def test_a_childs_identity_at_an_lpka_is_refused_whoever_approves(db: Database, cat: Catalog) -> None:
    plan = cat.plan("kesehatan", Severity.RINGAN)
    trigger = Trigger(unit="LPKA Bandung", summary="Anak binaan sakit", reported_by="Operator Uji", source="cli", new_incident_reason="uji: krisis tersendiri")
    incident = incidents.open_for_run(db, plan, trigger, cat.roster, str(uuid.uuid4()), None)
    draft = stored_draft(db, incident, body="Anak binaan berinisial RN (15) dirawat di RSUD.")
    (head,) = authority(cat, incident)
    decision = decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head, override="demi kepentingan umum")
    assert not decision.accepted and "child_identity" in (decision.refusal or "")


def test_team_notifications_carry_the_reporters_words_masked(db: Database, cat: Catalog) -> None:
    incident = opened(db, cat, "keamanan-ketertiban", Severity.RINGAN, summary="WBP NIK 3174051203880004 kabur, keluarga di 0812-3456-7890")
    plan = cat.plan(incident.category, incident.severity)
    member = next(m for m in assemble(db, incident, plan, cat).members if m.name)
    _, body = message(cat.templates_dir, "team_call.j2", incident=incident, member=member, run="uji", ack_minutes=30, deputy=None)
    assert "3174051203880004" not in body and "0812-3456-7890" not in body and "[disamarkan]" in body
