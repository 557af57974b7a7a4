"""A decision at a gate, what an approver answers, and where the gate stands after it."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, Field

from pasopati.drafts.models import Draft
from pasopati.plan.runbook import Severity


class Verdict(str, Enum):
    APPROVE = "approve"
    EDIT = "edit"  # approve with edits: the edited text is what gets published
    REQUEST_CHANGES = "request-changes"  # back to drafting with the comment
    REJECT = "reject"  # the run ends, nothing of this gate is published

    @property
    def approves(self) -> bool:
        return self in (Verdict.APPROVE, Verdict.EDIT)


class ApprovalAnswer(BaseModel):
    verdict: Verdict
    approver: str
    reason: str = ""
    edits: dict[str, str] = Field(default_factory=dict, description="Draft id → the approver's text.")
    via: str = Field("prefect-run-input", description="How the answer arrived: the CLI, or the run's input (UI form, API).")


class Decision(BaseModel):
    incident_id: str
    severity: Severity
    gate: str
    verdict: Verdict
    approver: str
    reason: str
    draft_ids: list[str]
    decided_at: datetime
    pause_key: str | None = Field(None, description="The suspend this answered; None for a refusal at the CLI.")
    accepted: bool = True
    refusal: str | None = Field(None, description="Why the decision was not accepted (no authority, already approved…).")
    diffs: dict[str, str] = Field(default_factory=dict, description="Edited draft id → unified diff from its parent.")


class GateStatus(BaseModel):
    """Where an approval gate stands after a decision."""

    decision: Decision
    drafts: list[Draft] = Field(description="The drafts now awaiting approval or approved (edits replace them).")
    approvers: list[str] = Field(description="Distinct people whose approval covers exactly these drafts.")
    complete: bool
