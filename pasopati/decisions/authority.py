"""Who may decide at an approval gate, when a gate is complete, and what a decision does to the drafts.

Authority comes from the runbook (``approval.authority`` per severity, widened to
``approval.escalate_to`` once the gate's deadline passed), the person from the roster, and the
proof that the person is who they claim from pasopati.identity.prover. Every function reads inside
the caller's transaction, so a decision is checked against the same state it is recorded on.
"""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.decisions.models import (
    ApprovalAnswer,
    Verdict,
    gate_text_hash,
    short_hash,
)
from pasopati.decisions.tables import DecisionRow, GateRoundRow
from pasopati.drafts.models import Draft
from pasopati.drafts.service import normalise_text, revised
from pasopati.facts.service import history_in
from pasopati.identity.models import Refusal
from pasopati.identity.prover import STRONG, Prover
from pasopati.incidents.models import Incident
from pasopati.incidents.service import escalations_in
from pasopati.plan.roster import Person, Roster
from pasopati.plan.runbook import RoleRef, RunbookPlan
from pasopati.texts import TextRefused


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


def complete(session: Session, incident: Incident, plan: RunbookPlan, gate: str, drafts: list[Draft], roster: Roster) -> bool:
    """Whether enough distinct people of ONE deciding role approved exactly these texts.

    ``approvers_required`` holders of the authority; once escalated, the delegate role instead,
    needing as many of its holders as the roster has, up to that number. A delegate replaces an
    absent authority; it never makes a pair with it (the Sekjen plus one Minister is not "two
    approvers" at luar-biasa). Source: DOMAIN.md (luar-biasa: the Minister, two approvers)."""
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    names = set(approved_by(session, drafts))
    required = plan.plan.approval.approvers_required
    for ref in deciders(session, incident, plan, gate):
        holders = {p.name for p in roster.holders(ref, unit)}
        needed = required if ref == plan.plan.approval.authority else min(required, len(holders))
        if needed and len(names & holders) >= needed:
            return True
    return False


def authorize(
    session: Session, incident: Incident, plan: RunbookPlan, gate: str, row: GateRoundRow, answer: ApprovalAnswer,
    drafts: list[Draft], roster: Roster, prover: Prover,
) -> tuple[str, Person | None, str | None, str | None]:
    """(the approver's roster name, the roster entry, how they were proven, why this decision
    cannot be accepted or None), checked in this order: the person holds a deciding role; the
    decision names this round and this text; the verdict's own rules; then the proof (last, so a
    stale decision does not spend the approver's code)."""
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    refs = deciders(session, incident, plan, gate)
    person = roster.holder_named(answer.approver, refs, unit)
    if person is None:
        titles = " atau ".join(roster.roles[r.role].title for r in refs)
        holders = ", ".join(p.name for r in refs for p in roster.holders(r, unit)) or "tidak ada di roster"
        return answer.approver, None, None, (
            f"{answer.approver!r} tidak berwenang memutuskan {gate} untuk {incident.unit_name}"
            f" ({plan.severity.value}): kewenangan ada pada {titles} ({holders})"
        )
    refused = _named(row, answer, drafts) or _refusal(session, person.name, answer, drafts)
    if refused:
        return person.name, person, None, refused
    proof = prover.prove(session, person, answer, row, strong=plan.severity in STRONG)
    if isinstance(proof, Refusal):
        return person.name, person, None, proof.reason
    return person.name, person, proof.description, None


def _named(row: GateRoundRow, answer: ApprovalAnswer, drafts: list[Draft]) -> str | None:
    """A decision names the round it answers and the hash of the text it decides on."""
    if answer.round_key != row.pause_key:
        return (f"keputusan menyebut ronde {answer.round_key!r}, sedangkan yang terbuka adalah {row.pause_key!r}"
                " (masukan untuk gerbang yang tidak sedang terbuka ditolak)")
    current = gate_text_hash(drafts)
    named = (answer.text_hash or "").strip().lower()
    if len(named) < 12 or not current.startswith(named):
        return (f"teks berubah sejak Anda membacanya, atau hash teks tidak disebut: yang menunggu keputusan"
                f" adalah {short_hash(current)}; baca ulang drafnya (pasopati drafts RUN) lalu putuskan lagi")
    return None


def _refusal(session: Session, approver: str, answer: ApprovalAnswer, drafts: list[Draft]) -> str | None:
    if answer.verdict in (Verdict.REJECT, Verdict.REQUEST_CHANGES) and not answer.reason.strip():
        return f"keputusan {answer.verdict.value} memerlukan alasan (reason)"
    if answer.verdict is Verdict.EDIT:
        unknown = sorted(set(answer.edits) - {d.id for d in drafts})
        if unknown:
            return f"suntingan untuk draf yang tidak sedang dimintakan persetujuan: {unknown}"
        try:
            changed = any(normalise_text(text) != normalise_text(d.body) for d in drafts if (text := answer.edits.get(d.id)) is not None)
        except TextRefused as exc:
            return f"teks suntingan ditolak: {exc}"
        if not changed:
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
