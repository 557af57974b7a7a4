"""A decision at a gate, what an approver answers, and where the gate stands after it."""

from __future__ import annotations

import hashlib
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
    """What someone submitted at an approval gate: the claim, and what should prove it."""

    verdict: Verdict | None = Field(description="None: the form was submitted without choosing (the round is used up).")
    approver: str = Field(description="The name claimed (matched against the roster, then proven).")
    reason: str = ""
    edits: dict[str, str] = Field(default_factory=dict, description="Draft id → the approver's text.")
    via: str = Field("prefect-run-input", description="How the answer arrived: cli, halaman-persetujuan, or the run's input (UI form, API).")
    round_key: str | None = Field(None, description="The pause key (gate round) the decision names; None: not named.")
    text_hash: str | None = Field(None, description="gate_text_hash of the drafts the approver read; None: not named.")
    code: str | None = Field(None, description="TOTP code from the approver's authenticator app (RFC 6238).")
    link_token: str | None = Field(None, description="The single-use approval-link token the approver opened.")
    privacy_override: str = Field(
        "", max_length=1000,
        description="Why personal data the check found may be published (never a child's identity, a NIK or a KK).",
    )


class Decision(BaseModel):
    id: int | None = Field(None, description="Store row id (None before it is stored).")
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
    round_key: str | None = Field(None, description="The gate round the submission answered or named.")
    proof: str | None = Field(None, description="How the approver was identified (pasopati.identity), or None if unproven.")
    via: str = ""


class GateStatus(BaseModel):
    """Where an approval gate stands after a decision."""

    decision: Decision
    drafts: list[Draft] = Field(description="The drafts now awaiting approval or approved (edits replace them).")
    approvers: list[str] = Field(description="Distinct people whose approval covers exactly these drafts.")
    complete: bool


def gate_text_hash(drafts: list[Draft]) -> str:
    """SHA-256 (hex) over the drafts awaiting a decision — each draft id and the hash of its exact body,
    in id order. A decision names it: approving text you have not read is refused."""
    lines = "".join(f"{d.id}\0{d.content_hash}\n" for d in sorted(drafts, key=lambda d: d.id))
    return hashlib.sha256(lines.encode()).hexdigest()


def short_hash(text_hash: str) -> str:
    """The first 12 hex digits: what people type and read (48 bits; collisions need a changed text
    that someone can choose freely AND that matches — the full hash is checked when given)."""
    return text_hash[:12]


class StepKind(str, Enum):
    DECIDE = "decide"  # an approval round is open at ``key``
    REVISE = "revise"  # a request-changes awaits revised text at ``key``
    APPROVED = "approved"
    REJECTED = "rejected"


class GateStep(BaseModel):
    """Where an approval gate stands, read from the store (never from a replay of earlier rounds)."""

    gate: str
    kind: StepKind
    key: str | None = Field(None, description="The pause key to wait at (DECIDE, REVISE).")
    round: int = 0
    opened_at: datetime | None = None
    text_hash: str | None = None
    drafts: list[Draft] = Field(description="The drafts awaiting the decision, or as approved.")
    approvers: list[str] = Field(default_factory=list)
    last: Decision | None = Field(None, description="The last decision that took effect (request-changes: its comment).")
    unread: list[str] = Field(
        default_factory=list,
        description="Rounds decided outside the run (CLI, approval page) whose Prefect input the run has not read: "
        "a form submitted there meanwhile must be recorded (as too late), never silently dropped.",
    )
