"""Classify monitoring alerts into crisis category, severity and unit — explainably.

The rules are data (``runbooks/classification.yaml``): keywords with weights, a small explicit
stemmer for Indonesian affixes, severity floors and the DOMAIN.md escalations. Every rule that
fires is reported as a human-readable reason, so an analyst can see why an alert did (or did not)
start a runbook. ``fingerprint``/``similarity`` support near-duplicate detection across outlets.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
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

from pasopati.alerts.models import Alert
from pasopati.plan.catalog import CatalogError, Problem, load_model, relative
from pasopati.plan.roster import Roster, Unit, UnitType
from pasopati.plan.runbook import Regex, Severity, Slug, Strict
from pasopati.settings import get_settings

RULES_FILE = "classification.yaml"
Action = Literal["start", "watch", "ignore"]

# Tokenisation is code, not data: the words themselves all live in the rules file.
TOKEN_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
THOUSANDS_RE = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
# "Rp50 ribu" → "rp 50 ribu": the currency becomes its own token (a money mention is a rule word).
CURRENCY_RE = re.compile(r"\brp\.?\s?(?=\d)")
# Dates "(26/2)" and times "14.30" are never counts of people: "(9/3). Korban" is not "12 korban".
DATE_TIME_RE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}[.:]\d{2}\b(?!\.\d)")
HASHTAG_RE = re.compile(r"#\w+")
CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
STEM_CACHE_LIMIT = 200_000


# --------------------------------------------------------------------------- rules schema


class Thresholds(Strict):
    watch: float = Field(gt=0, description="Top category score from which a relevant alert is watched.")
    start: float = Field(gt=0, description="Top category score from which a runbook starts.")
    start_requires_facility: bool = Field(True, description="Start only when a specific UPT is named.")

    @model_validator(mode="after")
    def _start_above_watch(self) -> Thresholds:
        if self.start <= self.watch:
            raise ValueError(f"start ({self.start}) must be above watch ({self.watch})")
        return self


class Morphology(Strict):
    particles: list[str]
    possessives: list[str]
    suffixes: list[str]
    prefixes: dict[str, list[str]] = Field(description="Prefix → replacements for a melted initial ('' = none).")
    second_prefixes: list[str] = []
    no_affix: list[str] = Field([], description="Acronyms never reached by stripping derivational affixes.")
    min_stem: int = Field(3, ge=2)
    class_pattern: Regex


class Negation(Strict):
    words: list[str] = Field(min_length=1)
    skip: list[str] = []


class Numbers(Strict):
    words: dict[str, int]
    multipliers: dict[str, int]
    teen: str
    people: list[str] = Field(min_length=1)
    near_death_window: int = Field(5, ge=1)


class Relevance(Strict):
    min_score: float = Field(gt=0)
    terms: dict[str, float] = Field(min_length=1)


class Units(Strict):
    type_words: dict[UnitType, list[str]]
    facility_pattern: Regex


class NearRule(Strict):
    """A 'first' phrase followed closely by a 'then' phrase: adds a weight and/or sets a severity floor."""

    label: str
    first: list[str] = Field(min_length=1)
    then: list[str] = Field(min_length=1)
    within: int = Field(4, ge=1, le=12, description="At most this many tokens between the two parts.")
    weight: float = 0
    severity: Severity | None = None


class PeopleFloor(Strict):
    at_least: int = Field(ge=1)
    severity: Severity


class Category(Strict):
    title: str
    terms: dict[str, float] = Field(min_length=1)
    near: list[NearRule] = []
    base: Severity = Severity.RINGAN
    floors: dict[Severity, list[str]] = {}
    reported_floor: Severity | None = Field(None, description="Minimum when the platform is a news medium.")
    people_floor: PeopleFloor | None = None


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


class AttentionEscalation(Strict):
    label: str
    terms: list[str] = Field(min_length=1)


class RepeatEscalation(Strict):
    label: str
    repeats_at_least: int = Field(1, ge=1)


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
    units: Units
    dampeners: dict[str, float] = {}
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
    severity: str | None = Field(None, description="A Severity value; None unless action is 'start'.")
    action: Action
    unit: str | None = Field(None, description="Roster unit id.")
    facility: str | None = Field(None, description="Named UPT as written, also when not in the roster.")
    score: float = 0.0
    reasons: list[str] = []
    normalized_text: str = ""
    fingerprint: frozenset[str] = Field(frozenset(), exclude=True)


# --------------------------------------------------------------------------- compiled matcher


UnitIndex = dict[str, list[tuple[tuple[str, ...], str]]]


class Hit(NamedTuple):
    start: int
    end: int
    term: str
    payload: Any


class _Text(NamedTuple):
    surface: list[str]
    stems: list[str]
    hits: dict[str, list[Hit]]


@dataclass(eq=False)
class _Compiled:
    """Everything precomputed from one ``Rules``: vocabulary, phrase index, regexes, unit forms."""

    rules: Rules
    class_re: re.Pattern[str]
    facility_re: re.Pattern[str]
    vocab: frozenset[str]
    derived_vocab: frozenset[str]
    prefixes: list[tuple[str, list[str]]]
    index: dict[str, list[tuple[tuple[str, ...], list[tuple[str, Any]]]]]
    unit_indexes: dict[int, tuple[Roster, UnitIndex]]
    join_suffixes: frozenset[str]
    negators: frozenset[str]
    neg_skip: frozenset[str]
    stopwords: frozenset[str]
    stem_cache: dict[str, str]
    problems: list[tuple[str, str]]

    # ---- normalisation

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """Surface tokens (lower case, class words removed) and their stems."""
        if "#" in text:
            text = HASHTAG_RE.sub(lambda m: CAMEL_RE.sub(" ", m.group()), text)
        low = self.class_re.sub(" ", text.lower())
        low = THOUSANDS_RE.sub("", CURRENCY_RE.sub("rp ", DATE_TIME_RE.sub(" ", low)))
        surface: list[str] = []
        for tok in TOKEN_RE.findall(low):
            if "-" in tok:
                surface.extend(self._dehyphen(tok))
            else:
                surface.append(tok)
        cache = self.stem_cache
        if len(cache) > STEM_CACHE_LIMIT:
            cache.clear()
        stems = [cache.get(t) or self._stem_miss(t) for t in surface]
        return surface, stems

    def _dehyphen(self, tok: str) -> list[str]:
        parts = tok.split("-")
        if len(parts) == 2:
            a, b = parts
            if b in self.join_suffixes:  # kabur-nya → kaburnya
                return [a + b]
            if a.startswith(b) or a.endswith(b) or b.startswith(a) or b.endswith(a):  # luka-luka, ciri-cirinya
                return [max(a, b, key=len)]
        return [p for p in parts if p]

    def _stem_miss(self, tok: str) -> str:
        targets = (self.vocab, self.derived_vocab)
        stem = next((c for c, derived in self._candidates(tok) if c in targets[derived]), tok)
        self.stem_cache[tok] = stem
        return stem

    def _candidates(self, tok: str) -> Iterable[tuple[str, bool]]:
        """Least-stripped first: the word, inflections off (hpnya → hp), then derivational suffixes and
        prefixes with nasal restoring; derived candidates never reach no_affix acronyms (memaparkan ≠ APAR)."""
        m = self.rules.morphology
        forms = [tok]
        for group in (m.particles, m.possessives):
            forms += [f[: -len(s)] for f in forms for s in group if f.endswith(s) and len(f) - len(s) >= 2]
        yield from ((f, False) for f in forms)
        derived = [f[: -len(s)] for f in forms for s in m.suffixes if f.endswith(s) and len(f) - len(s) >= m.min_stem]
        yield from ((f, True) for f in derived)
        for form in forms + derived:
            for once in self._unprefix(form):
                yield once, True
                for prefix in m.second_prefixes:
                    if once.startswith(prefix) and len(once) - len(prefix) >= m.min_stem:
                        yield once[len(prefix):], True

    def _unprefix(self, form: str) -> Iterable[str]:
        for prefix, replacements in self.prefixes:
            if form.startswith(prefix):
                rest = form[len(prefix):]
                for r in replacements:
                    if len(r + rest) >= self.rules.morphology.min_stem:
                        yield r + rest

    # ---- matching

    def analyse(self, text: str) -> _Text:
        surface, stems = self.tokens(text)
        return _Text(surface, stems, self.match(stems))

    def match(self, stems: list[str]) -> dict[str, list[Hit]]:
        """All phrase hits by group; within a group the longest phrase at a position wins, no overlaps."""
        hits: dict[str, list[Hit]] = defaultdict(list)
        covered: dict[str, int] = {}
        index = self.index
        for i, tok in enumerate(stems):
            candidates = index.get(tok)
            if not candidates:
                continue
            for phrase, entries in candidates:
                n = len(phrase)
                if n > 1 and tuple(stems[i : i + n]) != phrase:
                    continue
                for group, payload in entries:
                    if covered.get(group, 0) > i:
                        continue
                    covered[group] = i + n
                    hits[group].append(Hit(i, i + n, payload[0], payload[1]))
        return hits

    def negator(self, stems: list[str], start: int) -> str | None:
        """The negation word right before ``start`` (skipping filler words), if any."""
        for j in range(start - 1, -1, -1):
            tok = stems[j]
            if tok in self.negators:
                return tok
            if tok not in self.neg_skip:
                return None
        return None

    def find_units(self, surface: list[str], index: UnitIndex) -> list[tuple[int, int, str]]:
        """(position, length, unit id) of every roster unit mention; longest form wins at a position."""
        found: list[tuple[int, int, str]] = []
        until = 0
        for i, tok in enumerate(surface):
            if i < until:
                continue
            for form, unit_id in index.get(tok, ()):
                if tuple(surface[i : i + len(form)]) == form:
                    found.append((i, len(form), unit_id))
                    until = i + len(form)
                    break
        return found

    def fingerprint(self, stems: list[str]) -> frozenset[str]:
        words = [t for t in stems if t not in self.stopwords]
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
    m = rules.morphology
    comp = _Compiled(
        rules=rules,
        class_re=re.compile(m.class_pattern),
        facility_re=re.compile(rules.units.facility_pattern),
        vocab=frozenset(),
        derived_vocab=frozenset(),
        prefixes=sorted(m.prefixes.items(), key=lambda kv: -len(kv[0])),
        index={},
        unit_indexes={},
        join_suffixes=frozenset(m.particles + m.possessives),
        negators=frozenset(),
        neg_skip=frozenset(),
        stopwords=frozenset(),
        stem_cache={},
        problems=[],
    )
    entries = list(_rule_terms(rules))
    vocab: set[str] = set()
    for _, term, _, _ in entries:
        vocab.update(comp.tokens(term)[0])
    comp.vocab = frozenset(vocab)
    comp.derived_vocab = comp.vocab - {w.lower() for w in m.no_affix}
    comp.stem_cache.clear()  # stems computed before the vocabulary existed are wrong
    # negation words are compared with stems, so "mencegah" counts when "cegah" is listed
    comp.negators = frozenset(t for w in rules.negation.words for t in comp.tokens(w)[1])
    comp.neg_skip = frozenset(t for w in rules.negation.skip for t in comp.tokens(w)[1])
    comp.stopwords = frozenset(t for w in rules.fingerprint.stopwords for t in comp.tokens(w)[1])
    index: dict[str, dict[tuple[str, ...], list[tuple[str, Any]]]] = defaultdict(dict)
    for field, term, group, payload in entries:
        phrase = tuple(comp.tokens(term)[1])
        if not phrase:
            comp.problems.append((field, f"{term!r} has no letters or digits to match"))
            continue
        index[phrase[0]].setdefault(phrase, []).append((group, (term, payload)))
    comp.index = {
        first: sorted(phrases.items(), key=lambda kv: -len(kv[0])) for first, phrases in index.items()
    }
    return comp


def _rule_terms(rules: Rules) -> Iterable[tuple[str, str, str, Any]]:
    """(field path, term, group, payload) for every phrase the matcher must find."""
    for term, weight in rules.relevance.terms.items():
        yield f"relevance.terms.{term}", term, "rel", weight
    for term, weight in rules.dampeners.items():
        yield f"dampeners.{term}", term, "damp", weight
    for noun in rules.numbers.people:
        yield "numbers.people", noun, "people", None
    for cid, cat in rules.categories.items():
        base = f"categories.{cid}"
        for term, weight in cat.terms.items():
            yield f"{base}.terms.{term}", term, f"cat:{cid}", weight
        for severity, terms in cat.floors.items():
            for term in terms:
                yield f"{base}.floors.{severity.value}", term, f"floor:{cid}", severity
        for i, rule in enumerate(cat.near):
            for side, terms in (("a", rule.first), ("b", rule.then)):
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


def _unit_index(comp: _Compiled, roster: Roster) -> UnitIndex:
    """Unit name forms (official name, aliases, id, and every type word + place), cached per roster."""
    cached = comp.unit_indexes.get(id(roster))
    if cached is not None and cached[0] is roster:  # holding the roster keeps its id from being reused
        return cached[1]
    forms: dict[tuple[str, ...], str] = {}
    for unit in roster.units:
        for form in _unit_forms(comp, unit):
            forms.setdefault(form, unit.id)
    index: UnitIndex = defaultdict(list)
    for form, unit_id in sorted(forms.items(), key=lambda kv: -len(kv[0])):
        index[form[0]].append((form, unit_id))
    if len(comp.unit_indexes) > 16:  # a long-lived process reloading rosters must not grow without bound
        comp.unit_indexes.clear()
    comp.unit_indexes[id(roster)] = (roster, dict(index))
    return comp.unit_indexes[id(roster)][1]


def _unit_forms(comp: _Compiled, unit: Unit) -> set[tuple[str, ...]]:
    type_words = [tuple(comp.tokens(w)[0]) for w in comp.rules.units.type_words.get(unit.type, [])]
    names = [tuple(comp.tokens(n)[0]) for n in (unit.name, *unit.aliases, unit.id.replace("-", " "))]
    forms = {n for n in names if n}
    for name in names:
        for tw in type_words:
            if name[: len(tw)] == tw and len(name) > len(tw):
                place = name[len(tw):]
                forms.update(other + place for other in type_words)
    return forms


# --------------------------------------------------------------------------- classification


@dataclass
class _Scores:
    scores: dict[str, float]
    reasons: list[str]


def classify(alert: Alert, rules: Rules, roster: Roster, *, repeats_in_90_days: int = 0) -> Classification:
    """Relevance gate → category scores → action → severity (base, floors, escalations)."""
    comp = _compiled(rules)
    text = comp.analyse(alert.full_text)
    reasons: list[str] = []
    unit_id, facility = _resolve_unit(comp, alert, text, roster, reasons)
    relevant = _relevance(comp, text, unit_id, reasons)
    result = dict(
        relevant=relevant,
        unit=unit_id,
        facility=facility,
        normalized_text=" ".join(text.stems),
        fingerprint=comp.fingerprint(text.stems),
    )
    if not relevant:
        return Classification(action="ignore", reasons=reasons, **result)

    scored = _category_scores(comp, text)
    reasons += scored.reasons
    order = list(rules.categories)
    top = max(order, key=lambda c: (scored.scores[c], -order.index(c)))
    score = scored.scores[top]
    action = _action(comp, text, score, facility, reasons)
    if action == "ignore":
        return Classification(action=action, score=score, reasons=reasons, **result)
    severity = None
    if action == "start":
        severity = _severity(comp, alert, text, top, repeats_in_90_days, reasons)
    category = top if score >= rules.thresholds.watch else None
    return Classification(category=category, severity=severity, action=action, score=score, reasons=reasons, **result)


def _resolve_unit(
    comp: _Compiled, alert: Alert, text: _Text, roster: Roster, reasons: list[str]
) -> tuple[str | None, str | None]:
    """The alert's own unit when the roster knows it, else the most mentioned roster unit in the text."""
    if alert.unit:
        unit = roster.find_unit(alert.unit)
        if unit is None:
            found = comp.find_units(comp.tokens(alert.unit)[0], _unit_index(comp, roster))
            unit = next((u for u in roster.units if found and u.id == found[0][2]), None)
        if unit is not None:
            reasons.append(f"unit dari alert '{alert.unit}' → {unit.id}")
            return unit.id, alert.unit
        reasons.append(f"unit dari alert '{alert.unit}' tidak dikenal roster")
    mentions = comp.find_units(text.surface, _unit_index(comp, roster))
    if mentions:
        counts: dict[str, int] = defaultdict(int)
        for _, _, uid in mentions:
            counts[uid] += 1
        first = {uid: (pos, length) for pos, length, uid in reversed(mentions)}
        unit_id = max(counts, key=lambda u: (counts[u], -first[u][0]))
        pos, length = first[unit_id]
        written = " ".join(text.surface[pos : pos + length])
        reasons.append(f"unit '{written}' → {unit_id}")
        return unit_id, written
    named = comp.facility_re.search(alert.text)
    if named:
        reasons.append(f"UPT '{named.group()}' disebut, tetapi tidak ada di roster")
        return None, named.group()
    return None, alert.unit


