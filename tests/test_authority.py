"""Approval authority comes from the runbook per severity, the person from the roster, and proof of
identity from pasopati.identity (no Prefect needed: the same checks run for the CLI, the approval
page and the run's input). The rule tests isolate the rules with a prover that accepts anyone
the rules let through (``RulesOnly``); the proof tests at the end use real TOTP codes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pasopati.db import Database
from pasopati.decisions import rounds
from pasopati.decisions import service as decisions
from pasopati.decisions.authority import apply_edits, authorize
from pasopati.decisions.gates import GATE_FULL, GATE_HOLDING
from pasopati.decisions.models import ApprovalAnswer, Verdict, gate_text_hash
from pasopati.drafts.service import latest_of
from pasopati.facts import service as facts
from pasopati.identity.models import Proof
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Escalation
from pasopati.plan.catalog import load_catalog
from pasopati.plan.runbook import Severity
from pasopati.time import utcnow
from tests.conftest import fresh_store
from tests.people import Authenticators, decide
from tests.test_store import opened, stored_draft

CATEGORIES = ["keamanan-ketertiban", "kesehatan", "opini-publik", "tata-kelola-integritas", "bencana-alam"]
EXPECTED_AUTHORITY = {  # DOMAIN.md: who approves at each severity
    Severity.RINGAN: "kepala-upt",
    Severity.SEDANG: "kakanwil",
    Severity.BERAT: "dirjen",
    Severity.LUAR_BIASA: "pimpinan-kementerian",
}


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with fresh_store("sqlite", tmp_path) as db:
        yield db


def setup(db: Database, category: str, severity: Severity):  # type: ignore[no-untyped-def]
    cat = load_catalog()
    incident = opened(db, cat, category, severity)
    holding = stored_draft(db, incident)
    unit = cat.roster.find_unit(incident.unit_id)
    assert unit is not None
    return cat, cat.plan(category, severity), incident, holding, unit


@lru_cache
def roster():  # type: ignore[no-untyped-def]
    return load_catalog().roster


class RulesOnly:
    """Proves whoever the rules let through: isolates the authority rules from proof (tested below)."""

    def prove(self, session, person, claim, round_, *, strong, incident_id=None, flow_run_id=None):  # type: ignore[no-untyped-def]
        return Proof(method="totp", person=person.name, description="(uji aturan)", at=utcnow())


def check(db: Database, incident, plan, gate, answer, drafts):  # type: ignore[no-untyped-def]
    """(roster name, refusal) for ``answer`` at the round now open, naming it and its text."""
    decisions.step(db, incident, plan, gate, drafts, roster())
    with db.write() as session:
        row = rounds.latest(session, incident, gate)
        named = answer.model_copy(update={"round_key": row.pause_key, "text_hash": gate_text_hash(latest_of(session, drafts))})
        name, _, _, refused = authorize(session, incident, plan, gate, row, named, latest_of(session, drafts), roster(), RulesOnly())
    return name, refused


@pytest.mark.parametrize("severity", list(Severity))
@pytest.mark.parametrize("category", CATEGORIES)
def test_only_the_roster_holder_of_the_severitys_authority_may_approve(store: Database, category: str, severity: Severity) -> None:
    cat, plan, incident, holding, unit = setup(store, category, severity)
    assert plan.plan.approval.authority.role == EXPECTED_AUTHORITY[severity]
    holders = cat.roster.holders(plan.plan.approval.authority, unit)
    assert holders, f"roster has no {plan.plan.approval.authority.role} for {unit.id}"
    for holder in holders:
        answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=f"  {holder.name.upper()} ")
        assert check(store, incident, plan, GATE_HOLDING, answer, [holding]) == (holder.name, None), "case and spacing do not matter"
    # Everyone else on the roster who does not hold the authority for this unit is refused, by name.
    others = [p for p in cat.roster.people if p not in holders]
    assert others
    for person in others:
        _, refused = check(store, incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=person.name), [holding])
        assert refused and "tidak berwenang" in refused and cat.roster.roles[plan.plan.approval.authority.role].title in refused
    _, refused = check(store, incident, plan, GATE_FULL, ApprovalAnswer(verdict=Verdict.REJECT, approver="Orang Asing", reason="x"), [holding])
    assert refused and "'Orang Asing' tidak berwenang" in refused


def test_luar_biasa_needs_two_distinct_approvers(store: Database) -> None:
    cat, plan, incident, holding, unit = setup(store, "keamanan-ketertiban", Severity.LUAR_BIASA)
    assert plan.plan.approval.approvers_required == 2
    first, second = (p.name for p in cat.roster.holders(plan.plan.approval.authority, unit))
    assert decide(store, Authenticators(store), incident, plan, GATE_HOLDING, [holding], Verdict.APPROVE, first).accepted
    _, refused = check(store, incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=first), [holding])
    assert refused and "pemberi persetujuan lain yang berbeda" in refused
    assert check(store, incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=Verdict.APPROVE, approver=second), [holding]) == (second, None)


@pytest.mark.parametrize("severity", list(Severity))
def test_escalation_widens_authority_to_the_named_delegate_only_after_the_deadline(store: Database, severity: Severity) -> None:
    cat, plan, incident, holding, unit = setup(store, "kesehatan", severity)
    delegate_ref = plan.plan.approval.escalate_to
    assert delegate_ref is not None
    delegate = cat.roster.holders(delegate_ref, unit)[0].name
    answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=delegate)
    assert check(store, incident, plan, GATE_HOLDING, answer, [holding])[1], "no authority before escalation"
    incidents.escalate_deadline(store, Escalation(incident_id=incident.id, severity=severity, kind="approval", subject=GATE_HOLDING,
                                                  to_role=delegate_ref.role, reason="tenggat terlewati", at=utcnow()), None)
    assert check(store, incident, plan, GATE_HOLDING, answer, [holding]) == (delegate, None)
    assert check(store, incident, plan, GATE_FULL, answer, [holding])[1], "escalation is per gate"


def test_decisions_that_need_a_reason_or_a_changed_text_are_refused(store: Database) -> None:
    cat, plan, incident, holding, unit = setup(store, "opini-publik", Severity.RINGAN)
    head = cat.roster.holders(plan.plan.approval.authority, unit)[0].name
    for verdict in (Verdict.REJECT, Verdict.REQUEST_CHANGES):
        _, refused = check(store, incident, plan, GATE_HOLDING, ApprovalAnswer(verdict=verdict, approver=head), [holding])
        assert refused and "memerlukan alasan" in refused
    unchanged = ApprovalAnswer(verdict=Verdict.EDIT, approver=head, edits={holding.id: holding.body + "\r\n"})
    assert "tanpa perubahan teks" in (check(store, incident, plan, GATE_HOLDING, unchanged, [holding])[1] or "")
    edited = ApprovalAnswer(verdict=Verdict.EDIT, approver=head, edits={holding.id: "Teks yang disunting.\r\nBaris dua."})
    assert check(store, incident, plan, GATE_HOLDING, edited, [holding]) == (head, None)
    drafts, diffs = apply_edits([holding], edited, head)
    assert drafts[0].body == "Teks yang disunting.\nBaris dua.\n" and drafts[0].parent_id == holding.id and drafts[0].revision == 2
    assert "-Teks pernyataan" in diffs[drafts[0].id] and "+Teks yang disunting." in diffs[drafts[0].id]


def test_approving_a_draft_whose_facts_changed_since_drafting_is_refused(store: Database) -> None:
    cat, plan, incident, holding, unit = setup(store, "keamanan-ketertiban", Severity.SEDANG)
    head = cat.roster.holders(plan.plan.approval.authority, unit)[0].name

    def count(value: str, change: str) -> int:
        current = facts.submit(store, incident, plan, {"jumlah_wbp_terlibat": value}, source="SDP", by="op", change=change, via="uji")
        return next(f.version for f in current if f.item_id == "jumlah_wbp_terlibat")

    version = count("3 orang", "verifikasi:sedang")
    stated = stored_draft(store, incident, id=f"{incident.id}-stated", fact_versions={"jumlah_wbp_terlibat": version})
    answer = ApprovalAnswer(verdict=Verdict.APPROVE, approver=head)
    assert check(store, incident, plan, GATE_FULL, answer, [stated]) == (head, None)
    count("4 orang", "koreksi:x")
    _, refused = check(store, incident, plan, GATE_FULL, answer, [stated])
    assert refused and "fakta berubah" in refused and "jumlah_wbp_terlibat" in refused
    changes = ApprovalAnswer(verdict=Verdict.REQUEST_CHANGES, approver=head, reason="angka berubah")
    assert check(store, incident, plan, GATE_FULL, changes, [stated]) == (head, None), "the way out stays open"
