"""The proven human acts besides decisions (pasopati.decisions.steps), on both stores: a bad
submission is refused *and recorded* — never an exception that would end a run or lose the claim."""

from __future__ import annotations

import pytest

from pasopati.audit import service as audit
from pasopati.db import Database
from pasopati.decisions import service as decisions
from pasopati.decisions import steps
from pasopati.decisions.gates import GATE_CORRECTION, GATE_VERIFICATION
from pasopati.decisions.models import StepKind, Verdict
from pasopati.facts.models import VerificationAnswers
from pasopati.identity.prover import Prover
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import MessageType, Severity
from pasopati.team import service as team_service
from tests.people import Authenticators, decide
from tests.test_store import authority, opened, stored_draft


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def crisis(db: Database, cat: Catalog) -> tuple[Incident, str, str]:
    """A sedang incident with its team: (incident, an acting team member, a roster person off the team)."""
    incident = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG)
    team = team_service.assemble(db, incident, cat.plan(incident.category, incident.severity), cat)
    on = {m.name for m in team.members if m.name}
    member = next(m.name for m in team.members if m.name and not m.informed_only)
    outsider = next(p.name for p in cat.roster.people if p.name not in on)
    assert member is not None
    return incident, member, outsider


def kinds(db: Database, incident: Incident) -> list[str]:
    return [e.kind for e in audit.events(db, incident_id=incident.id)]


def test_a_verification_naming_unknown_items_is_refused_and_recorded(db: Database, cat: Catalog) -> None:
    incident, member, _ = crisis(db, cat)
    plan = cat.plan(incident.category, incident.severity)
    key = steps.open_step(db, incident, GATE_VERIFICATION).key
    assert key is not None
    auth = Authenticators(db)
    answers = VerificationAnswers(values={"kapan": "Senin"}, verified_by=member, source="Kepala UPT", sources={"tidak_ada": "x"},
                                  code=auth.code(member))
    outcome = steps.verify(db, incident, plan, key, answers, cat.roster, Prover(key=auth.key), from_run=True)
    assert outcome is not None and not outcome.accepted and "tidak_ada" in (outcome.refusal or "")
    assert "verification.refused" in kinds(db, incident)
    assert steps.open_step(db, incident, GATE_VERIFICATION).key == f"{GATE_VERIFICATION}-ke-2", "the gate asks again"


def test_a_correction_naming_unknown_items_or_unproven_is_refused_and_recorded(db: Database, cat: Catalog) -> None:
    incident, member, _ = crisis(db, cat)
    plan = cat.plan(incident.category, incident.severity)
    auth = Authenticators(db)
    unknown = steps.correct(db, incident, plan, {"tidak_ada": "1"}, source="SDP", by="Penyusup", claim=steps.Claim(code=None),
                            change="koreksi:a", via="uji", roster=cat.roster, prover=Prover(key=auth.key))
    assert not unknown.accepted and "tidak_ada" in (unknown.refusal or "")
    unproven = steps.correct(db, incident, plan, {"kapan": "Selasa"}, source="Kepala UPT", by=member, claim=steps.Claim(code="000000"),
                             change="koreksi:b", via="uji", roster=cat.roster, prover=Prover(key=auth.key))
    assert not unproven.accepted
    assert kinds(db, incident).count("correction.refused") == 2
    proven = steps.correct(db, incident, plan, {"kapan": "Selasa"}, source="Kepala UPT", by=member, claim=steps.Claim(code=auth.code(member)),
                           change="koreksi:c", via="uji", roster=cat.roster, prover=Prover(key=auth.key))
    assert proven.accepted and proven.person == member and "fact.recorded" in kinds(db, incident)


def test_an_acknowledgement_by_someone_proven_but_off_the_team_is_refused_and_recorded(db: Database, cat: Catalog) -> None:
    incident, member, outsider = crisis(db, cat)
    auth = Authenticators(db)
    off = steps.acknowledge(db, incident, outsider, claim=steps.Claim(code=auth.code(outsider)), via="ui", roster=cat.roster,
                            prover=Prover(key=auth.key))
    assert not off.accepted and "bukan anggota tim krisis" in (off.refusal or "")
    assert "team.acknowledgement_refused" in kinds(db, incident)
    on = steps.acknowledge(db, incident, member, claim=steps.Claim(code=auth.code(member)), via="ui", roster=cat.roster,
                           prover=Prover(key=auth.key))
    assert on.accepted and "acknowledged" in on.message


def test_a_rejected_ralat_does_not_decide_the_next_correction(db: Database, cat: Catalog) -> None:
    """Decisions at the correction gate belong to the ralat they were made on: a later correction's
    ralat waits for its own decision."""
    incident = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG)
    plan = cat.plan(incident.category, incident.severity)
    (head,) = authority(cat, incident)
    first = stored_draft(db, incident, body="Ralat pertama.\n", id=f"{incident.id}-sedang-correction-id-a", message_type=MessageType.CORRECTION)
    assert decide(db, Authenticators(db), incident, plan, GATE_CORRECTION, [first], Verdict.REJECT, head, reason="tidak perlu").accepted
    assert decisions.step(db, incident, plan, GATE_CORRECTION, [first], cat.roster).kind is StepKind.REJECTED
    second = stored_draft(db, incident, body="Ralat kedua.\n", id=f"{incident.id}-sedang-correction-id-b", message_type=MessageType.CORRECTION)
    assert decisions.step(db, incident, plan, GATE_CORRECTION, [second], cat.roster).kind is StepKind.DECIDE
