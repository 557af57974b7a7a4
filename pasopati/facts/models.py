"""One version of one checklist figure, and what a verifier submits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Fact(BaseModel):
    """One version of one checklist figure: corrections add versions, never overwrite."""

    item_id: str
    label: str
    value: str | None = Field(None, description="None: not (yet) confirmed.")
    value_en: str | None = Field(None, description="The same value in English, as its verifier worded it (None: none given).")
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
    values_en: dict[str, str] = Field({}, description="Item id → the value in English (optional; English texts state only these).")
    verified_by: str
    source: str
    sources: dict[str, str] = {}
    code: str | None = Field(None, description="The verifier's TOTP code (pasopati.identity).")
    link_token: str | None = None
    via: str = "prefect-run-input"
