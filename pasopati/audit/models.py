"""An audit event: one thing that happened in a crisis, who did it, in which Prefect run."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class AuditEvent(BaseModel):
    seq: int = Field(description="Position in the store's chain, from 1.")
    at: datetime
    kind: str = Field(description="What happened, e.g. 'decision.recorded' (the catalogue: pasopati.audit.kinds).")
    incident_id: str | None
    flow_run_id: str | None = Field(description="The Prefect flow run the act belongs to, when there is one.")
    actor: str = Field(description="A roster name, or 'sistem:<component>' for what the software did itself.")
    details: dict[str, Any]
    prev_hash: str
    incident_prev_hash: str | None = Field(description="Hash of the incident's previous event (None: its first).")
    hash: str


ProblemKind = Literal["altered", "missing", "inserted", "reordered", "head", "anchor", "incident-link"]


class ChainProblem(BaseModel):
    seq: int | None = Field(description="The first row found wrong (None: the chain as a whole).")
    kind: ProblemKind
    message: str


class Anchor(BaseModel):
    """The chain head at one moment, copied out of the store (to the Prefect server)."""

    seq: int
    hash: str
    at: datetime
    store_id: str


class Verification(BaseModel):
    events: int
    head_seq: int
    head_hash: str
    problem: ChainProblem | None
    anchors_checked: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None


class Subject(BaseModel):
    """What a timeline is about: the incident, as its owner describes it (pasopati.incidents)."""

    id: str
    summary: str
    category_title: str
    severity: str
    unit_name: str
    kanwil_name: str
    timezone: str
    detected_at: datetime
