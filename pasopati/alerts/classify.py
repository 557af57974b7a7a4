"""Classify monitoring alerts into crisis category, severity, unit and Kanwil — explainably.

The rules are data (``runbooks/classification.yaml``): entity forms, keywords with weights, severity
floors and the DOMAIN.md escalations. The order of work (the issue's fixes):

1. entities first (``pasopati.alerts.entities``): facility and Kanwil names in the original-case
   title + text are recognised, resolved through a ``UnitDirectory`` and masked, so that a name
   ("Lapas Narkotika", the city Serang) never scores as an event;
2. the remaining words are matched by their written form or their Sastrawi stem (bounded: cached,
   only tokens that can reach a rule word, a per-alert budget);
3. negation governs its whole coordinated phrase up to a clause boundary;
4. the EVENT decides the category; death words ("outcomes") only decide it when no event does,
   and raise the severity;
5. counts of people only count when they are harmed (kabur, tewas, luka …), never occupancy;
6. one thing is counted once: a term inside a longer matched term, synonyms (hp/ponsel), and the
   medium (video, unggahan, beredar: at most ``media_at_most``, so it never outweighs the event);
7. a crisis word the headline denies ("Bukan Kabur") stays denied where the lede repeats it.

Every rule that fires is reported as a human-readable reason. ``fingerprint``/``similarity`` support
near-duplicate detection across outlets.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple, TextIO
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from pasopati.alerts.entities import (
    Entities,
    EntityRules,
    FacilityMention,
    Recogniser,
    RosterDirectory,
    UnitCheck,
    UnitDirectory,
    kanwil_id,
    normalise,
    recognise,
)
from pasopati.alerts.models import Alert
from pasopati.plan.catalog import CatalogError, Problem, load_model, relative
from pasopati.plan.roster import Roster
from pasopati.plan.runbook import Severity, Slug, Strict
from pasopati.settings import get_settings

RULES_FILE = "classification.yaml"
Action = Literal["start", "watch", "ignore"]

# Tokenisation is code, not data: the words themselves all live in the rules file. Punctuation is
# kept as a token: "," may join a list under one negator, other marks end a clause.
TOKEN_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*|[,.;:!?()\[\]\"“”]")
COMMA, STOP = ",", "."
THOUSANDS_RE = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
# "Rp50 ribu" → "rp 50 ribu": the currency becomes its own token (a money mention is a rule word).
CURRENCY_RE = re.compile(r"\brp\.?\s?(?=\d)")
# Dates "(26/2)" and times "14.30" are never counts of people: "(9/3). Korban" is not "12 korban".
DATE_TIME_RE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}[.:]\d{2}\b(?!\.\d)")
HASHTAG_RE = re.compile(r"#\w+")
CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
STEM_CACHE_LIMIT = 200_000
VERBAL_PREFIXES = ("di", "me", "ter", "ber")


# --------------------------------------------------------------------------- rules schema


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

    _compiled: _Compiled | None = PrivateAttr(None)

    @field_validator("dampeners")
    @classmethod
    def _dampeners_lower(cls, dampeners: dict[str, float]) -> dict[str, float]:
        positive = sorted(term for term, weight in dampeners.items() if weight >= 0)
        if positive:
            raise ValueError(f"dampeners must have negative weights: {positive}")
        return dampeners


class RulesError(CatalogError):
    """The classification rules file is invalid."""

    title = "invalid classification rules"


def load_rules(path: Path | None = None) -> Rules:
    """Load and validate the rules, reporting every problem as ``file: field: reason``."""
    path = path or get_settings().runbooks_dir / RULES_FILE
    file = relative(path)
    problems: list[Problem] = []
    rules = load_model(path, Rules, problems)
    if rules is not None:
        problems += [Problem(file, field, reason) for field, reason in _compiled(rules).problems]
        problems += [
            Problem(file, f"categories.{cid}", f"no runbook {cid}.yaml next to {path.name}")
            for cid in rules.categories
            if not (path.parent / f"{cid}.yaml").is_file()
        ]
    if problems:
        raise RulesError(problems)
    assert rules is not None
    return rules


@lru_cache
def default_rules() -> Rules:
    """The shipped rules, loaded once per process (used when no ``Rules`` is passed)."""
    return load_rules()


# --------------------------------------------------------------------------- result


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


# --------------------------------------------------------------------------- compiled matcher


class Hit(NamedTuple):
    start: int
    end: int
    term: str
    payload: Any


@dataclass
class _Text:
    surface: list[str]
    forms: list[tuple[str, ...]]  # written, without -nya/-lah, Sastrawi stem: a term matches any of them
    stems: list[str]
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    negated: dict[int, str] = field(default_factory=dict)  # token position → the negator governing it
    entities: Entities = field(default_factory=Entities)
    counts: list[tuple[int, int, int]] | None = None  # harmed counts, computed once (see _counts)


class _SetDictionary:
    """Sastrawi's ArrayDictionary looks words up in a list (O(n) per lookup: the ~1 s per unknown
    word measured in pasopati/privacy/names.py); a set makes the same stemmer ~0.4 ms a word."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = frozenset(w for w in words if w.strip())

    def contains(self, word: str) -> bool:
        return word in self.words


@lru_cache(maxsize=1)
def _sastrawi_words() -> frozenset[str]:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return frozenset(w.strip() for w in StemmerFactory().get_words() if w.strip())


