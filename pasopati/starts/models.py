"""A request to start a runbook run, kept until Prefect has the run (issue 12: no start is lost)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class StartStatus(StrEnum):
    PENDING = "pending"  # not started yet: retried with backoff, shown by `pasopati starts`
    STARTED = "started"  # Prefect has the run (flow_run_id)
    FAILED = "failed"  # Prefect refused the request itself: shown with `pasopati starts retry <id>`
    SUPERSEDED = "superseded"  # an escalation asked for a higher run before this one started: never started
    ABANDONED = "abandoned"  # its incident was closed before the run started: never started

    @property
    def is_open(self) -> bool:
        """Still to start (pending) or waiting for a person (failed)."""
        return self in (StartStatus.PENDING, StartStatus.FAILED)


class RunStart(BaseModel):
    """One requested run. Its id is the idempotency key Prefect sees, so a retry after a lost answer
    (or two processes retrying at once) yields the same flow run, never a second one."""

    id: str
    incident_id: str
    deployment: str = Field(description="'<flow>/<deployment>' to run.")
    parameters: dict[str, Any]
    flow_run_name: str | None = None
    tags: list[str] = []
    supersedes: str | None = Field(None, description="A run an escalation released: cancelled before this one starts.")
    supersede_message: str | None = None
    alert_id: str | None = Field(None, description="The alert that asked for this start (its record learns the run).")
    requested_by: str
    requested_at: datetime
    status: StartStatus = StartStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = None
    flow_run_id: str | None = None
    started_at: datetime | None = None

    @property
    def retry_command(self) -> str:
        return f"pasopati starts retry {self.id}"
