"""The compiled matcher: everything precomputed from one ``Rules`` — tokenising, Sastrawi stemming (bounded:
cached, only tokens that can reach a rule word, a per-alert budget), the phrase index and matching, negation
reach — plus the entity recogniser and the roster directory cached beside it."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pasopati.alerts.classify.rule_terms import rule_terms
from pasopati.alerts.classify.schema import Rules
from pasopati.alerts.classify.tokens import (
    CAMEL_RE,
    COMMA,
    CURRENCY_RE,
    DATE_TIME_RE,
    HASHTAG_RE,
    STOP,
    THOUSANDS_RE,
    TOKEN_RE,
    AnalysedText,
    Hit,
)
from pasopati.alerts.entities import Recogniser, RosterDirectory
from pasopati.plan.roster import Roster

STEM_CACHE_LIMIT = 200_000
VERBAL_PREFIXES = ("di", "me", "ter", "ber")


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
class CompiledRules:
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

    def analyse(self, text: str) -> AnalysedText:
        surface = self.words(text)
        budget = [self.rules.morphology.max_stem_calls]
        if len(self.stem_cache) > STEM_CACHE_LIMIT:
            self.stem_cache.clear()
        forms = [self.forms(tok, budget) for tok in surface]
        stems = [f[-1] for f in forms]
        text_ = AnalysedText(surface, forms, stems)
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

    def negator(self, text: AnalysedText, start: int) -> str | None:
        """The negation word right before ``start`` (skipping filler words), if any."""
        for j in range(start - 1, -1, -1):
            keys = text.forms[j]
            found = next((k for k in keys if k in self.negators), None)
            if found:
                return found
            if not any(k in self.neg_skip for k in keys):
                return None
        return None

    def _negations(self, text: AnalysedText) -> dict[int, str]:
        """Positions governed by a negator: the first term after it, and every term of the same
        coordinated list ("tidak menemukan sel mewah maupun transaksi narkoba") up to a clause end."""
        spans = sorted({(h.start, h.end) for g, hs in text.hits.items() if g not in ("rel", "people") for h in hs})
        negated: dict[int, str] = {}
        reach: tuple[int, str] | None = None  # end of the last negated term, its negator
        for start, end in spans:
            neg = self.negator(text, start)
            if neg is None and reach is not None:
                # a term right after a denied one is part of the denied predicate: "bantah ada napi tewas dianiaya"
                if start <= reach[0] or self._conjunct(text, reach[0], start):
                    neg = reach[1]
            if neg is None:
                if reach is None or start >= reach[0]:
                    reach = None
                continue
            negated.update((p, neg) for p in range(start, end))
            reach = (max(end, reach[0] if reach else 0), neg)
        return negated

    def _conjunct(self, text: AnalysedText, after: int, start: int) -> bool:
        between = text.surface[after:start]
        if any(t == STOP or t in self.clause_words for t in between):
            return False
        joins = [t for t in between if t == COMMA or t in self.coordinators]
        return bool(joins) and len(between) - len(joins) <= self.rules.negation.conjunct_gap


def compiled(rules: Rules) -> CompiledRules:
    """The matcher of ``rules``, compiled on first use and kept on the object (compiling stems every rule word)."""
    comp = rules._compiled
    if comp is None:
        comp = compile_rules(rules)
        rules._compiled = comp
    return comp


def compile_rules(rules: Rules) -> CompiledRules:
    """Build the matcher once: phrase index, a stemmer over Sastrawi's words plus the rule words, the negation
    and stopword sets, synonym rings, the entity recogniser; bad phrases are collected for ``load_rules``."""
    from Sastrawi.Stemmer.Stemmer import Stemmer

    m, neg = rules.morphology, rules.negation
    comp = CompiledRules(rules=rules, join_suffixes=frozenset(m.particles + m.possessives))
    comp.acronyms = frozenset(w.lower() for w in (*m.acronyms, *m.whole_words))
    entries = list(rule_terms(rules))
    phrases = [(f, term, tuple(comp.words(term)), group, payload) for f, term, group, payload in entries]
    comp.vocab = frozenset(t for _, _, phrase, _, _ in phrases for t in phrase if t[0].isalnum())
    roots = comp.vocab - frozenset(w.lower() for w in m.acronyms)
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


def _is_word(comp: CompiledRules, word: str) -> bool:
    """An Indonesian word (or a derived one: "Pukuli", "Gagalkan"), not a place's proper noun."""
    return word in _sastrawi_words() or _is_derived(comp, word, suffix_i=True)


def _is_derived(comp: CompiledRules, word: str, suffix_i: bool = False) -> bool:
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


def roster_directory(comp: CompiledRules, roster: Roster) -> RosterDirectory:
    """The roster as a ``UnitDirectory``, cached per roster object."""
    cached = comp.directories.get(id(roster))
    if cached is not None and cached[0] is roster:  # holding the roster keeps its id from being reused
        return cached[1]
    assert comp.recogniser is not None
    if len(comp.directories) > 16:  # a long-lived process reloading rosters must not grow without bound
        comp.directories.clear()
    comp.directories[id(roster)] = (roster, RosterDirectory(roster, comp.recogniser))
    return comp.directories[id(roster)][1]
