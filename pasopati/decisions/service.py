"""Decision acts at an approval gate — each one transaction with its audit event.

- ``step``: where the gate stands, from the store (approved, rejected, waiting for a redraft, or a
  decision round open at a pause key); opens the next round when one is needed.
- ``submit``: a decision from the CLI or the approval page, recorded straight into the store, so
  two at once are serialised by the store's writer lock: the first takes effect, the second is
  recorded as refused and its caller told why. The run is then woken (``pasopati.runs.ring``).
- ``answer``: the run's side — the input a suspended run received at its pause key (the Prefect
  UI form, an API resume, or the doorbell of a ``submit``): checked the same way and recorded once.

A decision is checked (pasopati.decisions.authority) for: the round it names (a gate not open is
refused), the hash of the text it names (text changed since it was read: refused), the claimed
person's authority at this severity, their proof of identity (pasopati.identity.prover) and the
rules of the verdict. Refused decisions are recorded with what was claimed; they never end a run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record
from pasopati.db import Database
from pasopati.decisions import rounds
from pasopati.decisions.authority import (
    apply_edits,
    approved_by,
    approvers_of,
    authorize,
    complete,
    escalated,
)
from pasopati.decisions.gates import GATE_HOLDING, revision_gate
from pasopati.decisions.models import (
    ApprovalAnswer,
    Decision,
    GateStep,
    StepKind,
    Verdict,
    gate_text_hash,
)
from pasopati.decisions.tables import DecisionRow, GateRoundRow
from pasopati.drafts import coherence
from pasopati.drafts.models import Draft
from pasopati.drafts.privacy_check import blocking, describe, draft_findings
from pasopati.drafts.service import add as add_draft
from pasopati.drafts.service import latest_of
from pasopati.facts.service import current_in, history_in
from pasopati.identity.prover import Prover
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage
from pasopati.plan.roster import Person, Roster
from pasopati.plan.runbook import RunbookPlan
from pasopati.texts import TextRefused
from pasopati.time import utcnow


def step(db: Database, incident: Incident, plan: RunbookPlan, gate: str, seed: list[Draft], roster: Roster) -> GateStep:
    """Where ``gate`` stands for these messages (``seed``: their first revisions); opens a round if
    one is needed. Idempotent: called again, it returns the same open round."""
    with db.write() as session:
        return _step(session, incident, plan, gate, seed, roster)


def _step(session: Session, incident: Incident, plan: RunbookPlan, gate: str, seed: list[Draft], roster: Roster) -> GateStep:
    drafts = latest_of(session, seed)
    last = last_effective(session, incident, gate)
    if last is not None and seed and last.decided_at < min(d.created_at for d in seed):
        last = None  # decided on earlier messages at this gate (a previous ralat), not on these
    base = {"gate": gate, "drafts": drafts, "last": last, "unread": rounds.unread(session, incident, gate)}
    if last is not None and last.verdict is Verdict.REJECT:
        return GateStep(kind=StepKind.REJECTED, **base)
    if last is not None and last.verdict is Verdict.REQUEST_CHANGES and not _revised_since(session, incident, gate, last):
        revision = rounds.latest(session, incident, revision_gate(gate))
        if not (rounds.is_open(revision) and revision.opened_at >= last.decided_at):  # type: ignore[union-attr]
            revision = rounds.open_next(session, incident, revision_gate(gate), text_hash=None, flow_run_id=incident.flow_run_id)
        return GateStep(kind=StepKind.REVISE, key=revision.pause_key, round=revision.round, opened_at=revision.opened_at, **base)  # type: ignore[union-attr]
    approvers = approved_by(session, drafts)
    if drafts and complete(session, incident, plan, gate, drafts, roster):
        mark_stage(session, incident.id, Stage.HOLDING_APPROVED if gate == GATE_HOLDING else Stage.APPROVED)
        return GateStep(kind=StepKind.APPROVED, approvers=approvers, **base)
    text_hash = gate_text_hash(drafts)
    current = rounds.latest(session, incident, gate)
    if not rounds.is_open(current) or current.text_hash != text_hash:  # type: ignore[union-attr]
        if rounds.is_open(current):  # the text changed under an open round (cannot happen through the acts here)
            rounds.close(current, rounds.EXPIRED)  # type: ignore[arg-type]
        current = rounds.open_next(session, incident, gate, text_hash=text_hash, flow_run_id=incident.flow_run_id)
    return GateStep(
        kind=StepKind.DECIDE, key=current.pause_key, round=current.round, opened_at=current.opened_at,  # type: ignore[union-attr]
        text_hash=text_hash, approvers=approvers, **base,
    )


def submit(
    db: Database, incident: Incident, plan: RunbookPlan, gate: str, seed: list[Draft], answer: ApprovalAnswer, roster: Roster, prover: Prover
) -> Decision:
    """A decision made outside the run (CLI, approval page), naming ``answer.round_key``.

    Recorded at once, refused or not; an accepted one closes its round (the caller then wakes the
    run). A refused one leaves the round open for the right person: the run never sees it."""
    if answer.verdict is None:
        raise ValueError("submit: the answer has no verdict")
    with db.write() as session:
        row = rounds.at(session, incident, answer.round_key) if answer.round_key else None
        if row is None or row.gate != gate:
            return _refuse(session, incident, plan, gate, answer, _not_open(session, incident, gate, answer.round_key))
        if not rounds.is_open(row):
            return _refuse(session, incident, plan, gate, answer, _closed(session, incident, row))
        drafts = latest_of(session, seed)
        decision = _judge(session, incident, plan, gate, row, answer, drafts, roster, prover)
        if decision.accepted:
            rounds.close(row, rounds.ACCEPTED, decision.decided_at)
        return decision


def answer(
    db: Database, incident: Incident, plan: RunbookPlan, gate: str, key: str, seed: list[Draft], given: ApprovalAnswer | None,
    roster: Roster, prover: Prover,
) -> Decision | None:
    """The input the run found at pause ``key``. Recorded once: a re-run after a crash finds the
    round already read and returns None. Nothing to decide (``given`` None — the doorbell of a
    decision recorded through ``submit``, a resume without input — or no verdict): the round is
    consumed if still open, and None returned."""
    with db.write() as session:
        row = rounds.read_input(session, incident, key)
        if row is None:
            return None
        if given is None or given.verdict is None:
            rounds.consume(session, incident, row, given.approver if given else None)
            return None
        if not rounds.is_open(row):  # decided through the CLI or the page before this input arrived
            return _refuse(session, incident, plan, gate, given, _closed(session, incident, row), key=key)
        decision = _judge(session, incident, plan, gate, row, given, latest_of(session, seed), roster, prover)
        rounds.close(row, rounds.ACCEPTED if decision.accepted else rounds.REFUSED, decision.decided_at)
        return decision


def _judge(
    session: Session, incident: Incident, plan: RunbookPlan, gate: str, row: GateRoundRow, answer: ApprovalAnswer,
    drafts: list[Draft], roster: Roster, prover: Prover,
) -> Decision:
    """Check everything and record the decision (the edited drafts too, when it takes effect)."""
    approver, person, proof, refused = authorize(session, incident, plan, gate, row, answer, drafts, roster, prover)
    decided, diffs = drafts, {}
    if refused is None and answer.verdict is Verdict.EDIT:
        try:
            decided, diffs = apply_edits(drafts, answer, approver)
        except TextRefused as exc:  # recorded as a refusal, never an exception that loses the decision
            refused = f"teks suntingan ditolak: {exc}"
    if refused is None and answer.verdict in (Verdict.APPROVE, Verdict.EDIT):
        refused = _personal_data(session, incident, decided, answer, approver, roster) or _incoherent(session, incident, plan, decided)
    if refused is None and answer.verdict is Verdict.EDIT:
        for draft in decided:
            add_draft(session, draft, actor=approver, flow_run_id=incident.flow_run_id)
    return _insert(session, incident, plan, gate, row.pause_key, answer, approver, person, proof, decided, diffs, refused)


def _personal_data(session: Session, incident: Incident, drafts: list[Draft], answer: ApprovalAnswer, approver: str, roster: Roster) -> str | None:
    """Why the texts may not be approved as they are (pasopati.drafts.privacy_check), or None. An
    override the approver gave for overridable findings is recorded with them."""
    facts = current_in(session, incident.id)
    found = {d.id: draft_findings(d, incident, facts, roster) for d in drafts}
    blocked = {i: blocking(f, answer.privacy_override) for i, f in found.items() if blocking(f, answer.privacy_override)}
    if blocked:
        lift = "" if any(not f.overridable for fs in blocked.values() for f in fs) else " (edit it, or override with a reason)"
        return "data pribadi dalam teks" + lift + ": " + "; ".join(f"{i}: {describe(f)}" for i, f in blocked.items())
    if any(found.values()):
        record(session, "privacy.overridden", actor=approver, incident_id=incident.id, flow_run_id=incident.flow_run_id,
               details={"reason": answer.privacy_override, "findings": {i: [f.as_dict() for f in fs] for i, fs in found.items() if fs}})
    return None


def _incoherent(session: Session, incident: Incident, plan: RunbookPlan, drafts: list[Draft]) -> str | None:
    """Why the texts may not go out as they are (pasopati.drafts.coherence: figures that disagree
    with the verified facts, confirm-and-deny, a time after now, internal security details), or None.
    No override: the fix is an edit, a redraft from the current facts, or a corrected fact."""
    history, now = history_in(session, incident.id), utcnow()
    found = {d.id: p for d in drafts if (p := coherence.draft_problems(d, incident, plan, history, now))}
    if not found:
        return None
    return ("teks tidak sesuai fakta terverifikasi atau memuat rincian internal (sunting, minta susun ulang, atau koreksi faktanya): "
            + "; ".join(f"{i}: {coherence.describe(p)}" for i, p in found.items()))


def _refuse(
    session: Session, incident: Incident, plan: RunbookPlan, gate: str, answer: ApprovalAnswer, why: str, key: str | None = None
) -> Decision:
    return _insert(session, incident, plan, gate, key or answer.round_key, answer, answer.approver, None, None, [], {}, why)


def _not_open(session: Session, incident: Incident, gate: str, named: str | None) -> str:
    current = rounds.latest(session, incident, gate)
    waiting = current.pause_key if rounds.is_open(current) else None  # type: ignore[union-attr]
    if named is None:
        return f"keputusan tidak menyebut ronde gerbang (pause key); gerbang menunggu di {waiting or 'tidak ada ronde terbuka'}"
    return f"ronde {named!r} tidak sedang terbuka di {gate}; yang menunggu: {waiting or 'tidak ada'}"


def _closed(session: Session, incident: Incident, row: GateRoundRow) -> str:
    taken = session.scalars(
        select(DecisionRow).where(DecisionRow.incident_id == incident.id, DecisionRow.severity == incident.severity.value,
                                  DecisionRow.pause_key == row.pause_key)
    ).first()
    if taken is not None:
        return (f"ronde {row.pause_key} sudah diputuskan lebih dulu: {taken.verdict} oleh {taken.approver}"
                f" pukul {taken.decided_at:%H:%M:%S} UTC; keputusan ini tidak berlaku")
    return f"ronde {row.pause_key} sudah ditutup ({row.outcome}); keputusan ini tidak berlaku"


def _insert(
    session: Session, incident: Incident, plan: RunbookPlan, gate: str, key: str | None, answer: ApprovalAnswer, approver: str,
    person: Person | None, proof: str | None, drafts: list[Draft], diffs: dict[str, str], refused: str | None,
) -> Decision:
    accepted = refused is None
    decision = Decision(
        incident_id=incident.id, severity=incident.severity, gate=gate, pause_key=key if accepted else None, verdict=answer.verdict,
        approver=approver, reason=answer.reason, accepted=accepted, refusal=refused, draft_ids=[d.id for d in drafts],
        diffs=diffs, decided_at=utcnow(), round_key=key, proof=proof, via=answer.via,
    )
    row = DecisionRow(**decision.model_dump(exclude={"draft_ids", "id"}), draft_hashes={d.id: d.content_hash for d in drafts})
    session.add(row)
    session.flush()  # the id: the doorbell and the caller name the decision by it
    record(
        session, "decision.recorded", actor=approver, incident_id=incident.id, flow_run_id=incident.flow_run_id, at=decision.decided_at,
        details={
            "gate": gate, "pause_key": key, "verdict": answer.verdict.value, "accepted": accepted, "refusal": refused,
            "reason": answer.reason, "severity": incident.severity.value, "role": person.role if person else None,
            "org": person.org if person else None, "authority": plan.plan.approval.authority.role,
            "escalated": escalated(session, incident, plan, gate), "proof": proof or "tidak terbukti", "via": answer.via,
            "typed_name": answer.approver, "named_text_hash": answer.text_hash,
            "drafts": {d.id: d.content_hash for d in drafts}, "diffs": diffs,
        },
    )
    return decision.model_copy(update={"id": row.id})


def last_effective(session: Session, incident: Incident, gate: str) -> Decision | None:
    """The last decision at ``gate`` that took effect (at the incident's severity)."""
    row = session.scalars(
        select(DecisionRow)
        .where(DecisionRow.incident_id == incident.id, DecisionRow.severity == incident.severity.value, DecisionRow.gate == gate,
               DecisionRow.accepted.is_(True), DecisionRow.pause_key.is_not(None))
        .order_by(DecisionRow.id.desc())
        .limit(1)
    ).first()
    return _decision(row) if row else None


def _revised_since(session: Session, incident: Incident, gate: str, decision: Decision) -> bool:
    revision = rounds.latest(session, incident, revision_gate(gate))
    return revision is not None and revision.outcome == rounds.ACCEPTED and revision.closed_at >= decision.decided_at  # type: ignore[operator]


def _decision(row: DecisionRow) -> Decision:
    return Decision(
        id=row.id, incident_id=row.incident_id, severity=row.severity, gate=row.gate, pause_key=row.pause_key, verdict=row.verdict,
        approver=row.approver, reason=row.reason, accepted=row.accepted, refusal=row.refusal, draft_ids=list(row.draft_hashes),
        diffs=row.diffs, decided_at=row.decided_at, round_key=row.round_key, proof=row.proof, via=row.via or "",
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


def round_opened_at(db: Database, incident: Incident, key: str) -> datetime | None:
    """When round ``key`` opened, if it still waits for a submission (None: decided, or unknown)."""
    with db.read() as session:
        row = session.get(GateRoundRow, (incident.id, incident.severity.value, key))
        return row.opened_at if rounds.is_open(row) else None


def open_round(db: Database, incident: Incident, gate: str) -> GateRoundRow | None:
    """The round now waiting at ``gate`` (detached copy), or None."""
    with db.read() as session:
        row = rounds.latest(session, incident, gate)
        if not rounds.is_open(row):
            return None
        session.expunge(row)  # type: ignore[arg-type]
        return row