def _relevance(comp: _Compiled, text: _Text, unit_id: str | None, reasons: list[str]) -> bool:
    """The gate: enough UPT/WBP/Ditjenpas words, or a roster unit named (a quake story without a lapas is not ours)."""
    seen: dict[str, float] = {}
    for hit in text.hits.get("rel", ()):
        seen.setdefault(hit.term, hit.payload)
    score = sum(seen.values())
    listed = ", ".join(f"'{t}' {w:+g}" for t, w in seen.items()) or "tidak ada kata UPT/WBP/Ditjenpas"
    minimum = comp.rules.relevance.min_score
    if score >= minimum:
        reasons.append(f"relevan: {listed} → {score:g} ≥ {minimum:g}")
        return True
    if unit_id is not None:
        reasons.append(f"relevan: menyebut UPT {unit_id} (skor kata {score:g})")
        return True
    reasons.append(f"tidak relevan: {listed} → {score:g} < {minimum:g}")
    return False


def _category_scores(comp: _Compiled, text: _Text) -> _Scores:
    """Per category: distinct term weights + proximity rules, then the shared routine-context dampeners."""
    rules = comp.rules
    scores: dict[str, float] = {}
    reasons: list[str] = []
    for cid, cat in rules.categories.items():
        scores[cid] = _term_score(comp, text, f"cat:{cid}", cid, reasons)
        for i, rule in enumerate(cat.near):
            if rule.weight and _near(text, f"near:{cid}:{i}", rule.within):
                scores[cid] += rule.weight
                reasons.append(f"pola '{rule.label}' → {cid} ({rule.weight:+g})")
    damp = _term_score(comp, text, "damp", "semua kategori", reasons, kind="konteks")
    if damp:
        scores = {c: s + damp for c, s in scores.items()}
    return _Scores(scores, reasons)


