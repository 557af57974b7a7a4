"""The approval loop a flow runs at each gate, until the gate is decided.

Each pass asks the store where the gate stands (pasopati.decisions.service.step): approved,
rejected, waiting for a redraft after request-changes, or a decision round open at a pause key —
then waits there and records what arrived. A refused submission (unproven, no authority, stale
text, a round not open) is recorded and the next round opens; it never ends the run. Nothing is
ever approved by time passing: a deadline only escalates (pasopati.watch).

After each resume Prefect re-runs the flow from the top; the store, not a replay of every earlier
round, says where to continue, so a gate answered 200 times costs no more per resume than once.
"""

from __future__ import annotations

from prefect import get_run_logger

from pasopati.decisions.models import StepKind
from pasopati.drafts.models import Draft
from pasopati.incidents.models import Incident
from pasopati.plan.runbook import RunbookPlan
from pasopati.team.models import Team
from tasks.gates import (
    await_approval,
    await_revision,
    gate_step,
    late_input,
    record_decision,
    revise_drafts,
)


def approved_drafts(gate: str, incident: Incident, plan: RunbookPlan, team: Team, drafts: list[Draft]) -> list[Draft] | None:
    """The drafts as approved (edits applied), or None if the gate rejected them."""
    while True:
        step = gate_step(incident, plan, gate, drafts)
        for key in step.unread:  # rounds decided elsewhere: a form left there meanwhile is recorded, too late
            record_decision(incident, plan, step, late_input(key, step.drafts), key)
        if step.kind is StepKind.APPROVED:
            return step.drafts
        if step.kind is StepKind.REJECTED:
            assert step.last is not None
            get_run_logger().warning("%s rejected by %s: %s — nothing published", gate, step.last.approver, step.last.reason)
            return None
        assert step.key is not None
        if step.kind is StepKind.REVISE:
            revise_drafts(incident, plan, team, step, step.key, await_revision(step.key, incident, step))
            continue
        record_decision(incident, plan, step, await_approval(step, incident, plan))
