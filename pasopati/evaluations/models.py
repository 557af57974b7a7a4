"""Time to each stage, deadlines met or missed, what went out."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pasopati.incidents.models import Stage
from pasopati.plan.runbook import MessageType

Outcome = Literal["published", "rejected", "publication-failed"]


class StageTiming(BaseModel):
    stage: Stage
    at: datetime
    seconds_since_detection: float


class DeadlineCheck(BaseModel):
    message_type: MessageType
    due_at: datetime
    published_at: datetime | None

    @property
    def met(self) -> bool:
        return self.published_at is not None and self.published_at <= self.due_at


class Evaluation(BaseModel):
    incident_id: str
    outcome: Outcome
    timings: list[StageTiming]
    deadlines: list[DeadlineCheck]
    publications_sent: int
    publications_failed: int
    team_gaps: list[str]
    rejected_gates: list[str] = Field(default_factory=list, description="Gates of this severity an approver rejected.")