def _term_score(comp: _Compiled, text: _Text, group: str, target: str, reasons: list[str], kind: str = "kata") -> float:
    """Sum of distinct, non-negated terms in ``group``; one reason per term."""
    total = 0.0
    seen: set[str] = set()
    for hit in text.hits.get(group, ()):
        if hit.term in seen:
            continue
        seen.add(hit.term)
        written = " ".join(text.surface[hit.start : hit.end])
        shown = f"'{hit.term}'" if written == hit.term else f"'{hit.term}' ({written})"
        neg = comp.negator(text.stems, hit.start) if group.startswith("cat:") else None
        if neg:
            reasons.append(f"{kind} {shown} diabaikan: didahului '{neg}'")
            continue
        total += hit.payload
        reasons.append(f"{kind} {shown} → {target} ({hit.payload:+g})")
    return total


def _near(text: _Text, group: str, within: int) -> bool:
    """A 'first' phrase followed, within ``within`` tokens, by a 'then' phrase."""
    firsts = text.hits.get(f"{group}:a", ())
    thens = text.hits.get(f"{group}:b", ())
    return any(0 <= b.start - a.end <= within for a in firsts for b in thens)


def _action(comp: _Compiled, text: _Text, score: float, facility: str | None, reasons: list[str]) -> Action:
    """start ≥ thresholds.start (with a named UPT), watch ≥ thresholds.watch or DPR/death mentioned, else ignore."""
    t = comp.rules.thresholds
    if score >= t.start:
        if t.start_requires_facility and facility is None:
            reasons.append(f"skor {score:g} ≥ {t.start:g}, tetapi tidak ada UPT spesifik yang disebut → watch")
            return "watch"
        reasons.append(f"skor {score:g} ≥ {t.start:g} → start")
        return "start"
    if score >= t.watch:
        reasons.append(f"skor {score:g} < {t.start:g} → watch")
        return "watch"
    mentioned = [h for g in ("attention", "death") for h in text.hits.get(g, ())]
    signal = next((h.term for h in mentioned if comp.negator(text.stems, h.start) is None), None)
    if signal:
        reasons.append(f"skor {score:g} < {t.watch:g}, tetapi '{signal}' disebut → watch")
        return "watch"
    reasons.append(f"tidak ada sinyal krisis (skor {score:g} < {t.watch:g}) → ignore")
    return "ignore"


