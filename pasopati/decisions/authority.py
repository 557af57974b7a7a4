"""Who may decide at an approval gate, and what a decision does to the drafts.

Authority comes from the runbook (``approval.authority`` per severity, widened to
``approval.escalate_to`` once the gate's deadline passed) and identity from the roster: a name
that does not hold that role for the incident's unit is refused, and the refusal is recorded.
Every function reads inside the caller's transaction, so a decision is checked against the same
state it is recorded on.
"""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.decisions.models import ApprovalAnswer, Verdict
from pasopati.decisions.tables import DecisionRow
from pasopati.drafts.models import Draft
from pasopati.drafts.service import normalise_text, revised
from pasopati.facts.service import history_in
from pasopati.incidents.models import Incident
from pasopati.incidents.service import escalations_in
from pasopati.plan.roster import Person, Roster
from pasopati.plan.runbook import RoleRef, RunbookPlan


def escalated(session: Session, incident: Incident, plan: RunbookPlan, gate: str) -> bool:
    """Whether this gate's deadline passed undecided at this severity (the watcher recorded it)."""
    return any(
        e.kind == "approval" and e.subject == gate and e.severity == plan.severity for e in escalations_in(session, incident.id)
    )


def deciders(session: Session, incident: Incident, plan: RunbookPlan, gate: str) -> list[RoleRef]:
    """Roles that may decide at this gate now: the authority, plus the delegate once escalated."""
    approval = plan.plan.approval
    if approval.escalate_to and escalated(session, incident, plan, gate):
        return [approval.authority, approval.escalate_to]
    return [approval.authority]


def approvers_of(session: Session, draft: Draft) -> set[str]:
    """Distinct people whose accepted approval covers exactly this draft's current body."""
    rows = session.scalars(
        select(DecisionRow).where(
            DecisionRow.incident_id == draft.incident_id,
            DecisionRow.verdict.in_([Verdict.APPROVE.value, Verdict.EDIT.value]),
            DecisionRow.accepted.is_(True),
        )
    )
    return {r.approver for r in rows if r.draft_hashes.get(draft.id) == draft.content_hash}


def approved_by(session: Session, drafts: list[Draft]) -> list[str]:
    """People whose accepted approval covers every one of these drafts' current text."""
    return sorted(set.intersection(*(approvers_of(session, d) for d in drafts))) if drafts else []


def authorize(
    session: Session, incident: Incident, plan: RunbookPlan, gate: str, answer: ApprovalAnswer, drafts: list[Draft], roster: Roster
) -> tuple[str, Person | None, str | None]:
    """(the approver's roster name, the roster entry, why this decision cannot be accepted or None).

    Checked by the CLI before it submits and again by the run when the answer arrives (the Prefect
    UI submits without the CLI)."""
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    refs = deciders(session, incident, plan, gate)
    person = roster.holder_named(answer.approver, refs, unit)
    if person is None:
        titles = " atau ".join(roster.roles[r.role].title for r in refs)
        holders = ", ".join(p.name for r in refs for p in roster.holders(r, unit)) or "tidak ada di roster"
        return answer.approver, None, (
            f"{answer.approver!r} tidak berwenang memutuskan {gate} untuk {incident.unit_name}"
            f" ({plan.severity.value}): kewenangan ada pada {titles} ({holders})"
        )
    return person.name, person, _refusal(session, person.name, answer, drafts)


def _refusal(session: Session, approver: str, answer: ApprovalAnswer, drafts: list[Draft]) -> str | None:
    if answer.verdict in (Verdict.REJECT, Verdict.REQUEST_CHANGES) and not answer.reason.strip():
        return f"keputusan {answer.verdict.value} memerlukan alasan (reason)"
    if answer.verdict is Verdict.EDIT:
        unknown = sorted(set(answer.edits) - {d.id for d in drafts})
        if unknown:
            return f"suntingan untuk draf yang tidak sedang dimintakan persetujuan: {unknown}"
        if not any(normalise_text(text) != normalise_text(d.body) for d in drafts if (text := answer.edits.get(d.id)) is not None):
            return "keputusan 'edit' tanpa perubahan teks: gunakan 'approve' atau ubah teksnya"
    if answer.verdict.approves:
        if answer.verdict is Verdict.APPROVE and all(approver in approvers_of(session, d) for d in drafts):
            return f"{approver} sudah menyetujui teks ini; diperlukan pemberi persetujuan lain yang berbeda"
        if stale := stale_items(session, drafts):
            return (
                f"fakta berubah sejak draf disusun ({', '.join(stale)}): pilih request-changes agar draf"
                " disusun ulang dengan fakta terbaru"
            )
    return None


def stale_items(session: Session, drafts: list[Draft]) -> list[str]:
    """Checklist items whose current value differs from the version a draft used."""
    if not drafts:
        return []
    history = history_in(session, drafts[0].incident_id)
    values = {(f.item_id, f.version): f.value for f in history}
    current = {f.item_id: f.value for f in history}  # versions ascend within an item: the last wins
    return sorted(
        {
            item_id
            for draft in drafts
            for item_id, version in draft.fact_versions.items()
            if (item_id, version) in values and current.get(item_id) != values[item_id, version]
        }
    )


def apply_edits(drafts: list[Draft], answer: ApprovalAnswer, approver: str) -> tuple[list[Draft], dict[str, str]]:
    """Approve with edits: the edited drafts replace their originals; returns them and the diffs."""
    result, diffs = [], {}
    for draft in drafts:
        text = answer.edits.get(draft.id)
        if text is None or normalise_text(text) == normalise_text(draft.body):
            result.append(draft)
            continue
        edited = revised(draft, text, author=approver, note=answer.reason or "disunting saat persetujuan")
        diffs[edited.id] = diff(draft, edited)
        result.append(edited)
    return result, diffs


def diff(before: Draft, after: Draft) -> str:
    return "".join(
        difflib.unified_diff(before.body.splitlines(keepends=True), after.body.splitlines(keepends=True), before.id, after.id)
    )
