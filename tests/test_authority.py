"""Approval authority comes from the runbook per severity and identity from the roster (no Prefect
needed: the same check runs in the CLI before it submits and in the run when input arrives)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pasopati.approval import apply_edits, authorize
from pasopati.catalog import load_catalog
from pasopati.inputs import GATE_FULL, GATE_HOLDING
from pasopati.models import ApprovalAnswer, Decision, Escalation, Trigger, Verdict, utcnow
from pasopati.runbook import Severity
from pasopati.store import Store
from tasks.incident import build_incident
from tests.test_store import draft

CATEGORIES = ["keamanan-ketertiban", "kesehatan", "opini-publik", "tata-kelola-integritas", "bencana-alam"]
UNIT = "lapas-makassar"
EXPECTED_AUTHORITY = {  # DOMAIN.md: who approves at each severity
    Severity.RINGAN: "kepala-upt",
    Severity.SEDANG: "kakanwil",
    Severity.BERAT: "dirjen",
    Severity.LUAR_BIASA: "pimpinan-kementerian",
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.create_schema()
    return store


def setup(store: Store, category: str, severity: Severity):  # type: ignore[no-untyped-def]
    cat = load_catalog()
    plan = cat.plan(category, severity)
    incident = build_incident(plan, Trigger(unit=UNIT, summary="Uji kewenangan"))
    store.save_incident(incident)
    holding = draft(incident.id)
    store.save_drafts([holding])
    unit = cat.roster.find_unit(UNIT)
    assert unit is not None
    return cat, plan, incident, holding, unit


@pytest.mark.parametrize("severity", list(Severity))
@pytest.mark.parametrize("category", CATEGORIES)
def test_only_the_roster_holder_of_the_severitys_authority_may_approve(store: Store, category: str, severity: Severity) -> None:
    cat, plan, incident, holding, unit = setup(store, category, severity)
    assert plan.plan.approval.authority.role == EXPECTED_AUTHORITY[severity]
    holders = cat.roster.holders(plan.plan.approval.authority, unit)
    assert holders, f"roster has no {plan.plan.approval.authority.role} for {UNIT}"
    for holder in holders:
        name, refused = authorize(incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=f"  {holder.name.upper()} "), [holding], store)
        assert (name, refused) == (holder.name, None), "case and spacing do not matter; the roster name is recorded"
    # Everyone else on the roster who does not hold the authority for this unit is refused, by name.
    others = [p for p in cat.roster.people if p not in holders]
    assert others
    for person in others:
        _, refused = authorize(incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=person.name), [holding], store)
        assert refused and "tidak berwenang" in refused and cat.roster.roles[plan.plan.approval.authority.role].title in refused
    _, refused = authorize(incident, plan, GATE_FULL, ApprovalAnswer(verdict=Verdict.REJECT, approver="Orang Asing", reason="x"), [holding], store)
    assert refused and "'Orang Asing' tidak berwenang" in refused


def test_luar_biasa_needs_two_distinct_approvers(store: Store) -> None:
    cat, plan, incident, holding, unit = setup(store, "keamanan-ketertiban", Severity.LUAR_BIASA)
    assert plan.plan.approval.approvers_required == 2
    first, second = (p.name for p in cat.roster.holders(plan.plan.approval.authority, unit))
    store.record_decision(
        Decision(incident_id=incident.id, severity=incident.severity, gate=GATE_HOLDING, pause_key=GATE_HOLDING, verdict=Verdict.APPROVE,
                 approver=first, reason="", draft_ids=[holding.id], decided_at=utcnow()),
        [holding],
    )
    _, refused = authorize(incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=first), [holding], store)
    assert refused and "pemberi persetujuan lain yang berbeda" in refused
    assert authorize(incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=second), [holding], store) == (second, None)


@pytest.mark.parametrize("severity", list(Severity))
def test_escalation_widens_authority_to_the_named_delegate_only_after_the_deadline(store: Store, severity: Severity) -> None:
    cat, plan, incident, holding, unit = setup(store, "kesehatan", severity)
    delegate_ref = plan.plan.approval.escalate_to
    assert delegate_ref is not None
    delegate = cat.roster.holders(delegate_ref, unit)[0].name
    answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=delegate)
    assert authorize(incident, plan, GATE_HOLDING, answer, [holding], store)[1], "no authority before escalation"
    store.escalate(Escalation(incident_id=incident.id, severity=severity, kind="approval", subject=GATE_HOLDING,
                              to_role=delegate_ref.role, reason="tenggat terlewati", at=utcnow()))
    assert authorize(incident, plan, GATE_HOLDING, answer, [holding], store) == (delegate, None)
    assert authorize(incident, plan, GATE_FULL, answer, [holding], store)[1], "escalation is per gate"


def test_decisions_that_need_a_reason_or_a_changed_text_are_refused(store: Store) -> None:
    cat, plan, incident, holding, unit = setup(store, "opini-publik", Severity.RINGAN)
    head = cat.roster.holders(plan.plan.approval.authority, unit)[0].name
    for verdict in (Verdict.REJECT, Verdict.REQUEST_CHANGES):
        _, refused = authorize(incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=verdict, approver=head), [holding], store)
        assert refused and "memerlukan alasan" in refused
    unchanged = ApprovalAnswer(verdict=Verdict.EDIT, approver=head, edits={holding.id: holding.body + "\r\n"})
    assert "tanpa perubahan teks" in (authorize(incident, plan, GATE_HOLDING, unchanged, [holding], store)[1] or "")
    edited = ApprovalAnswer(verdict=Verdict.EDIT, approver=head, edits={holding.id: "Teks yang disunting.\r\nBaris dua."})
    assert authorize(incident, plan, GATE_HOLDING, edited, [holding], store) == (head, None)
    drafts, diffs = apply_edits([holding], edited)
    assert drafts[0].body == "Teks yang disunting.\nBaris dua.\n" and drafts[0].parent_id == holding.id and drafts[0].revision == 2
    assert "-Teks pernyataan" in diffs[drafts[0].id] and "+Teks yang disunting." in diffs[drafts[0].id]


def test_approving_a_draft_whose_facts_changed_since_drafting_is_refused(store: Store) -> None:
    from pasopati.models import Fact

    cat, plan, incident, holding, unit = setup(store, "keamanan-ketertiban", Severity.SEDANG)
    head = cat.roster.holders(plan.plan.approval.authority, unit)[0].name

    def count(value: str, change: str) -> list[Fact]:
        fact = Fact(item_id="jumlah_wbp_terlibat", label="Jumlah", value=value, source="SDP", verified_by="op", recorded_at=utcnow())
        return store.save_facts(incident.id, [fact], change=change)

    (used,) = count("3 orang", "verifikasi:sedang")
    stated = holding.model_copy(update={"id": f"{incident.id}-stated", "fact_versions": {used.item_id: used.version}})
    store.save_drafts([stated])
    answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=head)
    assert authorize(incident, plan, GATE_FULL, answer, [stated], store) == (head, None)
    count("4 orang", "koreksi:x")
    _, refused = authorize(incident, plan, GATE_FULL, answer, [stated], store)
    assert refused and "fakta berubah" in refused and "jumlah_wbp_terlibat" in refused
    changes = ApprovalAnswer(verdict=Verdict.REQUEST_CHANGES, approver=head, reason="angka berubah")
    assert authorize(incident, plan, GATE_FULL, changes, [stated], store) == (head, None), "the way out stays open"