# --------------------------------------------------------------------------- severity


def _severity(comp: _Compiled, alert: Alert, text: _Text, cid: str, repeats: int, reasons: list[str]) -> str:
    base = _base_severity(comp, alert, text, cid, reasons)
    steps = _escalations(comp, alert, text, repeats, reasons)
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
        if comp.negator(text.stems, hit.start) is None:
            candidates.append((hit.payload, f"'{hit.term}'"))
    for i, rule in enumerate(cat.near):
        if rule.severity and _near(text, f"near:{cid}:{i}", rule.within):
            candidates.append((rule.severity, f"pola '{rule.label}'"))
    if cat.people_floor:
        count = max((n for _, n in _people_counts(comp, text)), default=0)
        if count >= cat.people_floor.at_least:
            candidates.append((cat.people_floor.severity, f"{count} orang ≥ {cat.people_floor.at_least}"))
    for severity, why in candidates:
        if severity.rank > base.rank:
            base = severity
            reasons.append(f"dasar: {why} → {severity.value}")
    return base


def _escalations(comp: _Compiled, alert: Alert, text: _Text, repeats: int, reasons: list[str]) -> int:
    """One step per DOMAIN.md escalation that fires (deaths may add a second for several victims)."""
    esc = comp.rules.severity.escalations
    steps = 0
    deaths = [h for h in text.hits.get("death", ()) if comp.negator(text.stems, h.start) is None]
    if deaths:
        steps += 1
        reasons.append(f"{deaths[0].term} → eskalasi +1 ({esc.kematian.label})")
        victims = _death_count(comp, text, deaths)
        if esc.kematian.multiple_at_least and victims >= esc.kematian.multiple_at_least:
            steps += 1
            at_least = esc.kematian.multiple_at_least
            reasons.append(f"{victims} korban jiwa ≥ {at_least} → eskalasi +1 ({esc.kematian.multiple_label})")
    coverage = _coverage_signals(comp, alert, text)
    if coverage:
        steps += 1
        reasons.append(f"{'; '.join(coverage)} → eskalasi +1 ({esc.cakupan.label})")
    attention = sorted({h.term for h in text.hits.get("attention", ())})
    if attention:
        steps += 1
        reasons.append(f"{', '.join(attention)} → eskalasi +1 ({esc.perhatian.label})")
    if repeats >= esc.berulang.repeats_at_least:
        steps += 1
        reasons.append(f"{repeats} kejadian sebelumnya di unit ini dalam 90 hari → eskalasi +1 ({esc.berulang.label})")
    return steps