@dataclass(eq=False)
class _Compiled:
    """Everything precomputed from one ``Rules``: vocabulary, phrase index, stemmer, entity recogniser."""

    rules: Rules
    vocab: frozenset[str] = frozenset()
    gate: re.Pattern[str] | None = None
    stemmer: Any = None
    index: dict[str, list[tuple[tuple[str, ...], list[tuple[str, Any]]]]] = field(default_factory=dict)
    recogniser: Recogniser | None = None
    directories: dict[int, tuple[Roster, RosterDirectory]] = field(default_factory=dict)
    join_suffixes: frozenset[str] = frozenset()
    acronyms: frozenset[str] = frozenset()
    negators: frozenset[str] = frozenset()
    neg_skip: frozenset[str] = frozenset()
    coordinators: frozenset[str] = frozenset()
    clause_words: frozenset[str] = frozenset()
    stopwords: frozenset[str] = frozenset()
    stem_cache: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, dict[str, int]] = field(default_factory=dict)  # group → term → synonym set
    problems: list[tuple[str, str]] = field(default_factory=list)

    # ---- normalisation

    def words(self, text: str) -> list[str]:
        """Lower-case tokens with punctuation marks (',' or '.'); class words are left to entities."""
        if "#" in text:
            text = HASHTAG_RE.sub(lambda m: CAMEL_RE.sub(" ", m.group()), text)
        low = text.lower()
        low = THOUSANDS_RE.sub("", CURRENCY_RE.sub("rp ", DATE_TIME_RE.sub(" ", low)))
        out: list[str] = []
        for tok in TOKEN_RE.findall(low):
            if tok[0].isalnum():
                out.extend(self._dehyphen(tok) if "-" in tok else (tok,))
            else:
                out.append(COMMA if tok == COMMA else STOP)
        return out

    def analyse(self, text: str) -> _Text:
        surface = self.words(text)
        budget = [self.rules.morphology.max_stem_calls]
        if len(self.stem_cache) > STEM_CACHE_LIMIT:
            self.stem_cache.clear()
        forms = [self.forms(tok, budget) for tok in surface]
        stems = [f[-1] for f in forms]
        text_ = _Text(surface, forms, stems)
        text_.hits = self.match(forms)
        text_.negated = self._negations(text_)
        return text_

    def forms(self, tok: str, budget: list[int]) -> tuple[str, ...]:
        if not tok[0].isalnum():
            return (tok,)
        base = self._uninflect(tok)
        stem = self.stem_cache.get(tok)
        if stem is None:
            stem = self._stem(tok, base, budget)
        return tuple(dict.fromkeys((tok, base, stem)))

    def _uninflect(self, tok: str) -> str:
        for group in (self.rules.morphology.particles, self.rules.morphology.possessives):
            for s in group:
                if tok.endswith(s) and len(tok) - len(s) >= 2:
                    tok = tok[: -len(s)]
                    break
        return tok

    def _stem(self, tok: str, base: str, budget: list[int]) -> str:
        """Sastrawi's stem, only for a token that contains a rule word (or it minus a melted first
        letter: meny+uap → suap): no other stem can match a term. Cached; budgeted per alert."""
        if tok.isdigit() or self.gate is None or not self.gate.search(tok):
            stem = base
        elif budget[0] <= 0:
            return base  # over budget: the written form, not cached (another alert may stem it)
        else:
            budget[0] -= 1
            stem = self.stemmer.stem_word(tok) or base
            if stem == tok and tok.startswith("di") and self.stemmer.dictionary.contains(tok[2:]):
                stem = tok[2:]  # Sastrawi reads "diperas"/"diperiksa" as di-per-…: the root is after "di"
            if stem in self.acronyms and stem != base:
                stem = base
        self.stem_cache[tok] = stem
        return stem

    def _dehyphen(self, tok: str) -> list[str]:
        parts = tok.split("-")
        if len(parts) == 2:
            a, b = parts
            if b in self.join_suffixes:  # kabur-nya → kaburnya
                return [a + b]
            if a.startswith(b) or a.endswith(b) or b.startswith(a) or b.endswith(a):  # luka-luka, ciri-cirinya
                return [max(a, b, key=len)]
        return [p for p in parts if p]

    # ---- matching

    def match(self, forms: list[tuple[str, ...]]) -> dict[str, list[Hit]]:
        """All phrase hits by group; within a group the longest phrase at a position wins, no overlaps.
        A phrase token matches a text token's written form, its form without -nya, or its stem."""
        hits: dict[str, list[Hit]] = defaultdict(list)
        covered: dict[str, int] = {}
        index = self.index
        for i, keys in enumerate(forms):
            candidates = [c for k in keys for c in index.get(k, ())]
            if not candidates:
                continue
            if len(keys) > 1:
                candidates.sort(key=lambda c: -len(c[0]))
            for phrase, entries in candidates:
                n = len(phrase)
                if n > 1 and (i + n > len(forms) or any(phrase[j] not in forms[i + j] for j in range(1, n))):
                    continue
                for group, payload in entries:
                    if covered.get(group, 0) > i:
                        continue
                    covered[group] = i + n
                    hits[group].append(Hit(i, i + n, payload[0], payload[1]))
        return hits

    # ---- negation

    def negator(self, text: _Text, start: int) -> str | None:
        """The negation word right before ``start`` (skipping filler words), if any."""
        for j in range(start - 1, -1, -1):
            keys = text.forms[j]
            found = next((k for k in keys if k in self.negators), None)
            if found:
                return found
            if not any(k in self.neg_skip for k in keys):
                return None
        return None

    def _negations(self, text: _Text) -> dict[int, str]:
        """Positions governed by a negator: the first term after it, and every term of the same
        coordinated list ("tidak menemukan sel mewah maupun transaksi narkoba") up to a clause end."""
        spans = sorted({(h.start, h.end) for g, hs in text.hits.items() if g not in ("rel", "people") for h in hs})
        negated: dict[int, str] = {}
        reach: tuple[int, str] | None = None  # end of the last negated term, its negator
        for start, end in spans:
            neg = self.negator(text, start)
            if neg is None and reach is not None:
                if start < reach[0] or self._conjunct(text, reach[0], start):
                    neg = reach[1]
            if neg is None:
                if reach is None or start >= reach[0]:
                    reach = None
                continue
            negated.update((p, neg) for p in range(start, end))
            reach = (max(end, reach[0] if reach else 0), neg)
        return negated

    def _conjunct(self, text: _Text, after: int, start: int) -> bool:
        between = text.surface[after:start]
        if any(t == STOP or t in self.clause_words for t in between):
            return False
        joins = [t for t in between if t == COMMA or t in self.coordinators]
        return bool(joins) and len(between) - len(joins) <= self.rules.negation.conjunct_gap

    def fingerprint(self, stems: list[str]) -> frozenset[str]:
        words = [t for t in stems if t[0].isalnum() and t not in self.stopwords]
        k = self.rules.fingerprint.shingle
        if len(words) < k:
            return frozenset([" ".join(words)]) if words else frozenset()
        return frozenset(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def _compiled(rules: Rules) -> _Compiled:
    comp = rules._compiled
    if comp is None:
        comp = _compile(rules)
        rules._compiled = comp
    return comp


def _compile(rules: Rules) -> _Compiled:
    from Sastrawi.Stemmer.Stemmer import Stemmer

    m, neg = rules.morphology, rules.negation
    comp = _Compiled(rules=rules, join_suffixes=frozenset(m.particles + m.possessives))
    comp.acronyms = frozenset(w.lower() for w in m.acronyms)
    entries = list(_rule_terms(rules))
    phrases = [(f, term, tuple(comp.words(term)), group, payload) for f, term, group, payload in entries]
    comp.vocab = frozenset(t for _, _, phrase, _, _ in phrases for t in phrase if t[0].isalnum())
    roots = comp.vocab - comp.acronyms
    comp.stemmer = Stemmer(_SetDictionary(_sastrawi_words() | roots))
    cores = sorted({w[1:] if len(w) >= 4 else w for w in roots if not w.isdigit()}, key=len, reverse=True)
    comp.gate = re.compile("|".join(map(re.escape, cores))) if cores else None
    budget = [10**9]
    stems = lambda words: frozenset(comp.forms(t, budget)[-1] for w in words for t in comp.words(w))  # noqa: E731
    comp.negators = stems(neg.words) | frozenset(w.lower() for w in neg.words)
    comp.neg_skip = stems(neg.skip) | frozenset(t for w in neg.skip for t in comp.words(w))
    comp.coordinators = frozenset(t for w in neg.coordinators for t in comp.words(w))
    comp.clause_words = frozenset(t for w in neg.clause_words for t in comp.words(w))
    comp.stopwords = stems(rules.fingerprint.stopwords)
    index: dict[str, dict[tuple[str, ...], list[tuple[str, Any]]]] = defaultdict(dict)
    for fld, term, phrase, group, payload in phrases:
        if not phrase or not any(t[0].isalnum() for t in phrase):
            comp.problems.append((fld, f"{term!r} has no letters or digits to match"))
            continue
        index[phrase[0]].setdefault(phrase, []).append((group, (term, payload)))
    comp.index = {first: sorted(p.items(), key=lambda kv: -len(kv[0])) for first, p in index.items()}
    for cid, cat in rules.categories.items():
        for n, ring in enumerate(cat.synonyms):
            for term in ring:
                if term not in cat.terms:
                    comp.problems.append((f"categories.{cid}.synonyms", f"{term!r} is not one of the category's terms"))
                comp.synonyms.setdefault(f"cat:{cid}", {})[term] = n
    category_words = frozenset(
        t for _, _, phrase, g, _ in phrases if g.startswith(("cat:", "floor:", "out:", "media:")) for t in phrase
    )
    try:
        comp.recogniser = Recogniser(
            rules.entities, lambda w: _is_word(comp, w), category_words.__contains__, lambda w: _is_derived(comp, w)
        )
    except re.error as exc:
        comp.problems.append(("entities", f"not a valid regular expression: {exc}"))
    return comp


def _is_word(comp: _Compiled, word: str) -> bool:
    """An Indonesian word (or a derived one: "Pukuli", "Gagalkan"), not a place's proper noun."""
    return word in _sastrawi_words() or _is_derived(comp, word, suffix_i=True)


def _is_derived(comp: _Compiled, word: str, suffix_i: bool = False) -> bool:
    """A verb form in a title-case headline ("Dikeluhkan", "Temukan", "Mengamuk"): a verbal prefix or
    -kan around a dictionary root. Places that merely look affixed (Kediri, Bekasi, Tarakan) pass.
    ``suffix_i`` (only for a word after a place, "Cirebon Pukuli"): -i too — a first word "Bekasi" stays a place."""
    suffixes = ("kan", "i") if suffix_i else ("kan",)
    if len(word) < 5 or not (word.startswith(VERBAL_PREFIXES) or word.endswith(suffixes)):
        return False
    stem = comp.stem_cache.get(word) or comp.stemmer.stem_word(word)
    if stem == word or stem not in _sastrawi_words():
        return False
    return word.startswith(VERBAL_PREFIXES) or word in {f"{stem}{s}" for s in suffixes}


def _rule_terms(rules: Rules) -> Iterable[tuple[str, str, str, Any]]:
    """(field path, term, group, payload) for every phrase the matcher must find."""
    for term, weight in rules.relevance.terms.items():
        yield f"relevance.terms.{term}", term, "rel", weight
    for term, weight in rules.dampeners.items():
        yield f"dampeners.{term}", term, "damp", weight
    for term in rules.watch_only:
        yield "watch_only", term, "wonly", None
    for term in rules.watch_only_except:
        yield "watch_only_except", term, "wonly", "except"
    for noun in rules.numbers.people:
        yield "numbers.people", noun, "people", None
    for word in rules.numbers.harm:
        yield "numbers.harm", word, "harm", None
    for word in rules.numbers.occupancy:
        yield "numbers.occupancy", word, "occupancy", None
    for cid, cat in rules.categories.items():
        base = f"categories.{cid}"
        for term, weight in cat.terms.items():
            yield f"{base}.terms.{term}", term, f"cat:{cid}", weight
        for term, weight in cat.outcomes.items():
            yield f"{base}.outcomes.{term}", term, f"out:{cid}", weight
        for term, weight in cat.media.items():
            yield f"{base}.media.{term}", term, f"media:{cid}", weight
        for severity, terms in cat.floors.items():
            for term in terms:
                yield f"{base}.floors.{severity.value}", term, f"floor:{cid}", severity
        for i, rule in enumerate(cat.near):
            for side, terms in (("a", rule.first), ("b", rule.then), ("u", rule.unless)):
                for term in terms:
                    yield f"{base}.near[{i}]", term, f"near:{cid}:{i}:{side}", None
    esc = rules.severity.escalations
    for term in esc.kematian.terms:
        yield "severity.escalations.kematian.terms", term, "death", None
    for term in esc.cakupan.outlets:
        yield "severity.escalations.cakupan.outlets", term, "outlet", None
    for term in esc.cakupan.terms:
        yield "severity.escalations.cakupan.terms", term, "trend", None
    for term in esc.perhatian.terms:
        yield "severity.escalations.perhatian.terms", term, "attention", None
    for term in esc.berulang.terms:
        yield "severity.escalations.berulang.terms", term, "repeat", None


def _directory(comp: _Compiled, roster: Roster) -> RosterDirectory:
    """The roster as a ``UnitDirectory``, cached per roster object."""
    cached = comp.directories.get(id(roster))
    if cached is not None and cached[0] is roster:  # holding the roster keeps its id from being reused
        return cached[1]
    assert comp.recogniser is not None
    if len(comp.directories) > 16:  # a long-lived process reloading rosters must not grow without bound
        comp.directories.clear()
    comp.directories[id(roster)] = (roster, RosterDirectory(roster, comp.recogniser))
    return comp.directories[id(roster)][1]


# --------------------------------------------------------------------------- classification


@dataclass
class _Scores:
    scores: dict[str, float]
    reasons: list[str]


@dataclass
class _Place:
    unit: str | None = None
    facility: str | None = None
    kanwil: str | None = None
    unconfirmed: bool = False  # the sender's unit field, never named by the text: no runbook on it alone


def classify(
    alert: Alert,
    rules: Rules,
    roster: Roster,
    *,
    repeats_in_90_days: int = 0,
    directory: UnitDirectory | None = None,
) -> Classification:
    """Entities → relevance gate → category scores → action → severity (base, floors, escalations).

    ``directory`` resolves UPT mentions (default: the roster; later the gazetteer)."""
    comp = _compiled(rules)
    assert comp.recogniser is not None
    directory = directory or _directory(comp, roster)
    known = lambda place: directory.place_kanwil(place) is not None  # noqa: E731
    title, body = normalise(alert.title or ""), normalise(alert.text)
    entities = recognise(f"{title}. {body}" if title else body, comp.recogniser, known, _unit_check(directory), len(title))
    text = comp.analyse(entities.masked)
    text.entities = entities
    if title:
        _title_denials(comp, text, len(comp.words(entities.masked[: entities.masked_split])))
    reasons: list[str] = []
    place = _locate(comp, alert, entities, directory, reasons, len(title))
    relevant = _relevance(comp, text, place, reasons)
    result = dict(
        relevant=relevant,
        unit=place.unit,
        facility=place.facility,
        kanwil=place.kanwil,
        normalized_text=" ".join(t for t in text.stems if t[0].isalnum()),
        fingerprint=comp.fingerprint(text.stems),
    )
    if not relevant:
        return Classification(action="ignore", reasons=reasons, **result)

    scored = _category_scores(comp, text)
    reasons += scored.reasons
    order = list(rules.categories)
    top = max(order, key=lambda c: (scored.scores[c], -order.index(c)))
    score = scored.scores[top]
    action = _action(comp, text, score, place, reasons)
    if action == "start":
        action = _watch_only(comp, text, top, reasons)
    if action == "start":
        action = _low_reach(comp, alert, reasons)
    if action == "start" and place.unconfirmed:
        reasons.append(f"unit {place.unit} hanya dari kolom unit pengirim, tidak dari teks → watch (bukan runbook)")
        action = "watch"
    if action == "ignore":
        return Classification(action=action, score=score, reasons=reasons, **result)
    severity = None
    category = top if score >= rules.thresholds.watch else None
    # a crisis, or a watched concrete incident: its severity is known even when nobody is named
    if score >= rules.thresholds.start or (category is not None and _concrete(comp, text, top, reasons)):
        severity = _severity(comp, alert, text, top, repeats_in_90_days, reasons)
    return Classification(category=category, severity=severity, action=action, score=score, reasons=reasons, **result)


def _title_denials(comp: _Compiled, text: _Text, title_end: int) -> None:
    """A headline that denies a crisis word ("Bukan Kabur, …", "Tegaskan Tahanan Tidak Kabur") denies it for
    the whole alert: the lede repeats the claim it corrects ("meluruskan kabar bahwa seorang napi kabur").
    Only words of at least the start weight: "tidak dirujuk" is a complaint, not a denial."""
    if not comp.rules.negation.title_denies:
        return
    denied: dict[str, str] = {}
    start = comp.rules.thresholds.start
    for group, hits in text.hits.items():
        if group.startswith(("cat:", "out:")):  # a crisis word (weight ≥ start): "kabur", not "dirujuk"
            for h in hits:
                if h.payload >= start and h.start < title_end and h.start in text.negated:
                    denied.setdefault(h.term, text.negated[h.start])
    if not denied:
        return
    # a denied death ("Bantah Ada Tahanan Meninggal") denies every death word of the lede ("foto jenazah")
    death_denied = next((denied[h.term] for h in text.hits.get("death", ()) if h.term in denied), None)
    for group, hits in text.hits.items():
        if group.startswith(("cat:", "floor:", "out:")) or group == "death":
            for h in hits:
                if h.start >= title_end and h.start not in text.negated and (h.term in denied or (group == "death" and death_denied)):
                    denied.setdefault(h.term, death_denied or "")
                    for p in range(h.start, h.end):
                        text.negated[p] = f"{denied[h.term]} (judul)"


# --------------------------------------------------------------------------- where: unit and Kanwil


def _unit_check(directory: UnitDirectory) -> UnitCheck:
    """Whether the directory knows a unit of this type, qualifiers and place (a lower-case mention is read
    only then): its ``find``, or its ``by_alias`` of '<type> <qualifiers> <place>'."""

    def known(type_: str, qualifiers: tuple[str, ...], place: str) -> bool:
        if directory.find(type_, place, qualifiers) is not None:
            return True
        return directory.by_alias(" ".join((type_, *qualifiers, place))) is not None

    return known


def _locate(
    comp: _Compiled, alert: Alert, ents: Entities, directory: UnitDirectory, reasons: list[str], title_end: int = 0
) -> _Place:
    """The alert's own unit when the directory knows it; else a Kanwil-wide event (a region-wide
    phrase, or several UPTs of one Kanwil); else the most mentioned UPT; else a Kanwil named alone."""
    if alert.unit:
        own = _own_unit(comp, alert.unit, directory)
        if own is not None:
            named_units = {_resolve(f, directory)[0] for f in ents.facilities}
            if own.unit in named_units:
                reasons.append(f"unit dari alert '{alert.unit}' → {own.unit} (juga disebut dalam teks)")
            else:
                own.unconfirmed = True
                others = ", ".join(sorted(u for u in named_units if u)) or "tidak ada UPT"
                reasons.append(f"unit dari alert '{alert.unit}' → {own.unit}, tetapi teks tidak menyebutnya "
                               f"(teks: {others}) → belum terverifikasi")
            return own
        reasons.append(f"unit dari alert '{alert.unit}' tidak dikenal direktori")
    named = [k for k in ents.kanwil if not k.wide]
    # a unit whose Kanwil the directory does not know: the Kanwil named, or the one province named
    region = named[0].kanwil if named else kanwil_id(ents.provinces[0]) if len(ents.provinces) == 1 else None
    resolved = [(f, *_resolve(f, directory)) for f in ents.facilities]
    resolved = [(f, uid, kw or region) for f, uid, kw in resolved if uid]
    wide = next((k for k in ents.kanwil if k.wide), None)
    if wide is not None and wide.start >= title_end and any(f.start < title_end for f, _, _ in resolved):
        # the headline names one UPT and the region-wide phrase is only in the lede ("… se-Banten"): the UPT's story
        reasons.append(f"'{wide.written}' hanya di isi; judul menyebut UPT tertentu")
        wide = None
    elif wide is not None and wide.start < title_end and any(f.start < wide.start for f, _, _ in resolved):
        # the headline names a UPT first; "se-Kalbar" later in it qualifies something else ("Juara Lomba … Se-Kalbar")
        reasons.append(f"'{wide.written}' sesudah UPT yang disebut judul → cerita UPT itu")
        wide = None
    if wide is not None:
        reasons.append(f"seluruh wilayah: '{wide.written}' → {wide.kanwil}")
        return _Place(kanwil=wide.kanwil)
    by_kanwil: dict[str, set[str]] = defaultdict(set)
    for _, uid, kw in resolved:
        by_kanwil[kw or ""].add(uid)
    at_least = comp.rules.entities.kanwil_wide_at_least
    for kw, uids in by_kanwil.items():
        if kw and len(uids) >= at_least:
            reasons.append(f"{len(uids)} UPT satu Kanwil ({', '.join(sorted(uids))}) ≥ {at_least} → {kw}")
            return _Place(kanwil=kw)
    if resolved:
        counts = Counter(uid for _, uid, _ in resolved)
        first = {uid: n for n, (_, uid, _) in reversed(list(enumerate(resolved)))}
        # as often named: a unit the directory knows before a generic id (title "Rutan Singkil", lede
        # "Rutan Kelas IIB Singkel"; "Lapas Karanganyar" and "Lapas Khusus Kelas IIA Karanganyar")
        uid = max(counts, key=lambda u: (counts[u], directory.unit(u) is not None, -first[u]))
        mention, _, kw = resolved[first[uid]]
        known = "" if directory.unit(uid) else " (belum ada di direktori: id generik)"
        reasons.append(f"unit '{mention.written}' → {uid}{known}" + (f", {kw}" if kw else ""))
        return _Place(uid, mention.written, kw)
    if named:
        reasons.append(f"Kanwil '{named[0].written}' → {named[0].kanwil} (tanpa UPT tertentu)")
        return _Place(kanwil=named[0].kanwil)
    return _Place()


def _own_unit(comp: _Compiled, written: str, directory: UnitDirectory) -> _Place | None:
    entry = directory.by_alias(written)
    if entry is None:
        assert comp.recogniser is not None
        known = lambda place: directory.place_kanwil(place) is not None  # noqa: E731
        for mention in comp.recogniser.facilities(normalise(written), known, _unit_check(directory)):
            if mention.place and (entry := directory.find(mention.type, mention.place, mention.qualifiers, mention.class_)):
                break
    return _Place(entry.id, written, entry.kanwil) if entry is not None else None


def _resolve(mention: FacilityMention, directory: UnitDirectory) -> tuple[str | None, str | None]:
    """(unit id, Kanwil id) of one mention: the directory's entry, else the generic id."""
    entry = directory.by_alias(mention.written)
    if entry is None and mention.place:
        entry = directory.find(mention.type, mention.place, mention.qualifiers, mention.class_)
    if entry is not None:
        return entry.id, entry.kanwil
    where = directory.place_kanwil(mention.place) if mention.place else None
    return mention.generic_id, where[1] if where else None


# --------------------------------------------------------------------------- what: relevance, category, action


def _relevance(comp: _Compiled, text: _Text, place: _Place, reasons: list[str]) -> bool:
    """The gate: enough UPT/WBP/Ditjenpas words, or a unit/Kanwil named (a quake story without a lapas is not ours)."""
    seen: dict[str, float] = {}
    for hit in text.hits.get("rel", ()):
        seen.setdefault(hit.term, hit.payload)
    score = sum(seen.values())
    listed = ", ".join(f"'{t}' {w:+g}" for t, w in seen.items()) or "tidak ada kata UPT/WBP/Ditjenpas"
    minimum = comp.rules.relevance.min_score
    if score >= minimum:
        reasons.append(f"relevan: {listed} → {score:g} ≥ {minimum:g}")
        return True
    if place.unit is not None or place.kanwil is not None:
        reasons.append(f"relevan: menyebut {place.unit or place.kanwil} (skor kata {score:g})")
        return True
    reasons.append(f"tidak relevan: {listed} → {score:g} < {minimum:g}")
    return False


def _category_scores(comp: _Compiled, text: _Text) -> _Scores:
    """Per category: distinct event-term weights + proximity rules; outcome words (deaths) only where
    no other category has an event (the issue: a fire with many deaths is a fire); then dampeners."""
    rules = comp.rules
    scores: dict[str, float] = {}
    reasons: list[str] = []
    for cid, cat in rules.categories.items():
        scores[cid] = _term_score(comp, text, f"cat:{cid}", cid, reasons)
        for i, rule in enumerate(cat.near):
            if rule.weight and _near(text, f"near:{cid}:{i}", rule):
                scores[cid] += rule.weight
                reasons.append(f"pola '{rule.label}' → {cid} ({rule.weight:+g})")
    for cid, cat in rules.categories.items():
        if cat.media:
            scores[cid] += _media_score(comp, text, cid, cat, reasons)
    events = dict(scores)
    for cid, cat in rules.categories.items():
        if not cat.outcomes:
            continue
        other = max(((s, c) for c, s in events.items() if c != cid), default=(0.0, ""))
        if other[0] >= rules.thresholds.start:
            words = sorted({h.term for h in text.hits.get(f"out:{cid}", ()) if h.start not in text.negated})
            if words:
                reasons.append(f"{', '.join(repr(w) for w in words)}: akibat, bukan kejadian — kategori dari kejadian {other[1]}")
            continue
        scores[cid] += _term_score(comp, text, f"out:{cid}", cid, reasons)
    damp = _term_score(comp, text, "damp", "semua kategori", reasons, kind="konteks")
    if damp:
        scores = {c: s + damp for c, s in scores.items()}
    return _Scores(scores, reasons)


def _term_score(
    comp: _Compiled, text: _Text, group: str, target: str, reasons: list[str], kind: str = "kata", also: tuple[str, ...] = ()
) -> float:
    """Sum of distinct, non-negated terms in ``group``; one reason per term."""
    total = 0.0
    seen: set[str] = set()
    hits = text.hits.get(group, ())
    same = comp.synonyms.get(group, {})
    counted: dict[int, tuple[str, float]] = {}  # synonym set → (term, weight) counted for it
    # a term inside a longer matched term of the same group (or of ``also``) is the same thing said twice
    # ("banjir" and "banjir bandang", "beredar" and "beredar luas"): only the longer one counts (a 0/negative
    # phrase never hides)
    longer = {
        h.term: text.surface[h.start : h.end]
        for g in (group, *also) for h in text.hits.get(g, ())
        if h.end - h.start > 1 and h.payload > 0 and h.start not in text.negated
    }
    for hit in hits:
        if hit.term in seen:
            continue
        inside = next((t for t, words in longer.items() if t != hit.term and _inside(text.surface[hit.start : hit.end], words)), None)
        if inside and group != "damp":
            seen.add(hit.term)
            reasons.append(f"{kind} '{hit.term}' sudah dihitung dalam '{inside}'")
            continue
        written = " ".join(text.surface[hit.start : hit.end])
        shown = f"'{hit.term}'" if written == hit.term else f"'{hit.term}' ({written})"
        neg = text.negated.get(hit.start) if group != "damp" else None
        if neg:
            reasons.append(f"{kind} {shown} diabaikan: dalam jangkauan '{neg}'")
            continue
        seen.add(hit.term)
        ring = same.get(hit.term)
        if ring is not None and ring in counted:
            first, weight = counted[ring]
            if hit.payload <= weight:
                reasons.append(f"{kind} {shown}: sama dengan '{first}', dihitung sekali")
                continue
            total -= weight  # a heavier synonym replaces the lighter one
            reasons.append(f"{kind} '{first}': sama dengan '{hit.term}', dihitung sekali")
        if ring is not None:
            counted[ring] = (hit.term, hit.payload)
        total += hit.payload
        reasons.append(f"{kind} {shown} → {target} ({hit.payload:+g})")
    return total


def _media_score(comp: _Compiled, text: _Text, cid: str, cat: Category, reasons: list[str]) -> float:
    """The medium words' sum, at most ``media_at_most``: a video that is shared, uploaded and commented on
    is still one video, and never outweighs the event it shows (README: the event decides, not the medium)."""
    total = _term_score(comp, text, f"media:{cid}", cid, reasons, kind="wahana", also=(f"cat:{cid}",))
    if cat.media_at_most is not None and total > cat.media_at_most:
        reasons.append(f"wahana {total:+g} dibatasi {cat.media_at_most:+g} → {cid}")
        return cat.media_at_most
    return total


def _inside(part: list[str], whole: list[str]) -> bool:
    n = len(part)
    return n < len(whole) and any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def _near(text: _Text, group: str, rule: NearRule) -> bool:
    """A 'first' phrase followed, within ``rule.within`` tokens, by a 'then' phrase (or preceded, when
    ``either_order``), in the same sentence; never when one of its ``unless`` phrases is in the text."""
    firsts = text.hits.get(f"{group}:a", ())
    thens = text.hits.get(f"{group}:b", ())
    within = rule.within
    found = any(
        (0 <= b.start - a.end <= within or (rule.either_order and 0 <= a.start - b.end <= within and STOP not in text.surface[b.end:a.start]))
        and b.start not in text.negated
        for a in firsts for b in thens
    )
    if found and rule.unless:
        return not any(h.start not in text.negated for h in text.hits.get(f"{group}:u", ()))
    return found


def _action(comp: _Compiled, text: _Text, score: float, place: _Place, reasons: list[str]) -> Action:
    """start ≥ thresholds.start with a unit or Kanwil named; watch ≥ thresholds.watch or DPR/death
    mentioned; else ignore."""
    t = comp.rules.thresholds
    if score >= t.start:
        if t.start_requires_facility and place.unit is None and place.kanwil is None:
            reasons.append(f"skor {score:g} ≥ {t.start:g}, tetapi tidak ada UPT atau Kanwil yang disebut → watch")
            return "watch"
        reasons.append(f"skor {score:g} ≥ {t.start:g} → start")
        return "start"
    if score >= t.watch:
        reasons.append(f"skor {score:g} < {t.start:g} → watch")
        return "watch"
    mentioned = [h for g in ("attention", "death") for h in text.hits.get(g, ())]
    signal = next((h.term for h in mentioned if h.start not in text.negated), None)
    if signal:
        reasons.append(f"skor {score:g} < {t.watch:g}, tetapi '{signal}' disebut → watch")
        return "watch"
    reasons.append(f"tidak ada sinyal krisis (skor {score:g} < {t.watch:g}) → ignore")
    return "ignore"


def _concrete(comp: _Compiled, text: _Text, cid: str, reasons: list[str]) -> bool:
    """A watched alert names a concrete incident (then it gets a severity): one event word of its category
    weighs at least ``thresholds.incident``; weak context words alone ('musim hujan') are no incident."""
    at_least = comp.rules.thresholds.incident
    if at_least is None:
        return False
    word = next((h.term for h in text.hits.get(f"cat:{cid}", ()) if h.payload >= at_least and h.start not in text.negated), None)
    if word is None:
        return False
    reasons.append(f"watch dengan kejadian konkret '{word}' (bobot ≥ {at_least:g}) → tingkat dihitung")
    return True


def _low_reach(comp: _Compiled, alert: Alert, reasons: list[str]) -> Action:
    """An unverified social post seen by few people is watched: the runbook starts on a report or on a post
    with substantial reach (README: eyewitness posts with reach)."""
    t = comp.rules.thresholds
    platform = (alert.platform or "").lower()
    if t.social_start_reach_at_least and platform in t.social_platforms and alert.reach is not None:
        if alert.reach < t.social_start_reach_at_least:
            reasons.append(f"unggahan {platform} dengan reach {alert.reach} < {t.social_start_reach_at_least} → watch (belum terverifikasi)")
            return "watch"
    return "start"


def _watch_only(comp: _Compiled, text: _Text, cid: str, reasons: list[str]) -> Action:
    """A crisis-level score whose pattern the rules mark watch-only (contraband caught by the unit's own
    checks) or a watch-only context: the runbook does not start, the severity is still given."""
    context = next((h.term for h in text.hits.get("wonly", ()) if h.start not in text.negated and h.payload != "except"), None)
    if context:
        reasons.append(f"konteks '{context}' → watch (bukan runbook)")
        return "watch"
    for i, rule in enumerate(comp.rules.categories[cid].near):
        if rule.watch_only and _near(text, f"near:{cid}:{i}", rule):
            reasons.append(f"pola '{rule.label}' → watch (bukan runbook)")
            return "watch"
    return "start"


# --------------------------------------------------------------------------- severity


def _severity(comp: _Compiled, alert: Alert, text: _Text, cid: str, repeats: int, reasons: list[str]) -> str:
    base = _base_severity(comp, alert, text, cid, reasons)
    steps = _escalations(comp, alert, text, repeats, reasons, cid)
    final = list(Severity)[min(base.rank + steps, Severity.LUAR_BIASA.rank)]
    reasons.append(f"tingkat: dasar {base.value} + {steps} eskalasi → {final.value}")
    return final.value


def _base_severity(comp: _Compiled, alert: Alert, text: _Text, cid: str, reasons: list[str]) -> Severity:
    rules = comp.rules
    cat = rules.categories[cid]
    base = cat.base
    candidates: list[tuple[Severity, str]] = []
    platform = (alert.platform or "").lower()
    if cat.reported_floor and platform in rules.severity.reported_platforms:
        candidates.append((cat.reported_floor, f"platform '{platform}' (diberitakan media)"))
    viral = rules.severity.viral_floor
    if viral and (alert.reach or 0) >= viral.reach_at_least:
        candidates.append((viral.severity, f"reach {alert.reach} ≥ {viral.reach_at_least} (viral daerah)"))
    for hit in text.hits.get(f"floor:{cid}", ()):
        if hit.start not in text.negated:
            candidates.append((hit.payload, f"'{hit.term}'"))
    for i, rule in enumerate(cat.near):
        if rule.severity and _near(text, f"near:{cid}:{i}", rule):
            candidates.append((rule.severity, f"pola '{rule.label}'"))
    if cat.people_floors:
        count = max((n for _, n in _people_counts(comp, text)), default=0)
        for floor in cat.people_floors:
            if count >= floor.at_least:
                candidates.append((floor.severity, f"{count} orang terdampak ≥ {floor.at_least}"))
    for severity, why in candidates:
        if severity.rank > base.rank:
            base = severity
            reasons.append(f"dasar: {why} → {severity.value}")
    for i, rule in enumerate(cat.near):
        if rule.cap and base.rank > rule.cap.rank and _near(text, f"near:{cid}:{i}", rule):
            base = rule.cap
            reasons.append(f"dasar: pola '{rule.label}' → paling tinggi {rule.cap.value}")
    return base


def _escalations(comp: _Compiled, alert: Alert, text: _Text, repeats: int, reasons: list[str], cid: str | None = None) -> int:
    """One step per DOMAIN.md escalation that fires (deaths may add a second for several victims)."""
    esc = comp.rules.severity.escalations
    steps = 0
    deaths = [h for h in text.hits.get("death", ()) if h.start not in text.negated]
    if deaths:
        steps += 1
        reasons.append(f"{deaths[0].term} → eskalasi +1 ({esc.kematian.label})")
        victims = _death_count(comp, text, deaths)
        if esc.kematian.multiple_at_least and victims >= esc.kematian.multiple_at_least:
            steps += 1
            at_least = esc.kematian.multiple_at_least
            reasons.append(f"{victims} korban jiwa ≥ {at_least} → eskalasi +1 ({esc.kematian.multiple_label})")
    rules = comp.rules
    reported = (
        cid is not None
        and rules.categories[cid].reported_floor is not None
        and (alert.platform or "").lower() in rules.severity.reported_platforms
    )
    by_source = esc.cakupan.source_over_reported_floor or not reported
    if not by_source:
        reasons.append("sumber berita sudah dihitung di dasar (platform berita) → domain sumber bukan eskalasi")
    coverage = _coverage_signals(comp, alert, text, by_source)
    if coverage:
        steps += 1
        reasons.append(f"{'; '.join(coverage)} → eskalasi +1 ({esc.cakupan.label})")
    attention = sorted({h.term for h in text.hits.get("attention", ())})
    if attention:
        steps += 1
        reasons.append(f"{', '.join(attention)} → eskalasi +1 ({esc.perhatian.label})")
    said = next((h.term for h in text.hits.get("repeat", ()) if h.start not in text.negated), None)
    if repeats >= esc.berulang.repeats_at_least:
        steps += 1
        reasons.append(f"{repeats} kejadian sebelumnya di unit ini dalam 90 hari → eskalasi +1 ({esc.berulang.label})")
    elif said:
        steps += 1
        reasons.append(f"'{said}' (teks menyebut kejadian berulang) → eskalasi +1 ({esc.berulang.label})")
    return steps


def _coverage_signals(comp: _Compiled, alert: Alert, text: _Text, by_source: bool = True) -> list[str]:
    cov = comp.rules.severity.escalations.cakupan
    signals: list[str] = []
    source_host = _source_host(alert.source)
    hosts = (("url", _host(str(alert.url)) if alert.url else None), ("sumber", source_host)) if by_source else ()
    for where, host in hosts:
        domain = _national_domain(host, cov) if host else None
        if domain:
            signals.append(f"media nasional {domain} ({where})")
            break
    else:
        # a source written as a name ("Kompas TV"), not a host: match outlet names
        names = comp.analyse(alert.source).hits.get("outlet", ()) if by_source and alert.source and not source_host else ()
        if names:
            signals.append(f"media nasional '{names[0].term}' (sumber)")
    outlets = sorted({h.term for h in text.hits.get("outlet", ())})
    if outlets:
        signals.append(f"media nasional {', '.join(repr(o) for o in outlets)} (teks)")
    trends = sorted({h.term for h in text.hits.get("trend", ())})
    if trends:
        signals.append(", ".join(f"'{t}'" for t in trends))
    if (alert.reach or 0) >= cov.reach_at_least:
        signals.append(f"reach {alert.reach} ≥ {cov.reach_at_least} → viral")
    if (alert.engagement or 0) >= cov.engagement_at_least:
        signals.append(f"engagement {alert.engagement} ≥ {cov.engagement_at_least} → viral")
    return signals


def _host(url: str) -> str | None:
    return (urlsplit(url).hostname or "").lower() or None


def _source_host(source: str | None) -> str | None:
    """A source written as a domain ('kompas.com', 'news.detik.com') is matched like a URL host."""
    if not source or " " in source.strip() or "." not in source:
        return None
    return _host(source if "//" in source else f"//{source.strip()}")


def _national_domain(host: str, cov: CoverageEscalation) -> str | None:
    for domain in cov.national_domains:
        if domain in cov.exact_domains:
            if host in (domain, f"www.{domain}"):
                return domain
        elif host == domain or host.endswith(f".{domain}"):
            return domain
    return None


def _people_counts(comp: _Compiled, text: _Text) -> list[tuple[int, int]]:
    """(position, number) of people HARMED: a number directly before a people noun ('27 narapidana',
    'puluhan WBP') in the same clause as a harm word (kabur, tewas, luka …) and not right after an
    occupancy word (the issue: '300 warga binaan dipindahkan', 'dihuni 1.200 warga binaan')."""
    return [(pos, n) for pos, _, n in _counts(comp, text)]


def _counts(comp: _Compiled, text: _Text) -> list[tuple[int, int, int]]:
    """(noun start, noun end, number) of every harmed count (see ``_people_counts``); once per text, and
    only the harm words within ``harm_window`` of a count are looked at (a 50 000-character text has hundreds)."""
    if text.counts is not None:
        return text.counts
    nums = comp.rules.numbers
    harm = sorted((h for h in text.hits.get("harm", ()) if h.start not in text.negated), key=lambda h: h.start)
    starts = [h.start for h in harm]
    occupancy = [h.end for h in text.hits.get("occupancy", ())]
    counts = []
    for hit in text.hits.get("people", ()):
        j = hit.start
        while j > 0 and hit.start - j < 4 and _is_number(text.surface[j - 1], nums):
            j -= 1
            if text.surface[j].isdigit():  # "30 orang": a digit group is complete on its own
                break
        if j == hit.start or any(0 <= j - end <= 2 for end in occupancy):
            continue
        # the harm word is in the count's own clause: "50 napi terlibat, satu tewas" — the 50 are not harmed
        near = harm[bisect_left(starts, hit.start - nums.harm_window) : bisect_right(starts, hit.start + nums.harm_window)]
        if not any(
            _same_clause(text, hit.start, h.start, nums.harm_window) and _one_clause(comp, text, hit.start, hit.end, h)
            for h in near
        ):
            continue
        value = _number_value(text.surface[j : hit.start], nums)
        if value:
            counts.append((hit.start, hit.end, value))
    text.counts = counts
    return counts


def _same_clause(text: _Text, a: int, b: int, window: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return hi - lo <= window and STOP not in text.surface[lo:hi]


def _is_number(tok: str, nums: Numbers) -> bool:
    return tok.isdigit() or tok in nums.words or tok in nums.multipliers or tok == nums.teen


def _number_value(tokens: list[str], nums: Numbers) -> int:
    """Indonesian number words and digits: 'dua puluh tiga' → 23, 'dua belas' → 12, '30' → 30."""
    total, current = 0, 0
    for tok in tokens:
        if tok.isdigit():
            current += int(tok)
        elif tok in nums.words:
            current += nums.words[tok]
        elif tok == nums.teen:
            current += 10
        elif tok in nums.multipliers:
            factor = nums.multipliers[tok]
            if factor >= 1000:
                total += (current or 1) * factor
                current = 0
            else:
                current = (current or 1) * factor
    return total + current


def _death_count(comp: _Compiled, text: _Text, deaths: list[Hit]) -> int:
    """The number of dead: for each death word, the nearest count that BELONGS to it — the nearest harm
    word to that count is this death word, in the same clause (no ',' '.' or clause word between), within
    ``near_death_window``. "30 warga binaan dirawat, satu meninggal" is one death (30 belongs to
    'dirawat'); a death word without its own count ("satu meninggal", "seorang napi tewas") is one."""
    window = comp.rules.numbers.near_death_window
    harm = sorted((h for h in text.hits.get("harm", ()) if h.start not in text.negated), key=lambda h: h.start)
    starts = [h.start for h in harm]
    counts = _counts(comp, text)
    count_starts = [c[0] for c in counts]
    victims = 1
    for death in deaths:
        best: tuple[int, int] | None = None  # (distance, number)
        lo = bisect_left(count_starts, death.start - window - 4)
        hi = bisect_right(count_starts, death.end + window)
        for start, end, n in counts[lo:hi]:
            if death.start < end and start < death.end:  # the noun is part of the death phrase: "korban jiwa"
                best = min(best or (0, n), (0, n), key=lambda d: (d[0], -d[1]))
                continue
            gap = _gap(start, end, death)
            if gap > window or not _one_clause(comp, text, start, end, death):
                continue
            near = harm[bisect_left(starts, start - window - 2) : bisect_right(starts, end + window)]
            others = [h for h in near if not (h.start < end and start < h.end)]
            nearest = min(others, key=lambda h: (_gap(start, end, h), h.start != death.start), default=None)
            if nearest is None or nearest.start != death.start:
                continue  # the count belongs to another harm word ("30 dirawat")
            if best is None or gap < best[0]:
                best = (gap, n)
        if best is not None:
            victims = max(victims, best[1])
    return victims


def _gap(start: int, end: int, hit: Hit) -> int:
    return hit.start - end if hit.start >= end else start - hit.end if hit.end <= start else 0


def _one_clause(comp: _Compiled, text: _Text, start: int, end: int, hit: Hit) -> bool:
    lo, hi = (end, hit.start) if hit.start >= end else (hit.end, start)
    between = text.surface[lo:hi]
    return not any(t in (STOP, COMMA) or t in comp.clause_words for t in between)


# --------------------------------------------------------------------------- near-duplicates


def fingerprint(text: str, rules: Rules | None = None) -> frozenset[str]:
    """Normalised word shingles (stems, stopwords dropped) for near-duplicate detection."""
    comp = _compiled(rules or default_rules())
    return comp.fingerprint(comp.analyse(text).stems)


def similarity(a: frozenset[str] | str, b: frozenset[str] | str) -> float:
    """Jaccard similarity of two fingerprints (texts are fingerprinted first); 0.0 when both are empty."""
    fa = fingerprint(a) if isinstance(a, str) else a
    fb = fingerprint(b) if isinstance(b, str) else b
    union = len(fa | fb)
    return len(fa & fb) / union if union else 0.0


# --------------------------------------------------------------------------- streams


def classify_stream(lines: Iterable[str], out: TextIO, rules: Rules, roster: Roster, directory: UnitDirectory | None = None) -> int:
    """Classify JSON lines (Alert fields, ``text`` required) into JSON lines; returns the number of
    invalid lines. An invalid line yields ``{"error": …, "line": n}`` and processing continues;
    blank lines are skipped. ``directory``: as ``classify`` (the CLI passes the gazetteer, as intake)."""
    errors = 0
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            alert = _parse_alert(line)
        except ValueError as exc:
            errors += 1
            out.write(json.dumps({"error": str(exc), "line": n}, ensure_ascii=False) + "\n")
            continue
        result = classify(alert, rules, roster, directory=directory)
        record = {"line": n, **result.model_dump(include=STREAM_FIELDS)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return errors


STREAM_FIELDS = {"relevant", "category", "severity", "unit", "kanwil", "action", "score", "reasons"}


def _parse_alert(line: str) -> Alert:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object with a 'text' field, got {type(data).__name__}")
    try:
        return Alert.model_validate(data)
    except ValidationError as exc:
        problems = (f"{'.'.join(map(str, e['loc'])) or '(object)'}: {e['msg']}" for e in exc.errors())
        raise ValueError("; ".join(problems)) from None
