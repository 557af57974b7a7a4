"""What the approval page shows, and what answering it did. Words are in ``templates/page/``: these
models carry kinds and facts, never sentences of their own (a service's refusal is quoted as given)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from pasopati.decisions.models import Decision
from pasopati.drafts.models import Draft
from pasopati.incidents.models import Incident

# Why a link cannot be used now; each has its sentence in templates/page/stop.html.j2.
StopKind = Literal[
    "unknown_link",  # no such token (404; nothing written)
    "expired_link", "used_link", "revoked_link",  # 410
    "round_closed", "text_changed",  # 409: decided by someone, or the text moved on
    "too_many",  # 429: this link already wrote its share of refusals
    "too_large",  # 413: the form is larger than any real answer
]
Wake = Literal["lanjut", "sudah-lanjut", "nanti"]  # the run continues / had continued / the watcher will wake it


class Stop(BaseModel):
    """The link grants nothing now: an HTTP 4xx page saying why."""

    kind: StopKind
    status: int = Field(description="The HTTP status of the page: 404, 409, 410, 413 or 429.")
    decided: Decision | None = Field(None, description="round_closed: the decision that took effect there, if one did.")
    person: str | None = Field(None, description="Whose link it was, when the store knows it.")


class FactLine(BaseModel):
    """One checklist figure as the approver should check it: its current version, and the versions the drafts state."""

    item_id: str
    label: str
    value: str | None = Field(description="None: nobody confirmed it (the text says 'belum dapat dikonfirmasi').")
    source: str | None
    version: int
    verified_by: str
    recorded_at: datetime
    public: bool
    used: list[int] = Field(default_factory=list, description="Versions of this item the drafts state.")

    @property
    def stale(self) -> bool:
        """A draft states an older version than the current one (approving it would be refused)."""
        return any(v != self.version for v in self.used)


class DraftView(BaseModel):
    """One draft: its exact text, where it goes, and what changed since the revision it replaces."""

    draft: Draft
    field: str = Field(description="The form field of its text (pasopati.forms.text_field).")
    channels: list[str] = Field(description="Titles of the channels that publish exactly this text.")
    diff: str | None = Field(None, description="Unified diff from the previous revision; None for a first revision.")


class PageView(BaseModel):
    """Everything the page shows for one valid link at its open round."""

    person: str
    incident: Incident
    gate: str
    key: str
    text_hash: str
    expires_at: datetime
    deadline: datetime | None
    authority: str = Field(description="Title of the role that decides at this severity.")
    delegate: str | None = Field(None, description="Title of the escalation delegate, once escalated.")
    approvers_required: int
    approvers: list[str] = Field(description="Who already approved exactly this text.")
    strong: bool = Field(description="berat and luar-biasa: the TOTP code is asked as a second factor.")
    drafts: list[DraftView]
    facts: list[FactLine]


class Invalid(BaseModel):
    """A form that cannot be an answer (nothing recorded): the page again, with what to fix."""

    view: PageView
    errors: list[str] = Field(description="Codes with sentences in templates/page/approval.html.j2.")


class Outcome(BaseModel):
    """A submission recorded through ``decisions.service.submit``: accepted, or refused and why."""

    decision: Decision
    incident: Incident
    status: int = Field(description="200 accepted; 409 refused because the round or its text moved on; 403 any other refusal.")
    woke: Wake | None = Field(None, description="For an accepted decision: whether the run was woken.")
    link_usable: bool = Field(False, description="For a refused one: the link still grants the open round (it was not redeemed).")
