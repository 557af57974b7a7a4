"""The crisis team of one incident at one severity, the calls made, the acknowledgements received."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pasopati.plan.runbook import Level, Severity


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


class Recipient(BaseModel):
    person: str
    role: str
    contact: str
