"""The human gates: verification, approval and redrafting. The waiting itself happens in the flow
(Prefect suspends the whole run, holding no process); the tasks here ask the store where a gate
stands and record what people answered.

None of these tasks is cached: on resume Prefect re-runs the flow from the top, and the store —
not a persisted task result — says which round is open (pasopati.decisions.rounds). Recording is
idempotent per round (a round's input is read once).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import ValidationError

from pasopati.approvals.sending import send_links
from pasopati.db import get_database
from pasopati.decisions import service as decisions
from pasopati.decisions import steps
from pasopati.decisions.gates import (
    GATE_HOLDING,
    GATE_VERIFICATION,
    gate_of,
    input_base_key,
    revision_gate,
)
from pasopati.decisions.models import (
    ApprovalAnswer,
    Decision,
    GateStep,
    StepKind,
    short_hash,
)
from pasopati.drafts.models import Draft
from pasopati.facts.models import FactSet, VerificationAnswers
from pasopati.forms import (
    ApprovalInput,
    ProvenInput,
    RevisionInput,
    VerificationBase,
    english_field,
    text_field,
    verification_form,
    with_draft_texts,
)
from pasopati.identity.prover import Prover
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.settings import get_settings
from pasopati.team.models import Team
from pasopati.texts import render
from tasks.progress import show
from tasks.waiting import suspend_at


@lru_cache(maxsize=1)
def prover() -> Prover:
    """One per process: the credential key is read once (pasopati.identity.keys)."""
    return Prover()


def _describe(template: str, **context: Any) -> str:
    return render(catalog().templates_dir, f"ui/{template}", **context)


def _suspend(form: type[ProvenInput], key: str, incident: Incident, what: str, text_hash: str | None = None) -> ProvenInput | None:
    """Wait at ``key`` under a state named after the gate, whose message says what it waits for and
    why the last submission was refused, if it was; the input found there, or None if what was
    found is not a form at all (written straight to the API): the round is then used up."""
    refused = [d for d in decisions.decisions(get_database(), incident.id) if not d.accepted and d.gate == gate_of(key)]
    message = render(catalog().templates_dir, "ui/waiting_state.j2", refused=refused[-1] if refused else None, what=what, key=key,
                     short_hash=short_hash(text_hash) if text_hash else None).strip()
    try:
        return suspend_at(form, key, timeout=get_settings().input_timeout_seconds, message=message)
    except ValidationError as exc:
        get_run_logger().warning("input at %s is not a valid form (%s errors): treated as empty", key, exc.error_count())
        return None


@task(name="status-gerbang", cache_policy=NO_CACHE)
def gate_step(incident: Incident, plan: RunbookPlan, gate: str, seed: list[Draft]) -> GateStep:
    """Where an approval gate stands (opens the next round when one is needed)."""
    step = decisions.step(get_database(), incident, plan, gate, seed, catalog().roster)
    if step.kind is StepKind.DECIDE:  # the round's approval links, once per round and person
        send_links(get_database(), incident, plan, step)
    if step.kind is StepKind.APPROVED:
        show(incident, Stage.HOLDING_APPROVED if gate == GATE_HOLDING else Stage.APPROVED)
    return step


def late_input(key: str, drafts: list[Draft]) -> ApprovalAnswer | None:
    """The input a form left at round ``key`` after the round was decided elsewhere, without waiting
    (None: there is none, or it is no form). Read once (pasopati.decisions.rounds.read_input)."""
    from prefect.input.actions import read_flow_run_input
    from prefect.input.run_input import keyset_from_base_key

    raw = read_flow_run_input(keyset_from_base_key(input_base_key(key))["response"])
    if not isinstance(raw, dict):
        return None
    try:
        given = with_draft_texts(ApprovalInput, drafts, "Persetujuan")(**raw)
    except ValidationError:
        return None
    return _answer(given, drafts) if not given.is_empty() else None  # type: ignore[arg-type]


def _answer(given: ApprovalInput, drafts: list[Draft]) -> ApprovalAnswer:
    by_field = {text_field(d): d.id for d in drafts}
    return ApprovalAnswer(
        verdict=given.verdict, approver=given.approver or "", reason=given.reason, round_key=given.putaran,
        text_hash=given.hash_teks, code=given.kode, edits={by_field[k]: v for k, v in given.texts().items() if k in by_field},
    )


def await_approval(step: GateStep, incident: Incident, plan: RunbookPlan) -> ApprovalAnswer | None:
    """Suspend until input arrives at the round's key; the form carries the drafts' text so an
    approver can edit in place, and the round and text hash a decision must name."""
    db = get_database()
    roster = catalog().roster
    approval = plan.plan.approval
    description = _describe(
        "approval_request.md.j2",
        gate=step.gate,
        step=step,
        short_hash=short_hash(step.text_hash or ""),
        incident=incident,
        authority=roster.roles[approval.authority.role].title,
        delegate=roster.roles[approval.escalate_to.role].title if approval.escalate_to else None,
        approvers_required=approval.approvers_required,
        approvers=step.approvers,
        escalations=[e for e in incidents.escalations(db, incident.id) if e.subject == step.gate],
        refusals=[d for d in decisions.decisions(db, incident.id) if d.gate == step.gate and not d.accepted][-3:],
        drafts=step.drafts,
    )
    form = with_draft_texts(ApprovalInput, step.drafts, f"Keputusan {step.key}").with_initial_data(
        description=description, putaran=step.key, hash_teks=step.text_hash, **{text_field(d): d.body for d in step.drafts}
    )
    given = _suspend(form, step.key or "", incident, f"keputusan {roster.roles[approval.authority.role].title}", step.text_hash)
    if given is None or given.is_empty():
        return None
    assert isinstance(given, ApprovalInput)
    return _answer(given, step.drafts)


@task(name="catat-keputusan", cache_policy=NO_CACHE)
def record_decision(incident: Incident, plan: RunbookPlan, step: GateStep, answer: ApprovalAnswer | None, key: str | None = None) -> Decision | None:
    """Record the input found at the round (``key``, default the step's; None: an empty one — the
    doorbell of a decision the CLI or the approval page recorded, or a resume without input)."""
    key = key or step.key or ""
    decision = decisions.answer(get_database(), incident, plan, step.gate, key, step.drafts, answer, catalog().roster, prover())
    if decision is not None and not decision.accepted:
        get_run_logger().warning("decision at %s refused (recorded): %s", key, decision.refusal)
        _show_refusal(incident, key, decision.approver, decision.refusal or "")
    return decision


def _show_refusal(incident: Incident, key: str, claimed: str, why: str) -> None:
    """A refusal inside the run is visible at once in the run's Artifacts (and in the state message
    of the round that follows), not only when someone opens the form again."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(
        key=f"penolakan-{incident.id.replace('-', '')[:16]}",
        markdown=render(catalog().templates_dir, "ui/refusal.md.j2", key=key, claimed=claimed, why=why),
        description=f"Keputusan ditolak di {key}",
    )


