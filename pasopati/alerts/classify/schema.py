"""The schema of the rules file (``runbooks/classification.yaml``): thresholds, morphology, negation, numbers,
relevance, categories with their near rules and floors, severity escalations, fingerprints.

Validation of each field only; ``loading`` reads the file and checks every phrase through the matcher."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from pasopati.alerts.entities import EntityRules
from pasopati.plan.runbook import Severity, Slug, Strict


class Thresholds(Strict):
    watch: float = Field(gt=0, description="Top category score from which a relevant alert is watched.")
    start: float = Field(gt=0, description="Top category score from which a runbook starts (a crisis).")
    start_requires_facility: bool = Field(True, description="Start only when a UPT or a Kanwil is named.")
    incident: float | None = Field(
        None, gt=0, description="A watched alert with an event word of at least this weight is a concrete incident: it gets a severity.")
    social_platforms: list[str] = Field([], description="Platforms whose posts are eyewitness accounts, not reports.")
    social_start_reach_at_least: int | None = Field(
        None, ge=1, description="A post on a social platform with a known reach below this is watched, not started.")

    @model_validator(mode="after")
    def _start_above_watch(self) -> Thresholds:
        if self.start <= self.watch:
            raise ValueError(f"start ({self.start}) must be above watch ({self.watch})")
        return self


class Morphology(Strict):
    """Sastrawi does the stemming; these bound it and cover what it does not."""

    particles: list[str]
    possessives: list[str]
    acronyms: list[str] = Field([], description="Matched only as written (+ -nya): 'memaparkan' is never 'apar'.")
    whole_words: list[str] = Field(
        [], description="Words never reached by stemming a derived word: 'aman' is not 'diamankan' (arrested/seized).")
    max_stem_calls: int = Field(2000, ge=0, description="Sastrawi calls (cache misses) per alert; then the written form.")


class Negation(Strict):
    words: list[str] = Field(min_length=1)
    skip: list[str] = []
    coordinators: list[str] = Field([], description="Join a list under one negator ('maupun', 'dan'; ',' always does).")
    clause_words: list[str] = Field([], description="End a negator's reach like a full stop ('namun', 'tetapi').")
    conjunct_gap: int = Field(3, ge=0, description="Other words allowed in a coordinated item before its term.")
    title_denies: bool = Field(False, description="A term the headline negates ('Bukan Kabur') is negated wherever the lede repeats it.")


class Numbers(Strict):
    words: dict[str, int]
    multipliers: dict[str, int]
    teen: str
    people: list[str] = Field(min_length=1)
    near_death_window: int = Field(5, ge=1)
    harm: list[str] = Field(min_length=1, description="A count is of people affected only near one of these.")
    harm_window: int = Field(6, ge=1)
    occupancy: list[str] = Field([], description="A count right after these is a headcount or capacity.")


class Relevance(Strict):
    min_score: float = Field(gt=0)
    terms: dict[str, float] = Field(min_length=1)


class NearRule(Strict):
    """A 'first' phrase followed closely by a 'then' phrase: adds a weight and/or sets a severity floor."""

    label: str
    first: list[str] = Field(min_length=1)
    then: list[str] = Field(min_length=1)
    within: int = Field(4, ge=1, le=12, description="At most this many tokens between the two parts.")
    weight: float = 0
    severity: Severity | None = None
    watch_only: bool = Field(False, description="When it fires for the winning category, a start becomes watch (severity kept).")
    either_order: bool = Field(False, description="The 'then' phrase may also come before the 'first' one ('sabu disita' = 'sita sabu').")
    unless: list[str] = Field([], description="The rule does not fire when one of these is in the text (not negated): 'diambil napi'.")
    cap: Severity | None = Field(None, description="When it fires for the winning category, the base severity is at most this (escalations still count).")


class PeopleFloor(Strict):
    at_least: int = Field(ge=1)
    severity: Severity
    harm: list[str] = Field([], description="Only counts of people harmed in these ways (numbers.harm words); empty = any harm.")


class Category(Strict):
    title: str
    terms: dict[str, float] = Field(min_length=1)
    outcomes: dict[str, float] = Field({}, description="Consequences (deaths): decide the category only when no event does.")
    media: dict[str, float] = Field(
        {}, description="The medium (video, unggahan, beredar): summed like terms, but at most media_at_most.")
    media_at_most: float | None = Field(None, description="The medium words together never weigh more than this.")
    synonyms: list[list[str]] = Field(
        [], description="Terms naming the same thing (hp, ponsel, handphone): together they count once, the largest weight.")
    near: list[NearRule] = []
    base: Severity = Severity.RINGAN
    floors: dict[Severity, list[str]] = {}
    reported_floor: Severity | None = Field(None, description="Minimum when the platform is a news medium.")
    people_floors: list[PeopleFloor] = Field([], description="Minimum by the number of people harmed.")


class ViralFloor(Strict):
    reach_at_least: int = Field(ge=1)
    severity: Severity


class DeathEscalation(Strict):
    label: str
    terms: list[str] = Field(min_length=1)
    multiple_at_least: int | None = Field(2, ge=2)
    multiple_label: str = "korban jiwa lebih dari satu"


class CoverageEscalation(Strict):
    label: str
    outlets: list[str]
    national_domains: list[str]
    exact_domains: list[str] = []
    terms: list[str] = []
    reach_at_least: int = Field(ge=1)
    engagement_at_least: int = Field(ge=1)
    source_over_reported_floor: bool = Field(
        True, description="A national outlet as the alert's own url/source also escalates a category whose reported_floor already counts the media.")


class AttentionEscalation(Strict):
    label: str
    terms: list[str] = Field(min_length=1)


class RepeatEscalation(Strict):
    label: str
    repeats_at_least: int = Field(1, ge=1)
    terms: list[str] = Field([], description="The text itself says it happened again at the unit ('kedua kalinya').")


class Escalations(Strict):
    kematian: DeathEscalation
    cakupan: CoverageEscalation
    perhatian: AttentionEscalation
    berulang: RepeatEscalation


class SeverityRules(Strict):
    reported_platforms: list[str] = []
    viral_floor: ViralFloor | None = None
    escalations: Escalations


class FingerprintRules(Strict):
    shingle: int = Field(2, ge=1, le=5)
    stopwords: list[str] = []


class Rules(Strict):
    """The whole ``classification.yaml``; compiled once (lazily) per object for speed."""

    version: Literal[1]
    thresholds: Thresholds
    morphology: Morphology
    negation: Negation
    numbers: Numbers
    relevance: Relevance
    entities: EntityRules
    dampeners: dict[str, float] = {}
    watch_only: list[str] = Field([], description="Contexts in which a crisis-level score is watched, not started (court follow-ups, unverified questions).")
    watch_only_except: list[str] = Field([], description="Longer phrases that are no such context: 'ruang sidang virtual' (an online hearing inside the unit).")
    categories: dict[Slug, Category] = Field(min_length=1)
    severity: SeverityRules
    fingerprint: FingerprintRules = FingerprintRules()

    # The matcher's CompiledRules (``matcher.compiled`` is its one typed accessor); typed Any here so that the
    # schema never imports the matcher, which imports the schema.
    _compiled: Any = PrivateAttr(None)

    @field_validator("dampeners")
    @classmethod
    def _dampeners_lower(cls, dampeners: dict[str, float]) -> dict[str, float]:
        positive = sorted(term for term, weight in dampeners.items() if weight >= 0)
        if positive:
            raise ValueError(f"dampeners must have negative weights: {positive}")
        return dampeners
