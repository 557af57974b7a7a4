"""Runbook schema: what a crisis category demands at each severity, kept as YAML data.

One file per category under ``runbooks/`` (``runbooks/<category>.yaml``) plus ``common.yaml``
for the checklist items every category shares (the CERC who/what/where/when).
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from pasopati.texts import number_pattern

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]


def _compiles(value: str) -> str:
    """A runbook regex must compile: a catalog error naming it, never a traceback at drafting time."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from exc
    return value


# A Python regex from runbook data, matched case-insensitively.
Regex = Annotated[str, AfterValidator(_compiles)]
Language = Literal["id", "en"]


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
    QA_SHEET = "qa_sheet"  # tanya-jawab for the spokesperson, the call center and the family post
    CLARIFICATION = "clarification"  # klarifikasi: a rumour answered with verified counter-facts
    SITUATION_REPORT = "situation_report"
    UPDATE = "update"  # pemutakhiran: a published figure has evolved (no apology)
    CORRECTION = "correction"  # ralat: a published figure was wrong (with apology)


class Strategy(str, Enum):
    """SCCT response strategy (Coombs): victim cluster → inform, accidental → diminish,
    preventable → rebuild; deny only a rumour, with evidence."""

    INFORM = "inform"
    DIMINISH = "diminish"
    REBUILD = "rebuild"
    DENY_RUMOUR = "deny-rumour"


class Wording(Strict):
    """One piece of public wording in both languages (WRITING.md: Indonesian first, English that is English)."""

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def text(self, language: Language) -> str:
        return self.en if language == "en" else self.id


class ChecklistItem(Strict):
    id: Slug
    label: str = Field(description="Indonesian label shown to the verifier and in the internal report.")
    label_en: str = Field(description="English label (internal report, CLI).")
    question: str = Field(description="What the verifier must establish.")
    source_hint: str = Field("", description="Where the fact is usually confirmed (SDP, Polres, RSUD, BMKG…).")
    sources: list[str] = Field(
        min_length=1,
        description="Sources the runbook accepts for this item (a verifier's source must name one: 'Polres Garut'"
        " names 'Polres'); a chat group or a rumour never does.",
    )
    public: bool = Field(True, description="False: internal situation report only, never a public message.")
    kind: Literal["text", "count"] = Field("text", description="count: the value's first number is the figure.")
    statement: Wording | None = Field(
        None, description="How a public text states the confirmed value, in a sentence: '{nilai}' is the value."
    )
    ask: Wording | None = Field(
        None, description="The open question in the public's words, for 'what we do not know yet' (no '?')."
    )
    asked_when: Regex | None = Field(
        None, description="Python regex (case-insensitive) on the report and the verified facts: a first question"
        " only for incidents it fits ('kabur|melarikan' for the search).",
    )
    asked_unless: Regex | None = Field(
        None, description="Python regex (case-insensitive): not asked when it matches ('meninggal': no question on"
        " treatment once a death is verified).",
    )
    initials_only: bool = Field(
        False, description="The value names people by their initials only (DOMAIN.md: an officer under examination);"
        " a value holding a full name or an identifying number is refused when submitted.",
    )
    said_as: list[Regex] = Field(
        default_factory=list,
        description="A count only: what follows the number when a narrative states this same count (Indonesian,"
        " Python regex, case-insensitive: 'warga binaan[^.]{0,40}(melarikan diri|kabur)'). A text stating it does"
        " not also ask it.",
    )

    def count_phrases(self, text: str) -> list[re.Match[str]]:
        """Every place ``text`` states this count as a narrative ("Dua warga binaan melarikan diri")."""
        if not self.said_as:
            return []
        return list(re.finditer(rf"{number_pattern('id')}\s+(?:orang\s+)?(?:{'|'.join(self.said_as)})", text, re.IGNORECASE))

    def stated_in(self, text: str) -> re.Match[str] | None:
        """The first of ``count_phrases``, or None."""
        return next(iter(self.count_phrases(text)), None)

    @model_validator(mode="after")
    def _public_items_have_wording(self) -> ChecklistItem:
        if self.said_as and self.kind != "count":
            raise ValueError(f"item {self.id!r}: said_as is for counts (kind: count)")
        if self.public and (self.statement is None or self.ask is None):
            raise ValueError(f"public item {self.id!r} needs 'statement' and 'ask' wording")
        for wording in filter(None, [self.statement]):
            if "{nilai}" not in wording.id or "{nilai}" not in wording.en:
                raise ValueError(f"item {self.id!r}: statement must contain {{nilai}} in both languages")
        return self


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