def await_verification(incident: Incident, plan: RunbookPlan, key: str) -> VerificationAnswers | None:
    """Suspend at the verification round ``key`` (the form prefilled with what is known so far)."""
    current = steps.current_facts(get_database(), incident)
    known = {f.item_id: f.value for f in current if f.value is not None}
    known |= {english_field(f.item_id): f.value_en for f in current if f.value_en is not None}
    form = verification_form(plan).with_initial_data(
        description=_describe("verification_request.md.j2", incident=incident, checklist=plan.checklist),
        putaran=key, **known,
    )
    given = _suspend(form, key, incident, "verifikasi fakta oleh anggota TKK")
    if given is None or given.is_empty():
        return None
    assert isinstance(given, VerificationBase)
    return VerificationAnswers(
        values=given.answers(), values_en=given.english(), verified_by=given.verified_by or "", source=given.source or "", sources=given.sources, code=given.kode,
    )


@task(name="status-verifikasi", cache_policy=NO_CACHE)
def open_verification(incident: Incident) -> str | None:
    """The pause key the verification waits at (a round opened if needed), or None once verified."""
    waiting = steps.open_step(get_database(), incident, GATE_VERIFICATION)
    if waiting.done:
        show(incident, Stage.VERIFIED)
    return waiting.key


@task(name="catat-verifikasi", cache_policy=NO_CACHE)
def record_verification(incident: Incident, plan: RunbookPlan, key: str, answers: VerificationAnswers | None) -> None:
    """Verified answers become new fact versions if the verifier is proven and on the team."""
    db = get_database()
    if answers is None:
        steps.consume(db, incident, key)
        return
    outcome = steps.verify(db, incident, plan, key, answers, catalog().roster, prover(), from_run=True)
    if outcome is not None and not outcome.accepted:
        get_run_logger().warning("verification at %s refused (recorded): %s", key, outcome.refusal)
        _show_refusal(incident, key, outcome.person, outcome.refusal or "")


@task(name="fakta-terverifikasi", cache_policy=NO_CACHE)
def verified_facts(incident: Incident) -> FactSet:
    return FactSet(incident_id=incident.id, stage="current", facts=steps.current_facts(get_database(), incident))


def await_revision(key: str, incident: Incident, step: GateStep) -> RevisionInput | None:
    """Back to drafting: suspend until a drafter submits revised text (or leaves it to the templates)."""
    description = _describe("revision_request.md.j2", incident=incident, decision=step.last, drafts=step.drafts)
    form = with_draft_texts(RevisionInput, step.drafts, f"Penyusunan ulang {key}").with_initial_data(
        description=description, putaran=key, **{text_field(d): d.body for d in step.drafts}
    )
    given = _suspend(form, key, incident, "penyusunan ulang oleh TKK humas")
    return None if given is None or given.is_empty() else given  # type: ignore[return-value]


@task(name="susun-ulang", cache_policy=NO_CACHE)
def revise_drafts(incident: Incident, plan: RunbookPlan, team: Team, step: GateStep, key: str, revision: RevisionInput | None) -> None:
    """New revisions after request-changes: the drafter's text where given, otherwise the
    templates again on the current facts (which picks up any correction made meanwhile)."""
    db = get_database()
    if revision is None:
        steps.consume(db, incident, key)
        return
    by_field = {text_field(d): d.id for d in step.drafts}
    texts = {by_field[k]: v for k, v in revision.texts().items() if k in by_field}
    outcome = steps.redraft(
        db, incident, plan, team, revision_gate(step.gate), key, step.drafts, texts, drafter=revision.drafter or "", note=revision.note,
        claim=steps.Claim(code=revision.kode, link_token=None), via="prefect-run-input", roster=catalog().roster, prover=prover(),
        cat=catalog(), from_run=True,
    )
    if outcome is not None and not outcome.accepted:
        get_run_logger().warning("redraft at %s refused (recorded): %s", key, outcome.refusal)
        _show_refusal(incident, key, outcome.person, outcome.refusal or "")