def _coverage_signals(comp: _Compiled, alert: Alert, text: _Text) -> list[str]:
    cov = comp.rules.severity.escalations.cakupan
    signals: list[str] = []
    source_host = _source_host(alert.source)
    for where, host in (("url", _host(str(alert.url)) if alert.url else None), ("sumber", source_host)):
        domain = _national_domain(host, cov) if host else None
        if domain:
            signals.append(f"media nasional {domain} ({where})")
            break
    else:
        # a source written as a name ("Kompas TV"), not a host: match outlet names
        names = comp.match(comp.tokens(alert.source)[1]).get("outlet", ()) if alert.source and not source_host else ()
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
    """(position, number) for every number directly before a people noun: '27 narapidana', 'puluhan WBP'."""
    nums = comp.rules.numbers
    counts = []
    for hit in text.hits.get("people", ()):
        j = hit.start
        while j > 0 and hit.start - j < 4 and _is_number(text.surface[j - 1], nums):
            j -= 1
            if text.surface[j].isdigit():  # "30 orang": a digit group is complete on its own
                break
        if j < hit.start:
            value = _number_value(text.surface[j : hit.start], nums)
            if value:
                counts.append((hit.start, value))
    return counts


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
    window = comp.rules.numbers.near_death_window
    counts = _people_counts(comp, text)
    return max(
        (n for pos, n in counts for d in deaths if -window <= pos - d.start <= window),
        default=1,
    )


