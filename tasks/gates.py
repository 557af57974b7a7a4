"""The human gates: verification, approval and redrafting. The waiting itself happens in the flow
(Prefect suspends the whole run, holding no process); the tasks here record what people answered.

Each task is idempotent against the store: on resume Prefect re-runs the flow from the top, and a
recorded answer (keyed by its pause key) is returned instead of recorded twice.
"""

from __future__ import annotations

from typing import Any

from prefect import get_run_logger, task
from prefect.flow_runs import suspend_flow_run

from pasopati.db import get_database
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import GATE_HOLDING, GATE_VERIFICATION
from pasopati.decisions.models import ApprovalAnswer, Decision, GateStatus
from pasopati.drafts import service as drafts_service
from pasopati.drafts.models import Draft
from pasopati.facts import service as facts
from pasopati.facts.models import FactSet, VerificationAnswers
from pasopati.forms import ApprovalInput, RevisionInput, text_field, verification_form, with_draft_texts
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.settings import get_settings
from pasopati.team.models import Team
from pasopati.texts import render
from tasks.progress import show


def _describe(template: str, **context: Any) -> str:
    return render(catalog().templates_dir, f"ui/{template}", **context)


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
    db = get_database()
    roster = catalog().roster
    approval = plan.plan.approval
    approvers = decisions.approvers_of_all(db, drafts)
    description = _describe(
        "approval_request.md.j2",
        gate=gate,
        incident=incident,
        authority=roster.roles[approval.authority.role].title,
        delegate=roster.roles[approval.escalate_to.role].title if approval.escalate_to else None,
        approvers_required=approval.approvers_required,
        approvers=approvers,
        escalations=[e for e in incidents.escalations(db, incident.id) if e.subject == gate],
        refusals=[d for d in decisions.decisions(db, incident.id) if d.gate == gate and not d.accepted][-3:],
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
def record_verification(incident: Incident, plan: RunbookPlan, reported: FactSet, answers: VerificationAnswers) -> FactSet:
    """Verified answers become new fact versions; unanswered items keep what was reported.

    The form comes prefilled with what is known: a value submitted unchanged keeps its version and
    source (the verifier's main source did not necessarily establish it)."""
    current = facts.submit(
        get_database(), incident, plan, answers.values, source=answers.source, sources=answers.sources,
        by=answers.verified_by, change=f"verifikasi:{incident.severity.value}", via="prefect-run-input", stage=Stage.VERIFIED,
    )
    show(incident, Stage.VERIFIED)
    return FactSet(incident_id=incident.id, stage="current", facts=current)


@task(name="catat-keputusan")
def record_decision(
    incident: Incident, plan: RunbookPlan, gate: str, key: str, answer: ApprovalAnswer, drafts: list[Draft]
) -> GateStatus:
    """Check the approver's authority, record the decision (refused ones too) and say where the gate stands."""
    status = decisions.decide(get_database(), incident, plan, gate, key, answer, drafts, catalog().roster)
    if not status.decision.accepted:
        get_run_logger().warning("decision at %s refused: %s", key, status.decision.refusal)
    elif status.complete:
        show(incident, Stage.HOLDING_APPROVED if gate == GATE_HOLDING else Stage.APPROVED)
    return status


@task(name="susun-ulang")
def revise_drafts(
    incident: Incident, plan: RunbookPlan, team: Team, drafts: list[Draft], revision: RevisionInput, comment: str
) -> list[Draft]:
    """New revisions after request-changes: the drafter's text where given, otherwise the
    templates again on the current facts (which picks up any correction made meanwhile)."""
    by_field = {text_field(d): d.id for d in drafts}
    texts = {by_field[k]: v for k, v in revision.texts().items() if k in by_field}
    note = "; ".join(n for n in (comment, revision.note) if n)
    return drafts_service.revise(get_database(), incident, plan, team, drafts, texts, drafter=revision.drafter, note=note, cat=catalog())
