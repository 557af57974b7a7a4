"""The records a run produces, stage by stage:
Trigger → Incident → Team → Facts → Drafts → Decision → Publications → Evaluation."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field

from pasopati.runbook import Level, MessageType, Severity


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Trigger(BaseModel):
    """What starts a runbook: an operator's report (CLI, Prefect UI) or, later, a monitoring alert."""

    unit: str = Field(description="UPT name, id or short form, e.g. 'Lapas Cipinang'.")
    summary: str = Field(min_length=3, description="What happened, as the reporter confirms it.")
    reported_facts: dict[str, str] = Field(
        default_factory=dict, description="Checklist items the reporter already confirms (item id → value)."
    )
    reported_by: str = Field("Media Center PASOPATI", description="Who reports: the source of the facts it confirms.")
    confirmed: bool = Field(
        True, description="The reporter confirms the summary (an operator); False for media alerts, which are claims."
    )
    source: str = Field("ui", description="How the runbook was started: ui, cli or alert.")
    detected_at: datetime | None = Field(None, description="When the crisis was detected; default: trigger time.")
    incident_id: str | None = Field(
        None, description="Set by alert intake: the incident already exists (opened or escalated by correlation)."
    )


class Incident(BaseModel):
    id: str
    flow_run_id: str | None
    category: str
    category_title: str
    severity: Severity
    unit_id: str
    unit_name: str
    unit_type: str
    kanwil_id: str
    kanwil_name: str
    province: str
    timezone: str
    summary: str
    detected_at: datetime
    opened_at: datetime
    progress_artifact_id: str | None = None


class TeamMember(BaseModel):
    role: str
    role_title: str
    level: Level
    org: str
    duty: str
    informed_only: bool = False
    name: str | None = Field(None, description="None: nobody in the roster holds this role here.")
    contact: str = ""


class Team(BaseModel):
    incident_id: str
    severity: Severity
    members: list[TeamMember]
    assembled_at: datetime

    @property
    def gaps(self) -> list[TeamMember]:
        return [m for m in self.members if m.name is None]


class Fact(BaseModel):
    """One version of one checklist figure: corrections add versions, never overwrite."""

    item_id: str
    label: str
    value: str | None = Field(None, description="None: not (yet) confirmed.")
    source: str | None = None
    public: bool = True
    verified_by: str
    recorded_at: datetime
    version: int = 1
    change: str = Field("laporan-awal", description="The submission that recorded it: trigger, verification, a correction.")


class FactSet(BaseModel):
    incident_id: str
    stage: Literal["trigger", "verification", "current"]
    facts: list[Fact]

    def confirmed(self) -> dict[str, str]:
        return {f.item_id: f.value for f in self.facts if f.value is not None}


class VerificationAnswers(BaseModel):
    """What a verifier submitted: checklist item id → value, and where the values come from."""

    values: dict[str, str]
    verified_by: str
    source: str
    sources: dict[str, str] = {}


class Draft(BaseModel):
    id: str
    incident_id: str
    severity: Severity
    message_type: MessageType
    language: str
    body: str
    channels: list[str]
    due_at: datetime
    created_at: datetime
    revision: int = 1
    parent_id: str | None = Field(None, description="The revision this one replaces.")
    author: str = Field("template", description="'template', or who edited the text.")
    note: str = Field("", description="Why this revision exists: an approver's comment, an edit reason.")
    fact_versions: dict[str, int] = Field(default_factory=dict, description="Checklist item → fact version used.")

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()


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


class Escalation(BaseModel):
    incident_id: str
    severity: Severity
    kind: Literal["approval", "acknowledgement"]
    subject: str = Field(description="The gate, or the person who did not acknowledge.")
    to_role: str | None = Field(None, description="Role that may now act; None: no delegate named, team notified.")
    reason: str
    at: datetime


class Notification(BaseModel):
    incident_id: str
    key: str = Field(description="What it is about: 'tim:berat', 'eskalasi:persetujuan-awal', a reminder slot.")
    person: str
    role: str
    contact: str
    title: str
    ok: bool = False
    error: str | None = "not sent yet"
    sent_at: datetime


class Acknowledgement(BaseModel):
    incident_id: str
    person: str
    role: str
    via: Literal["cli", "ui"]
    at: datetime


class PublicationStatus(str, Enum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Publication(BaseModel):
    id: str
    incident_id: str
    draft_id: str
    channel: str
    status: PublicationStatus
    location: str | None = None
    error: str | None = None
    published_at: datetime | None = None
    flag: str | None = Field(None, description="Set when a fact it used changed after publication.")
    correction_draft_id: str | None = None


class Stage(str, Enum):
    """Stages in the order a run passes them; evaluation measures time to each."""

    OPENED = "opened"
    TEAM = "team"
    HOLDING_DRAFTED = "holding_drafted"
    HOLDING_APPROVED = "holding_approved"
    FIRST_PUBLICATION = "first_publication"
    VERIFIED = "verified"
    DRAFTED = "drafted"
    APPROVED = "approved"
    EVALUATED = "evaluated"


class StageTiming(BaseModel):
    stage: Stage
    at: datetime
    seconds_since_detection: float


class Evaluation(BaseModel):
    incident_id: str
    outcome: Literal["published", "rejected", "publication-failed"]
    timings: list[StageTiming]
    deadlines: list[DeadlineCheck]
    publications_sent: int
    publications_failed: int
    team_gaps: list[str]


class DeadlineCheck(BaseModel):
    message_type: MessageType
    due_at: datetime
    published_at: datetime | None

    @property
    def met(self) -> bool:
        return self.published_at is not None and self.published_at <= self.due_at


Evaluation.model_rebuild()