# --------------------------------------------------------------------------- near-duplicates


def fingerprint(text: str, rules: Rules | None = None) -> frozenset[str]:
    """Normalised word shingles (stems, stopwords dropped) for near-duplicate detection."""
    comp = _compiled(rules or default_rules())
    return comp.fingerprint(comp.tokens(text)[1])


def similarity(a: frozenset[str] | str, b: frozenset[str] | str) -> float:
    """Jaccard similarity of two fingerprints (texts are fingerprinted first); 0.0 when both are empty."""
    fa = fingerprint(a) if isinstance(a, str) else a
    fb = fingerprint(b) if isinstance(b, str) else b
    union = len(fa | fb)
    return len(fa & fb) / union if union else 0.0


# --------------------------------------------------------------------------- streams


def classify_stream(lines: Iterable[str], out: TextIO, rules: Rules, roster: Roster) -> int:
    """Classify JSON lines (Alert fields, ``text`` required) into JSON lines; returns the number of
    invalid lines. An invalid line yields ``{"error": …, "line": n}`` and processing continues;
    blank lines are skipped."""
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
        result = classify(alert, rules, roster)
        record = {"line": n, **result.model_dump(include=STREAM_FIELDS)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return errors


STREAM_FIELDS = {"relevant", "category", "severity", "unit", "action", "score", "reasons"}


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
