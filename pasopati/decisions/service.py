"""Decision acts at an approval gate: check authority, apply edits, record the decision (refused
ones too) and say where the gate stands — one transaction with the audit event that names who
decided, in which role, how they were identified, why, and the exact texts (hashes and diffs)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record
from pasopati.db import Database
from pasopati.decisions.authority import apply_edits, approved_by, approvers_of, authorize, escalated
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import ApprovalAnswer, Decision, GateStatus, Verdict
from pasopati.decisions.tables import DecisionRow
from pasopati.drafts.models import Draft
from pasopati.drafts.service import add as add_draft
from pasopati.drafts.service import get_in as draft_in
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage
from pasopati.plan.roster import Person, Roster
from pasopati.plan.runbook import RunbookPlan
from pasopati.time import utcnow

# How a person was identified. Today a decision carries a typed name matched against the roster;
# the record says exactly that, so nobody reads more proof into it than there is.
PROOF_ROSTER_NAME = "nama diketik, cocok dengan roster (tanpa verifikasi identitas)"


def decide(
    db: Database, incident: Incident, plan: RunbookPlan, gate: str, key: str, answer: ApprovalAnswer, drafts: list[Draft], roster: Roster
) -> GateStatus:
    """Record the decision that answered pause ``key`` (once: a re-run returns the recorded one)."""
    with db.write() as session:
        recorded = _at(session, incident.id, incident.severity.value, key)
        if recorded is None:
            recorded = _record(session, incident, plan, gate, key, answer, drafts, roster)
        if not recorded.accepted:
            return GateStatus(decision=recorded, drafts=drafts, approvers=[], complete=False)
        current = [_draft(session, i) for i in recorded.draft_ids]
        approvers = approved_by(session, current)
        complete = recorded.verdict.approves and len(approvers) >= plan.plan.approval.approvers_required
        if complete:
            mark_stage(session, incident.id, Stage.HOLDING_APPROVED if gate == GATE_HOLDING else Stage.APPROVED)
        return GateStatus(decision=recorded, drafts=current, approvers=approvers, complete=complete)


def precheck(
    db: Database, incident: Incident, plan: RunbookPlan, gate: str, answer: ApprovalAnswer, drafts: list[Draft], roster: Roster
) -> tuple[str, str | None]:
    """The CLI's check before it submits: (the approver's roster name, refusal or None). A refusal
    is recorded (and audited) here, since it never reaches the run."""
    with db.write() as session:
        approver, person, refused = authorize(session, incident, plan, gate, answer, drafts, roster)
        if refused is not None:
            _insert(session, incident, plan, gate, None, answer, approver, person, drafts, {}, refused)
        return approver, refused


def _record(
    session: Session, incident: Incident, plan: RunbookPlan, gate: str, key: str, answer: ApprovalAnswer, drafts: list[Draft], roster: Roster
) -> Decision:
    approver, person, refused = authorize(session, incident, plan, gate, answer, drafts, roster)
    decided, diffs = drafts, {}
    if refused is None and answer.verdict is Verdict.EDIT:
        decided, diffs = apply_edits(drafts, answer, approver)
        for draft in decided:
            add_draft(session, draft, actor=approver, flow_run_id=incident.flow_run_id)
    return _insert(session, incident, plan, gate, key, answer, approver, person, decided, diffs, refused)


def _insert(
    session: Session,
    incident: Incident,
    plan: RunbookPlan,
    gate: str,
    key: str | None,
    answer: ApprovalAnswer,
    approver: str,
    person: Person | None,
    drafts: list[Draft],
    diffs: dict[str, str],
    refused: str | None,
) -> Decision:
    decision = Decision(
        incident_id=incident.id, severity=incident.severity, gate=gate, pause_key=key, verdict=answer.verdict,
        approver=approver, reason=answer.reason, accepted=refused is None, refusal=refused,
        draft_ids=[d.id for d in drafts], diffs=diffs, decided_at=utcnow(),
    )
    session.add(DecisionRow(**decision.model_dump(exclude={"draft_ids"}), draft_hashes={d.id: d.content_hash for d in drafts}))
    record(
        session, "decision.recorded", actor=approver, incident_id=incident.id, flow_run_id=incident.flow_run_id,
        at=decision.decided_at,
        details={
            "gate": gate, "pause_key": key, "verdict": answer.verdict.value, "accepted": refused is None,
            "refusal": refused, "reason": answer.reason, "severity": incident.severity.value,
            "role": person.role if person else None, "org": person.org if person else None,
            "authority": plan.plan.approval.authority.role, "escalated": escalated(session, incident, plan, gate),
            "proof": PROOF_ROSTER_NAME, "via": answer.via, "typed_name": answer.approver,
            "drafts": {d.id: d.content_hash for d in drafts}, "diffs": diffs,
        },
    )
    return decision


def _at(session: Session, incident_id: str, severity: str, key: str) -> Decision | None:
    row = session.scalars(
        select(DecisionRow).where(DecisionRow.incident_id == incident_id, DecisionRow.severity == severity, DecisionRow.pause_key == key)
    ).first()
    return _decision(row) if row else None


def _draft(session: Session, draft_id: str) -> Draft:
    draft = draft_in(session, draft_id)
    assert draft is not None, f"decision names draft {draft_id}, which is not stored"
    return draft


def _decision(row: DecisionRow) -> Decision:
    return Decision(
        incident_id=row.incident_id, severity=row.severity, gate=row.gate, pause_key=row.pause_key, verdict=row.verdict,
        approver=row.approver, reason=row.reason, accepted=row.accepted, refusal=row.refusal,
        draft_ids=list(row.draft_hashes), diffs=row.diffs, decided_at=row.decided_at,
    )


def accepted_in(session: Session, incident_id: str) -> list[Decision]:
    """Accepted decisions of an incident, inside another act's transaction."""
    rows = session.scalars(
        select(DecisionRow).where(DecisionRow.incident_id == incident_id, DecisionRow.accepted.is_(True)).order_by(DecisionRow.id)
    )
    return [_decision(r) for r in rows]


# Reads ---------------------------------------------------------------------------------------------
def decisions(db: Database, incident_id: str) -> list[Decision]:
    with db.read() as session:
        rows = session.scalars(select(DecisionRow).where(DecisionRow.incident_id == incident_id).order_by(DecisionRow.id))
        return [_decision(r) for r in rows]


def approvers(db: Database, draft: Draft) -> set[str]:
    with db.read() as session:
        return approvers_of(session, draft)


def approvers_of_all(db: Database, drafts: list[Draft]) -> list[str]:
    with db.read() as session:
        return approved_by(session, drafts)


def is_escalated(db: Database, incident: Incident, plan: RunbookPlan, gate: str) -> bool:
    with db.read() as session:
        return escalated(session, incident, plan, gate)
