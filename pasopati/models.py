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
    item_id: str
    label: str
    value: str | None = Field(None, description="None: not (yet) confirmed.")
    source: str | None = None
    public: bool = True
    verified_by: str
    recorded_at: datetime


class FactSet(BaseModel):
    incident_id: str
    stage: Literal["trigger", "verification"]
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

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()


class Verdict(str, Enum):
    APPROVE = "approve"
    REJECT = "reject"


class ApprovalAnswer(BaseModel):
    verdict: Verdict
    approver: str
    reason: str = ""


class Decision(BaseModel):
    incident_id: str
    severity: Severity
    gate: str
    verdict: Verdict
    approver: str
    reason: str
    draft_ids: list[str]
    decided_at: datetime


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
