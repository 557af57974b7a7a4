"""The classifier's answer for one alert (``Classification``) and the actions it can choose."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Action = Literal["start", "watch", "ignore"]


class Classification(BaseModel):
    relevant: bool
    category: str | None = None
    severity: str | None = Field(None, description="A Severity value; set for a crisis (start, or watch without unit).")
    action: Action
    unit: str | None = Field(None, description="Directory unit id, or the generic id of a recognised UPT.")
    facility: str | None = Field(None, description="Named UPT as written, also when not in the directory.")
    kanwil: str | None = Field(None, description="kanwil-<province-slug>: the unit's Kanwil, or a Kanwil-wide event (unit None).")
    score: float = 0.0
    reasons: list[str] = []
    normalized_text: str = ""
    fingerprint: frozenset[str] = Field(frozenset(), exclude=True)
