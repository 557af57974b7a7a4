"""The approval loop a flow runs at each gate, until the gate is decided.

Round by round: suspend for a decision; a refused decision (no authority, the same approver twice)
is recorded and the gate asks again; request-changes goes back to drafting and then asks again;
an edit replaces the text; the gate completes when enough distinct approvers cover exactly the
current text. Nothing is ever approved by time passing: a deadline only escalates (pasopati.watch).

Deterministic on purpose: after each resume Prefect re-runs the flow from the top, and every
round replays from the store by its pause key until it reaches the one still waiting.
"""

from __future__ import annotations

from prefect import get_run_logger

from pasopati.decisions.gates import pause_key, revision_gate
from pasopati.decisions.models import Verdict
from pasopati.drafts.models import Draft
from pasopati.incidents.models import Incident
from pasopati.plan.runbook import RunbookPlan
from pasopati.team.models import Team

from tasks.gates import await_approval, await_revision, record_decision, revise_drafts

MAX_ROUNDS = 100  # a gate answered wrongly 100 times is a misuse to look at, not to loop on


class GateAbandoned(RuntimeError):
    """More rounds at one gate than anyone would submit in good faith."""


def approved_drafts(gate: str, incident: Incident, plan: RunbookPlan, team: Team, drafts: list[Draft]) -> list[Draft] | None:
    """The drafts as approved (edits applied), or None if the gate rejected them."""
    for round_ in range(1, MAX_ROUNDS + 1):
        key = pause_key(gate, round_)
        answer = await_approval(key, gate, incident, plan, drafts)
        status = record_decision(incident, plan, gate, key, answer, drafts)
        decision = status.decision
        if not decision.accepted:
            continue
        if decision.verdict is Verdict.REJECT:
            get_run_logger().warning("%s rejected by %s: %s — nothing published", gate, decision.approver, decision.reason)
            return None
        if decision.verdict is Verdict.REQUEST_CHANGES:
            revision = await_revision(pause_key(revision_gate(gate), round_), incident, status.drafts, decision)
            drafts = revise_drafts(incident, plan, team, status.drafts, revision, decision.reason)
            continue
        drafts = status.drafts
        if status.complete:
            return drafts
    raise GateAbandoned(f"{gate}: no decision after {MAX_ROUNDS} rounds")
