"""The human gates: verification, approval and redrafting. The waiting itself happens in the flow
(Prefect suspends the whole run, holding no process); the tasks here record what people answered.

Each task is idempotent against the store: on resume Prefect re-runs the flow from the top, and a
recorded answer (keyed by its pause key) is returned instead of recorded twice.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.flow_runs import suspend_flow_run

from pasopati.approval import apply_edits, approved_by, authorize, normalise_text, revised, revision_id
from pasopati.catalog import catalog
from pasopati.drafting import environment
from pasopati.inputs import (
    GATE_HOLDING,
    GATE_VERIFICATION,
    ApprovalInput,
    RevisionInput,
    text_field,
    verification_form,
    with_draft_texts,
)
from pasopati.models import (
    ApprovalAnswer,
    Decision,
    Draft,
    Fact,
    FactSet,
    GateStatus,
    Incident,
    Stage,
    Team,
    Verdict,
    VerificationAnswers,
    utcnow,
)
from pasopati.runbook import RunbookPlan
from pasopati.settings import get_settings
from pasopati.store import get_store
from tasks.drafting import rerender
from tasks.progress import reach


def _describe(template: str, **context: Any) -> str:
    return environment(catalog().templates_dir).get_template(f"ui/{template}").render(**context)


def await_verification(incident: Incident, plan: RunbookPlan, reported: FactSet) -> VerificationAnswers:
    """Suspend until someone submits the verification form (prefilled with what is known so far)."""
    form = verification_form(plan).with_initial_data(
        description=_describe("verification_request.md.j2", incident=incident, checklist=plan.checklist),
        **reported.confirmed(),
    )
    answer = suspend_flow_run(wait_for_input=form, key=GATE_VERIFICATION, timeout=get_settings().input_timeout_seconds)
    return VerificationAnswers(
        values=answer.answers(), verified_by=answer.verified_by, source=answer.source, sources=answer.sources
    )


def await_approval(key: str, gate: str, incident: Incident, plan: RunbookPlan, drafts: list[Draft]) -> ApprovalAnswer:
    """Suspend until a decision on exactly these drafts is submitted; the form carries their text
    so an approver can edit in place."""
    store = get_store()
    roster = catalog().roster
    approval = plan.plan.approval
    approvers = approved_by(drafts, store)
    description = _describe(
        "approval_request.md.j2",
        gate=gate,
        incident=incident,
        authority=roster.roles[approval.authority.role].title,
        delegate=roster.roles[approval.escalate_to.role].title if approval.escalate_to else None,
        approvers_required=approval.approvers_required,
        approvers=approvers,
        escalations=[e for e in store.escalations(incident.id) if e.subject == gate],
        refusals=[d for d in store.decisions(incident.id) if d.gate == gate and not d.accepted][-3:],
        drafts=drafts,
    )
    form = with_draft_texts(ApprovalInput, drafts, "Persetujuan").with_initial_data(
        description=description, **{text_field(d): d.body for d in drafts}
    )
    answer = suspend_flow_run(wait_for_input=form, key=key, timeout=get_settings().input_timeout_seconds)
    by_field = {text_field(d): d.id for d in drafts}
    return ApprovalAnswer(
        verdict=answer.verdict,
        approver=answer.approver,
        reason=answer.reason,
        edits={by_field[k]: v for k, v in answer.texts().items() if k in by_field},
    )


def await_revision(key: str, incident: Incident, drafts: list[Draft], decision: Decision) -> RevisionInput:
    """Back to drafting: suspend until a drafter submits revised text (or leaves it to the templates)."""
    description = _describe("revision_request.md.j2", incident=incident, decision=decision, drafts=drafts)
    form = with_draft_texts(RevisionInput, drafts, "Revisi").with_initial_data(
        description=description, **{text_field(d): d.body for d in drafts}
    )
    return suspend_flow_run(wait_for_input=form, key=key, timeout=get_settings().input_timeout_seconds)


@task(name="catat-verifikasi")
def record_verification(
    incident: Incident, plan: RunbookPlan, reported: FactSet, answers: VerificationAnswers
) -> FactSet:
    """Verified answers become new fact versions; unanswered items keep what was reported.

    The form comes prefilled with what is known: a value submitted unchanged keeps its version and
    source (the verifier's main source did not necessarily establish it)."""
    now = utcnow()
    store = get_store()
    known = {f.item_id: f.value for f in store.current_facts(incident.id)}
    facts = [
        Fact(
            item_id=item.id,
            label=item.label,
            value=answers.values[item.id],
            source=answers.sources.get(item.id, answers.source),
            public=item.public,
            verified_by=answers.verified_by,
            recorded_at=now,
        )
        for item in plan.checklist
        if item.id in answers.values and answers.values[item.id] != known.get(item.id)
    ]
    store.save_facts(incident.id, facts, change=f"verifikasi:{incident.severity.value}")
    reach(incident, Stage.VERIFIED)
    return FactSet(incident_id=incident.id, stage="current", facts=store.current_facts(incident.id))


@task(name="catat-keputusan")
def record_decision(
    incident: Incident, plan: RunbookPlan, gate: str, key: str, answer: ApprovalAnswer, drafts: list[Draft]
) -> GateStatus:
    """Check the approver's authority, record the decision (refused ones too) and say where the gate stands."""
    store = get_store()
    approver, refused = authorize(incident, plan, gate, answer, drafts, store)
    decided, diffs = drafts, {}
    if refused is None and answer.verdict is Verdict.EDIT:
        decided, diffs = apply_edits(drafts, answer)
        store.save_drafts(decided)
    decision = store.record_decision(
        Decision(
            incident_id=incident.id,
            severity=incident.severity,
            gate=gate,
            pause_key=key,
            verdict=answer.verdict,
            approver=approver,
            reason=answer.reason,
            accepted=refused is None,
            refusal=refused,
            draft_ids=[d.id for d in decided],
            diffs=diffs,
            decided_at=utcnow(),
        ),
        decided,
    )
    if not decision.accepted:
        get_run_logger().warning("decision at %s refused: %s", key, decision.refusal)
        return GateStatus(decision=decision, drafts=drafts, approvers=[], complete=False)
    current = [d for i in decision.draft_ids if (d := store.draft(i)) is not None]
    approvers = approved_by(current, store)
    complete = decision.verdict.approves and len(approvers) >= plan.plan.approval.approvers_required
    if complete:
        reach(incident, Stage.HOLDING_APPROVED if gate == GATE_HOLDING else Stage.APPROVED)
    return GateStatus(decision=decision, drafts=current, approvers=approvers, complete=complete)


@task(name="susun-ulang")
def revise_drafts(
    incident: Incident, plan: RunbookPlan, team: Team, drafts: list[Draft], revision: RevisionInput, comment: str
) -> list[Draft]:
    """New revisions after request-changes: the drafter's text where given, otherwise the
    templates again on the current facts (which picks up any correction made meanwhile)."""
    store = get_store()
    texts = revision.texts()
    facts = store.current_facts(incident.id)
    note = "; ".join(n for n in (comment, revision.note) if n)
    result = []
    for draft in drafts:
        if (existing := store.draft(revision_id(draft, draft.revision + 1))) is not None:
            result.append(existing)  # revised before a suspend
            continue
        text = texts.get(text_field(draft))
        if text is not None and normalise_text(text) != normalise_text(draft.body):
            result.append(revised(draft, text, author=revision.drafter, note=note))
        else:
            fresh = rerender(incident, plan, team, facts, draft)
            result.append(revised(draft, fresh.body, author="template", note=note, fact_versions=fresh.fact_versions))
    store.save_drafts(result)
    return result
