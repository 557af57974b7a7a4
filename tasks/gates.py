"""The human gates: verification and approval. The waiting itself happens in the flow (Prefect
suspends the whole run, holding no process); the tasks here record what people answered."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.flow_runs import suspend_flow_run

from pasopati.catalog import catalog
from pasopati.drafting import environment
from pasopati.inputs import GATE_HOLDING, GATE_VERIFICATION, ApprovalInput, verification_form
from pasopati.models import (
    ApprovalAnswer,
    Decision,
    Draft,
    Fact,
    FactSet,
    Incident,
    Stage,
    Verdict,
    VerificationAnswers,
    utcnow,
)
from pasopati.runbook import RunbookPlan
from pasopati.settings import get_settings
from pasopati.store import get_store
from tasks.progress import reach


def _describe(template: str, **context: Any) -> str:
    return environment(catalog().templates_dir).get_template(f"ui/{template}").render(**context)


def await_verification(incident: Incident, plan: RunbookPlan, reported: FactSet) -> VerificationAnswers:
    """Suspend until someone submits the verification form (prefilled with what the trigger said)."""
    form = verification_form(plan).with_initial_data(
        description=_describe("verification_request.md.j2", incident=incident, checklist=plan.checklist),
        **reported.confirmed(),
    )
    answer = suspend_flow_run(wait_for_input=form, key=GATE_VERIFICATION, timeout=get_settings().input_timeout_seconds)
    return VerificationAnswers(
        values=answer.answers(), verified_by=answer.verified_by, source=answer.source, sources=answer.sources
    )


def await_approval(gate: str, incident: Incident, plan: RunbookPlan, drafts: list[Draft]) -> ApprovalAnswer:
    """Suspend until a decision on exactly these drafts is submitted."""
    description = _describe(
        "approval_request.md.j2",
        gate=gate,
        incident=incident,
        authority=catalog().roster.roles[plan.plan.approval.authority.role].title,
        approvers_required=plan.plan.approval.approvers_required,
        drafts=drafts,
    )
    answer = suspend_flow_run(
        wait_for_input=ApprovalInput.with_initial_data(description=description),
        key=gate,
        timeout=get_settings().input_timeout_seconds,
    )
    return ApprovalAnswer(verdict=answer.verdict, approver=answer.approver, reason=answer.reason)


@task(name="catat-verifikasi")
def record_verification(
    incident: Incident, plan: RunbookPlan, reported: FactSet, answers: VerificationAnswers
) -> FactSet:
    """Verified answers override what the trigger reported; unanswered items stay unconfirmed."""
    store = get_store()
    if recorded := store.facts(incident.id, "verification"):
        return FactSet(incident_id=incident.id, stage="verification", facts=recorded)
    now = utcnow()
    previous = {f.item_id: f for f in reported.facts}
    facts: list[Fact] = []
    for item in plan.checklist:
        if item.id in answers.values:
            facts.append(
                Fact(
                    item_id=item.id,
                    label=item.label,
                    value=answers.values[item.id],
                    source=answers.sources.get(item.id, answers.source),
                    public=item.public,
                    verified_by=answers.verified_by,
                    recorded_at=now,
                )
            )
        elif item.id in previous:
            facts.append(previous[item.id])
    fact_set = FactSet(incident_id=incident.id, stage="verification", facts=facts)
    store.save_facts(fact_set)
    reach(incident, Stage.VERIFIED)
    return fact_set


@task(name="catat-keputusan")
def record_decision(incident: Incident, gate: str, answer: ApprovalAnswer, drafts: list[Draft]) -> Decision:
    store = get_store()
    if recorded := [d for d in store.decisions(incident.id) if (d.gate, d.severity) == (gate, incident.severity)]:
        return recorded[0]
    decision = Decision(
        incident_id=incident.id,
        severity=incident.severity,
        gate=gate,
        verdict=answer.verdict,
        approver=answer.approver,
        reason=answer.reason,
        draft_ids=[d.id for d in drafts],
        decided_at=utcnow(),
    )
    store.record_decision(decision, drafts)
    if decision.verdict is Verdict.APPROVE:
        reach(incident, Stage.HOLDING_APPROVED if gate == GATE_HOLDING else Stage.APPROVED)
    return decision
