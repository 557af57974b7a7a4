"""What starts a runbook, the incident it opens, the stages it passes, the deadlines that escalate."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from pasopati.db import CleanStr
from pasopati.plan.runbook import Severity


class Trigger(BaseModel):
    """What starts a runbook: an operator's report (CLI, Prefect UI) or a monitoring alert."""

    unit: CleanStr = Field(description="UPT name, id or short form, e.g. 'Lapas Cipinang'.")
    summary: CleanStr = Field(
        min_length=3, max_length=2000,
        description="What happened in the reporter's words: a claim (never published as a fact; verification decides).",
    )
    reported_facts: dict[CleanStr, CleanStr] = Field(
        default_factory=dict, description="Checklist items the reporter confirms (item id → value), with ``reported_by`` as their"
        " source: one the runbook accepts for each item, or the trigger is refused."
    )
    reported_by: CleanStr = Field("Media Center PASOPATI", max_length=200, description="Who reports: the source of the facts it confirms.")
    source: str = Field("ui", description="How the runbook was started: ui, cli or alert.")
    detected_at: datetime | None = Field(None, description="When the crisis was detected; default: trigger time.")
    incident_id: str | None = Field(
        None,
        description="Set by alert intake: the incident already exists (opened or escalated by correlation). A run "
        "carries it only if no other live run does and its severity is not lower than the incident's; otherwise "
        "the run is refused.",
    )
    alert_ids: list[str] = Field(default_factory=list, description="Set by alert intake: the alerts behind this start.")
    new_incident_reason: CleanStr | None = Field(
        None, min_length=3, max_length=500,
        description="Open a new incident although one is open for this unit and category, and why (recorded). "
        "Without it such a trigger is refused, naming the open incident: attach to it or escalate it instead.",
    )


    @field_validator("new_incident_reason")
    @classmethod
    def _reason_has_words(cls, reason: str | None) -> str | None:
        if reason is not None and len(reason.strip()) < 3:
            raise ValueError("give the reason a new incident is opened beside the open one (at least 3 characters)")
        return reason.strip() if reason is not None else None


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
    follows_id: str | None = Field(None, description="The closed incident this one continues (an alert after closure).")


class IncidentState(str, Enum):
    OPEN = "open"
    CLOSED = "closed"


class IncidentSummary(BaseModel):
    """A row of ``pasopati audit list``."""

    incident: Incident
    state: IncidentState
    closed_at: datetime | None
    runs: int
    events: int = 0


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


class Escalation(BaseModel):
    """A deadline that passed: an undecided approval, an unacknowledged team member."""

    incident_id: str
    severity: Severity
    kind: Literal["approval", "acknowledgement"]
    subject: str = Field(description="The gate, or the person who did not acknowledge.")
    to_role: str | None = Field(None, description="Role that may now act; None: no delegate named, team notified.")
    reason: str
    at: datetime
