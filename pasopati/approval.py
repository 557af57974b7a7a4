"""Who may decide at an approval gate, and what a decision does to the drafts.

Authority comes from the runbook (``approval.authority`` per severity, widened to
``approval.escalate_to`` once the gate's deadline passed) and identity from the roster: a name
that does not hold that role for the incident's unit is refused, and the refusal is recorded.
"""

from __future__ import annotations

import difflib
import re

from pasopati.catalog import catalog
from pasopati.models import ApprovalAnswer, Draft, Incident, Verdict, utcnow
from pasopati.runbook import RoleRef, RunbookPlan
from pasopati.store import Store

REVISION_SUFFIX = re.compile(r"-r\d+$")


def escalated(incident: Incident, plan: RunbookPlan, gate: str, store: Store) -> bool:
    """Whether this gate's deadline passed undecided at this severity (pasopati.watch recorded it)."""
    return any(
        e.kind == "approval" and e.subject == gate and e.severity == plan.severity for e in store.escalations(incident.id)
    )


def deciders(incident: Incident, plan: RunbookPlan, gate: str, store: Store) -> list[RoleRef]:
    """Roles that may decide at this gate now: the authority, plus the delegate once escalated."""
    approval = plan.plan.approval
    if approval.escalate_to and escalated(incident, plan, gate, store):
        return [approval.authority, approval.escalate_to]
    return [approval.authority]


def approved_by(drafts: list[Draft], store: Store) -> list[str]:
    """People whose accepted approval covers every one of these drafts' current text."""
    return sorted(set.intersection(*(store.approvers_of(d) for d in drafts))) if drafts else []


def authorize(
    incident: Incident, plan: RunbookPlan, gate: str, answer: ApprovalAnswer, drafts: list[Draft], store: Store
) -> tuple[str, str | None]:
    """The approver's roster name, and why this decision cannot be accepted (None: it can).

    Checked by the CLI before it submits and again by the run when the answer arrives (the Prefect
    UI submits without the CLI)."""
    roster = catalog().roster
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    refs = deciders(incident, plan, gate, store)
    person = roster.holder_named(answer.approver, refs, unit)
    if person is None:
        titles = " atau ".join(roster.roles[r.role].title for r in refs)
        holders = ", ".join(p.name for r in refs for p in roster.holders(r, unit)) or "tidak ada di roster"
        return answer.approver, (
            f"{answer.approver!r} tidak berwenang memutuskan {gate} untuk {incident.unit_name}"
            f" ({plan.severity.value}): kewenangan ada pada {titles} ({holders})"
        )
    return person.name, _refusal(person.name, answer, drafts, store)


def _refusal(approver: str, answer: ApprovalAnswer, drafts: list[Draft], store: Store) -> str | None:
    if answer.verdict in (Verdict.REJECT, Verdict.REQUEST_CHANGES) and not answer.reason.strip():
        return f"keputusan {answer.verdict.value} memerlukan alasan (reason)"
    if answer.verdict is Verdict.EDIT:
        unknown = sorted(set(answer.edits) - {d.id for d in drafts})
        if unknown:
            return f"suntingan untuk draf yang tidak sedang dimintakan persetujuan: {unknown}"
        if not any(normalise_text(text) != normalise_text(d.body) for d in drafts if (text := answer.edits.get(d.id)) is not None):
            return "keputusan 'edit' tanpa perubahan teks: gunakan 'approve' atau ubah teksnya"
    if answer.verdict.approves:
        if answer.verdict is Verdict.APPROVE and all(approver in store.approvers_of(d) for d in drafts):
            return f"{approver} sudah menyetujui teks ini; diperlukan pemberi persetujuan lain yang berbeda"
        if stale := stale_items(drafts, store):
            return (
                f"fakta berubah sejak draf disusun ({', '.join(stale)}): pilih request-changes agar draf"
                " disusun ulang dengan fakta terbaru"
            )
    return None


def stale_items(drafts: list[Draft], store: Store) -> list[str]:
    """Checklist items whose current value differs from the version a draft used."""
    if not drafts:
        return []
    history = {(f.item_id, f.version): f.value for f in store.facts(drafts[0].incident_id)}
    current = {f.item_id: f.value for f in store.current_facts(drafts[0].incident_id)}
    return sorted(
        {
            item_id
            for draft in drafts
            for item_id, version in draft.fact_versions.items()
            if (item_id, version) in history and current.get(item_id) != history[item_id, version]
        }
    )


def normalise_text(text: str) -> str:
    """Text as a form or file gives it, in the shape drafts are stored (LF, one final newline)."""
    return text.replace("\r\n", "\n").strip() + "\n"


def revision_id(draft: Draft, revision: int) -> str:
    return f"{REVISION_SUFFIX.sub('', draft.id)}-r{revision}"


def revised(draft: Draft, body: str, *, author: str, note: str, fact_versions: dict[str, int] | None = None) -> Draft:
    """The next revision of ``draft`` with a new body; the old revision stays, for the record."""
    revision = draft.revision + 1
    return draft.model_copy(
        update={
            "id": revision_id(draft, revision),
            "revision": revision,
            "parent_id": draft.id,
            "body": normalise_text(body),
            "author": author,
            "note": note,
            "fact_versions": draft.fact_versions if fact_versions is None else fact_versions,
            "created_at": utcnow(),
        }
    )


def apply_edits(drafts: list[Draft], answer: ApprovalAnswer) -> tuple[list[Draft], dict[str, str]]:
    """Approve with edits: the edited drafts replace their originals; returns them and the diffs."""
    result, diffs = [], {}
    for draft in drafts:
        text = answer.edits.get(draft.id)
        if text is None or normalise_text(text) == normalise_text(draft.body):
            result.append(draft)
            continue
        edited = revised(draft, text, author=answer.approver, note=answer.reason or "disunting saat persetujuan")
        diffs[edited.id] = diff(draft, edited)
        result.append(edited)
    return result, diffs


def diff(before: Draft, after: Draft) -> str:
    return "".join(
        difflib.unified_diff(
            before.body.splitlines(keepends=True), after.body.splitlines(keepends=True), before.id, after.id
        )
    )