class StandardAction(Strict):
    """A pre-approved action true the moment a runbook starts (WRITING.md, holding statement §3),
    as a verb phrase that follows "Saat ini kami …" / "We are …"."""

    from_severity: Severity = Field(alias="from", description="The lowest severity at which it is taken.")
    until: Slug | None = Field(None, description="A checklist item: once it is verified, the action is done and no longer said.")
    when: Regex | None = Field(
        None, description="Python regex (case-insensitive) on the report and the verified facts: said only for incidents"
        " it fits ('kabur|melarikan' for a recount), so a routine search is not framed as an escape.",
    )
    unless: Regex | None = Field(
        None, description="Python regex (case-insensitive) on the same text: not said when it matches (no promise of"
        " medical care once a death is verified).",
    )
    id: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Misconduct(Strict):
    """The checklist answer that confirms misconduct: only then may a text apologise (SCCT rebuild)."""

    item: Slug
    confirmed_when: list[str] = Field(min_length=1, description="Answers (lower-case) that confirm it.")

    def confirmed(self, value: str | None) -> bool:
        """True only when the answer's first clause is exactly one of ``confirmed_when`` ("terbukti",
        "Terbukti, menurut hasil pemeriksaan"), never "Terbukti tidak ada kelalaian" or "tidak terbukti":
        a false admission is worse than a late apology."""
        first = re.split(r"[,;.:(\n]|\s[-—]\s", (value or "").strip().lower(), maxsplit=1)[0].strip()
        return first in self.confirmed_when


class Condolence(Strict):
    """Condolence once a death is verified (WRITING.md: concern for those affected; DOMAIN.md: empathy first)."""

    when: Regex = Field(description="Python regex (case-insensitive) on verified public facts that says someone died.")
    words: Wording = Field(description="The sentence of condolence.")


class CommonChecklist(Strict):
    checklist: list[ChecklistItem] = Field(min_length=1)
    condolence: Condolence | None = None
    count_qualifiers: dict[str, Wording] = Field(
        default_factory=dict,
        description="Words before a count that make it an estimate or a bound ('sekitar' → about): kept when the"
        " count is stated, so 'sekitar 60 orang' never becomes an exact 60.",
    )
    source_titles_en: dict[str, str] = Field(
        default_factory=dict,
        description="A source's opening title in English texts ('Kepala' → 'the head of': 'according to the head of"
        " Lapas Makassar'); the office's own name stays as officially written.",
    )
    internal_details: list[Regex] = Field(
        default_factory=list,
        description="Patterns (Python regex, case-insensitive) of security details no public text may carry:"
        " layouts, damaged perimeter sections, patrol times (DOMAIN.md).",
    )


class Runbook(Strict):
    category: Slug
    title: str
    title_en: str
    description: str
    examples: list[str] = []
    headline: Wording = Field(description="The statements' title; '{unit}' is the unit.")
    topic: Wording = Field(description="What the first report is about, never the claim itself; '{unit}' is the unit.")
    first_questions: list[Slug] = Field(min_length=1, max_length=3, description="The questions the public asks first.")
    standard_actions: list[StandardAction] = Field(min_length=2)
    commitment: Wording | None = Field(None, description="Rebuild before verification: take it seriously, investigate.")
    misconduct: Misconduct | None = None
    hashtags: list[Annotated[str, StringConstraints(pattern=r"^#\w+$")]] = Field(min_length=1)
    internal_details: list[Regex] = Field(default_factory=list, description="More patterns of security details (see common.yaml).")
    checklist: list[ChecklistItem] = Field(description="Category-specific items, after the common ones.")
    statements: dict[Slug, Wording] = Field(
        default_factory=dict,
        description="How this category states a common item ('{nilai}' is the value): a rumour's time is when it began"
        " to circulate, never 'Peristiwa tersebut terjadi' (review 4: that dated the event the text then denied).",
    )
    ralat_retracts: list[Slug] = Field(
        default_factory=list,
        description="Channels on which a ralat (correction) also takes the wrong post down where the API allows"
        " (WordPress: trash; X, Facebook: delete; Telegram: within 48 h). Elsewhere, and by default, the wrong post"
        " stays with the ralat replying to it or a notice on it: what was said stays on the record (WRITING.md).",
    )
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
    category_title_en: str = ""
    severity: Severity
    checklist: list[ChecklistItem]
    plan: SeverityPlan
    headline: Wording | None = None
    topic: Wording | None = None
    first_questions: list[str] = []
    actions: list[StandardAction] = Field(default_factory=list, description="Standard actions at this severity.")
    commitment: Wording | None = None
    misconduct: Misconduct | None = None
    hashtags: list[str] = []
    internal_details: list[str] = []
    count_qualifiers: dict[str, Wording] = {}
    source_titles_en: dict[str, str] = {}
    condolence: Condolence | None = None
    ralat_retracts: list[str] = Field(default_factory=list, description="Channels where a ralat retracts the wrong post.")

    def item(self, item_id: str) -> ChecklistItem | None:
        return next((i for i in self.checklist if i.id == item_id), None)
