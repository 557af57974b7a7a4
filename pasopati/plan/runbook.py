"""Runbook schema: what a crisis category demands at each severity, kept as YAML data.

One file per category under ``runbooks/`` (``runbooks/<category>.yaml``) plus ``common.yaml``
for the checklist items every category shares (the CERC who/what/where/when).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(str, Enum):
    """Severity levels, in escalating order (DOMAIN.md)."""

    RINGAN = "ringan"
    SEDANG = "sedang"
    BERAT = "berat"
    LUAR_BIASA = "luar-biasa"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Level(str, Enum):
    """Organisational level a team member or approver comes from."""

    UPT = "upt"
    KANWIL = "kanwil"
    DITJENPAS = "ditjenpas"
    KEMENTERIAN = "kementerian"


class MessageType(str, Enum):
    HOLDING_STATEMENT = "holding_statement"
    PRESS_RELEASE = "press_release"
    SOCIAL_POST = "social_post"
    SITUATION_REPORT = "situation_report"
    CORRECTION = "correction"  # ralat: prepared when a fact a published message used changes


class Strategy(str, Enum):
    """SCCT response strategy (Coombs): victim cluster → inform, accidental → diminish,
    preventable → rebuild; deny only a rumour, with evidence."""

    INFORM = "inform"
    DIMINISH = "diminish"
    REBUILD = "rebuild"
    DENY_RUMOUR = "deny-rumour"


class ChecklistItem(Strict):
    id: Slug
    label: str = Field(description="Indonesian label shown to the verifier and in drafts.")
    question: str = Field(description="What the verifier must establish.")
    source_hint: str = Field("", description="Where the fact is usually confirmed (SDP, Polres, RSUD, BMKG…).")
    public: bool = Field(True, description="False: internal situation report only, never a public message.")


class RoleRef(Strict):
    role: Slug
    level: Level


class TeamSlot(RoleRef):
    duty: str = Field(description="What this member does in the TKK for this crisis.")
    informed_only: bool = Field(False, description="Kept informed; not an active member.")


class Approval(Strict):
    authority: RoleRef
    approvers_required: int = Field(1, ge=1, le=3)
    via: RoleRef | None = Field(None, description="Channel the request goes through (e.g. Kabag Humas for Dirjen).")
    informed: list[RoleRef] = []
    escalate_to: RoleRef | None = Field(
        None,
        description="Named delegate / next level who may also decide once a message's deadline passed undecided."
        " Escalation widens who may decide; it never approves anything by itself.",
    )


class MessageSpec(Strict):
    type: MessageType
    deadline_minutes: int = Field(gt=0, description="From incident detection.")
    channels: list[Slug] = Field(min_length=1)
    languages: list[Literal["id", "en"]] = ["id"]


class SeverityPlan(Strict):
    summary: str = Field(description="One line: what this severity means for the category.")
    team: list[TeamSlot] = Field(min_length=1)
    approval: Approval
    spokesperson: RoleRef
    strategy: Strategy
    update_every_minutes: int | None = Field(None, gt=0, description="None: updates as needed.")
    acknowledge_within_minutes: int = Field(
        gt=0, description="A team member who has not acknowledged by then is escalated to the role's deputy."
    )
    press_conference_within_minutes: int | None = Field(None, gt=0)
    messages: list[MessageSpec] = Field(min_length=2)

    @field_validator("messages")
    @classmethod
    def _one_message_per_type_and_holding_first(cls, messages: list[MessageSpec]) -> list[MessageSpec]:
        types = [m.type for m in messages]
        duplicated = {t.value for t in types if types.count(t) > 1}
        if duplicated:
            raise ValueError(f"message types listed more than once: {sorted(duplicated)}")
        if types[0] is not MessageType.HOLDING_STATEMENT:
            raise ValueError("the first message must be the holding_statement (be first: CERC)")
        holding = messages[0].deadline_minutes
        late = [m.type.value for m in messages[1:] if m.deadline_minutes < holding]
        if late:
            raise ValueError(f"{late} are due before the holding statement ({holding} min)")
        return messages

    def message(self, message_type: MessageType) -> MessageSpec | None:
        return next((m for m in self.messages if m.type is message_type), None)


class CommonChecklist(Strict):
    checklist: list[ChecklistItem] = Field(min_length=1)


class Runbook(Strict):
    category: Slug
    title: str
    description: str
    examples: list[str] = []
    checklist: list[ChecklistItem] = Field(description="Category-specific items, after the common ones.")
    severities: dict[Severity, SeverityPlan]

    @field_validator("severities")
    @classmethod
    def _all_severities(cls, severities: dict[Severity, SeverityPlan]) -> dict[Severity, SeverityPlan]:
        missing = [s.value for s in Severity if s not in severities]
        if missing:
            raise ValueError(f"missing severities: {missing}")
        return severities


class RunbookPlan(Strict):
    """A runbook resolved for one category and severity: what a single run follows."""

    category: str
    category_title: str
    severity: Severity
    checklist: list[ChecklistItem]
    plan: SeverityPlan

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.checklist if i.id == item_id), None)
