"""Facility and Kanwil mentions in an alert, found BEFORE any keyword is scored.

A UPT's own name must not read as an event (the issue's probes: "Lapas Narkotika …" is no drug
incident, the city Serang is no *serang* attack). So the original-case title + text is scanned for

- facility mentions: a type word (``Lapas``, ``Lembaga Pemasyarakatan (Lapas)``, ``Rutan`` …), an
  optional class (``Kelas IIA``), qualifiers (``Narkotika``, ``Perempuan`` …) and the place's proper
  noun(s): ``FacilityMention(type="lapas", qualifiers=("narkotika",), class_="IIA", place="Samarinda")``;
- Kanwil mentions (``Kanwil Ditjenpas Jawa Timur``, ``Kanwil Kemenkumham Jatim``) and region-wide
  phrases (``seluruh UPT di Jawa Timur``, ``se-Jawa Timur``): ``KanwilMention(province, kanwil_id)``;
- province and known place names standing alone;

and each span is masked (a facility becomes its type word, so "lapas" still counts as relevant)
before the words are scored. Mentions are resolved through a ``UnitDirectory``: today
``RosterDirectory`` over the nine roster units, later the gazetteer (pasopati/plan/gazetteer.py)
with the same methods. A recognised UPT the directory does not know keeps a generic id, the slug
of ``<type> <qualifiers> <place>``: "Lapas Narkotika Kelas IIA Samarinda" → ``lapas-narkotika-samarinda``.
All words (type words, qualifiers, provinces, Kanwil forms) are data: ``entities:`` in
``runbooks/classification.yaml``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from pydantic import Field

from pasopati.plan.roster import Roster, UnitType
from pasopati.plan.runbook import Regex, Strict

PlaceCheck = Callable[[str], bool]
# (type, qualifiers, place) → the directory knows this unit: a lower-case mention is read only then
UnitCheck = Callable[[str, tuple[str, ...], str], bool]


# --------------------------------------------------------------------------- rules (the YAML section)


class EntityRules(Strict):
    """``entities:`` in classification.yaml."""

    type_words: dict[UnitType, list[str]] = Field(description="As written in text, longest first is not required.")
    qualifiers: list[str] = Field(description="Words between the type and the place: Narkotika, Perempuan …")
    class_pattern: Regex = Field(description="Regex of a class as written: 'Kelas IIA', 'Klas I'.")
    place_heads: list[str] = Field([], description="First words of two-word places: Kota, Tanjung, Pulau …")
    ambiguous_places: list[str] = Field([], description="Places that are also rule words: Serang.")
    place_tails: list[str] = Field([], description="Common words that end a two-word place: Palangka Raya, Jakarta Utara.")
    place_aliases: dict[str, str] = Field({}, description="A UPT's popular place name → its official place: Wirogunan → Yogyakarta.")
    not_places: list[str] = Field([], description="Capitalised words after a type word that are no place: Baru, Tua.")
    kanwil_words: list[str] = Field(description="Kanwil, Kantor Wilayah, Kakanwil.")
    kanwil_orgs: list[str] = Field(description="Organisation words between 'Kanwil' and the province.")
    wide_patterns: list[Regex] = Field([], description="Region-wide phrases; '{province}' is the province group.")
    provinces: dict[str, list[str]] = Field(min_length=1, description="Province → short forms (Jatim, Jabar).")
    kanwil_wide_at_least: int = Field(3, ge=2, description="Distinct UPTs of one province = a Kanwil-wide event.")


# --------------------------------------------------------------------------- mentions


@dataclass(frozen=True)
class FacilityMention:
    start: int
    end: int
    written: str
    type: UnitType
    type_written: str
    qualifiers: tuple[str, ...] = ()
    class_: str | None = None
    place: str | None = None

    @property
    def generic_id(self) -> str | None:
        """The scheme's id for a UPT no directory knows: slug of '<type> <qualifiers> <place>'."""
        if not self.place:
            return None
        return slug(" ".join((self.type, *self.qualifiers, self.place)))


@dataclass(frozen=True)
class KanwilMention:
    start: int
    end: int
    written: str
    province: str
    kanwil: str
    wide: bool = False  # a region-wide phrase (seluruh UPT …), not the office itself


@dataclass
class Entities:
    facilities: list[FacilityMention] = field(default_factory=list)
    kanwil: list[KanwilMention] = field(default_factory=list)
    places: list[tuple[int, int, str]] = field(default_factory=list)
    provinces: list[str] = field(default_factory=list)  # named alone ("- Banten", "di Jawa Timur")
    masked: str = ""
    masked_split: int = 0  # where the original text's ``split`` (the end of the title) is in ``masked``


@lru_cache(maxsize=1)
def _format_chars() -> dict[int, None]:
    """Every Unicode format character (zero-width space/joiners, soft hyphen, BOM, bidi marks)."""
    return {cp: None for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"}


def normalise(text: str) -> str:
    """NFKC (fullwidth 'Ｌａｐａｓ' → 'Lapas') without format characters ('Cipi\u200bnang' → 'Cipinang'):
    applied before any recognition so that a disguised name is still a name."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_format_chars())


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def kanwil_id(province: str) -> str:
    return f"kanwil-{slug(province)}"


# --------------------------------------------------------------------------- directory


class DirectoryEntry(Protocol):
    id: str
    name: str
    kanwil: str | None
    province: str | None


class UnitDirectory(Protocol):
    """What the classifier needs from a list of units: the roster now, the gazetteer later."""

    def find(self, type: str, place: str, qualifiers: tuple[str, ...] = (), class_: str | None = None) -> DirectoryEntry | None: ...

    def by_alias(self, text: str) -> DirectoryEntry | None: ...

    def place_kanwil(self, place: str) -> tuple[str, str] | None: ...

    def unit(self, id: str) -> DirectoryEntry | None: ...


@dataclass(frozen=True)
class UnitEntry:
    id: str
    name: str
    type: UnitType
    kanwil: str | None
    province: str | None
    places: frozenset[str]
    qualifiers: frozenset[str]
    aliases: tuple[str, ...] = ()


def _place_key(place: str) -> str:
    return re.sub(r"[^a-z0-9]", "", place.lower())  # "Pangkal Pinang" = "Pangkalpinang"


class RosterDirectory:
    """``UnitDirectory`` over the roster: its units' names, aliases and ids, its Kanwil and provinces."""

    def __init__(self, roster: Roster, recogniser: Recogniser) -> None:
        self.roster = roster
        kanwil = {k.id: k for k in roster.kanwil}
        self._entries: dict[str, UnitEntry] = {}
        self._aliases: dict[str, UnitEntry] = {}
        self._places: dict[str, tuple[str, str]] = {}
        for k in roster.kanwil:
            for place in (k.city, k.province):
                self._places[_place_key(place)] = (k.province, k.id)
        for province, shorts in recogniser.rules.provinces.items():
            for name in (province, *shorts):
                self._places.setdefault(_place_key(name), (province, kanwil_id(province)))
        for unit in roster.units:
            office = kanwil.get(unit.kanwil)
            forms = (unit.name, *unit.aliases)
            mentions = [m for form in forms for m in recogniser.facilities(form, lambda _: False) if m.place]
            entry = UnitEntry(
                id=unit.id, name=unit.name, type=unit.type, kanwil=unit.kanwil,
                province=office.province if office else None,
                places=frozenset(_place_key(m.place) for m in mentions if m.place),
                qualifiers=frozenset(q for m in mentions for q in m.qualifiers),
                aliases=tuple(unit.aliases),
            )
            self._entries[unit.id] = entry
            for form in (*forms, unit.id.replace("-", " ")):
                self._aliases[_alias_key(form, recogniser)] = entry
            if office:
                for place in entry.places:
                    self._places.setdefault(place, (office.province, office.id))

    def find(self, type: str, place: str, qualifiers: tuple[str, ...] = (), class_: str | None = None) -> UnitEntry | None:
        key = _place_key(place)
        for entry in self._entries.values():
            if entry.type == type and key in entry.places and set(qualifiers) <= entry.qualifiers:
                return entry
        return None

    def by_alias(self, text: str) -> UnitEntry | None:
        return self._aliases.get(_alias_key(text, None))

    def place_kanwil(self, place: str) -> tuple[str, str] | None:
        return self._places.get(_place_key(place))

    def unit(self, id: str) -> UnitEntry | None:
        return self._entries.get(id)

    def knows_place(self, place: str) -> bool:
        key = _place_key(place)
        return key in self._places or any(key in e.places for e in self._entries.values())


def _alias_key(text: str, recogniser: Recogniser | None) -> str:
    # Class words do not tell units apart in the roster ("Lapas Kelas I Cipinang" = "Lapas Cipinang").
    text = re.sub(r"\b(?:kelas|klas)\s+(?:iv|i{1,3}|[1-4])\s*[ab]?\b", " ", text.lower())
    return " ".join(re.findall(r"[a-z0-9]+", text))


# --------------------------------------------------------------------------- recogniser


WORD_RE = re.compile(r"[A-Z][A-Za-z'’]*(?:-[A-Z][A-Za-z'’]*)?")


class Recogniser:
    """Compiled ``entities:`` rules; ``is_word`` tells a common/rule word from a place name."""

    def __init__(
        self,
        rules: EntityRules,
        is_word: Callable[[str], bool],
        is_rule_word: Callable[[str], bool],
        is_derived: Callable[[str], bool] = lambda _: False,
    ) -> None:
        self.rules = rules
        self.is_word = is_word
        self.is_derived = is_derived
        self.is_rule_word = is_rule_word
        written = sorted(((w, t) for t, words in rules.type_words.items() for w in words), key=lambda wt: -len(wt[0]))
        self._types = {w.lower(): t for w, t in written}
        alternatives = "|".join(_case_variants(w) for w, _ in written)
        self.type_re = re.compile(rf"\b(?:{alternatives})\b")
        # any case ("lapas cipinang", "lp cipinang" in a social post): accepted only for a unit the directory knows
        self.any_type_re = re.compile(rf"\b(?:{'|'.join(re.escape(w) for w, _ in written)})\b", re.IGNORECASE)
        self.any_qual_re = re.compile(rf"\s+({'|'.join(re.escape(q) for q in rules.qualifiers)})\b", re.IGNORECASE)
        self.any_class_re = re.compile(rf"\s+({rules.class_pattern})\b", re.IGNORECASE)
        self.any_word_re = re.compile(r"\s+([A-Za-z][A-Za-z'’]*)")
        self.paren_re = re.compile(rf"\s*\(\s*(?:{alternatives})\s*\)")
        self.class_re = re.compile(rf"\s+({rules.class_pattern})\b")
        self.qual_re = re.compile(rf"\s+({'|'.join(_case_variants(q) for q in rules.qualifiers)})\b")
        self.place_re = re.compile(r"\s+(" + WORD_RE.pattern + r")")
        self._heads = {h.lower() for h in rules.place_heads}
        self._ambiguous = {p.lower() for p in rules.ambiguous_places}
        self._tails = {p.lower() for p in rules.place_tails}
        self._aliases = {a.lower(): p for a, p in rules.place_aliases.items()}
        self._not_places = {p.lower() for p in rules.not_places}
        # a one-word type word never starts a place; words of a longer one may ("Tanjung Balai", "Rumah")
        self._never_place = {w.lower() for words in rules.type_words.values() for w in words if " " not in w}
        self._never_place |= {q.lower() for q in rules.qualifiers} | {"kelas", "klas"}
        names = {short: province for province, shorts in rules.provinces.items() for short in (province, *shorts)}
        self._province_of = {n.lower(): p for n, p in names.items()}
        prov_alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        self.province_re = re.compile(rf"\b(?:{prov_alt})\b")
        kw = "|".join(_case_variants(w) for w in sorted(rules.kanwil_words, key=len, reverse=True))
        org = "|".join(re.escape(w) for w in sorted(rules.kanwil_orgs, key=len, reverse=True))
        self.kanwil_re = re.compile(rf"\b(?:{kw})(?:\s+(?:{org}))*(?:\s+(?:Provinsi|Prov\.?))?\s+({prov_alt})\b")
        self.wide_res = [re.compile(p.replace("{province}", f"({prov_alt})")) for p in rules.wide_patterns]

    # ---- facilities

    def facilities(self, text: str, known_place: PlaceCheck, known_unit: UnitCheck | None = None) -> list[FacilityMention]:
        found = []
        pattern = self.any_type_re if known_unit is not None else self.type_re
        for m in pattern.finditer(text):
            mention = self._facility_at(text, m, known_place, known_unit) if self.type_re.fullmatch(m.group()) else None
            if mention is None and known_unit is not None:
                mention = self._known_facility_at(text, m, known_unit)
            if mention is not None:
                found.append(mention)
        return found

    def _known_facility_at(self, text: str, m: re.Match[str], known_unit: UnitCheck) -> FacilityMention | None:
        """A mention in any case ("napi kabur dari lapas cipinang") read only when the directory knows the
        unit of that type and place; an ambiguous place or a rule word ("lapas serang petugas") never is."""
        type_ = self._types.get(m.group().lower())
        if type_ is None:
            return None
        pos = m.end()
        if (p := self.paren_re.match(text, pos)) is not None:
            pos = p.end()
        class_, qualifiers = None, []
        while True:
            if class_ is None and (c := self.any_class_re.match(text, pos)) is not None:
                class_, pos = _class_value(c.group(1)), c.end()
            elif (q := self.any_qual_re.match(text, pos)) is not None:
                qualifiers.append(q.group(1).lower())
                pos = q.end()
            else:
                break
        words: list[re.Match[str]] = []
        at = pos
        while len(words) < 3 and (w := self.any_word_re.match(text, at)) is not None:
            if w.group(1).lower() in self._never_place:
                break
            words.append(w)
            at = w.end()
        if not words:
            return None
        first = words[0].group(1).lower()
        if first in self._ambiguous or first in self._not_places or self.is_rule_word(first):
            return None
        for n in range(len(words), 0, -1):
            place = " ".join(w.group(1) for w in words[:n])
            place = self._aliases.get(place.lower(), place)
            if known_unit(type_, tuple(qualifiers), place):
                end = words[n - 1].end()
                return FacilityMention(m.start(), end, text[m.start():end], type_, m.group(), tuple(qualifiers), class_, place)
        return None

    def _facility_at(
        self, text: str, m: re.Match[str], known_place: PlaceCheck, known_unit: UnitCheck | None = None
    ) -> FacilityMention | None:
        type_ = self._types[m.group().lower()]
        pos = m.end()
        if (p := self.paren_re.match(text, pos)) is not None:
            pos = p.end()
        class_, qualifiers = None, []
        while True:
            if class_ is None and (c := self.class_re.match(text, pos)) is not None:
                class_, pos = _class_value(c.group(1)), c.end()
            elif (q := self.qual_re.match(text, pos)) is not None:
                qualifiers.append(q.group(1).lower())
                pos = q.end()
            else:
                break
        unit_here = (lambda place: known_unit(type_, tuple(qualifiers), place)) if known_unit is not None else None
        place, pos = self._place(text, pos, known_place, unit_here)
        if place is not None:
            place = self._aliases.get(place.lower(), place)
        if place is None and not qualifiers and class_ is None:
            return None  # a bare "lapas" is a relevance word, not a mention
        return FacilityMention(m.start(), pos, text[m.start():pos], type_, m.group(), tuple(qualifiers), class_, place)

    def _place(self, text: str, pos: int, known_place: PlaceCheck, known_unit: PlaceCheck | None = None) -> tuple[str | None, int]:
        """Up to three capitalised words. The longest for which the directory knows a unit of this type
        wins ("Kota Agung", while the region data knows a "Kota" elsewhere), then the longest place the
        directory knows ("Pondok Bambu", "Jakarta Pusat"); otherwise the first must not be a rule word (title case: "Lapas Ricuh"), and
        later ones follow only a place head ("Tanjung Gusta") or are not Indonesian words
        ("Sukamiskin Bandung" yes, "Samarinda Gelar" no)."""
        words: list[re.Match[str]] = []
        at = pos
        while len(words) < 3 and (w := self.place_re.match(text, at)) is not None:
            if w.group(1).lower() in self._never_place:
                break
            words.append(w)
            at = w.end()
        if not words:
            return None, pos
        for n in range(len(words), 0, -1):  # a UPT's popular name first: "Tanjung Gusta" before the town "Tanjung"
            candidate = " ".join(w.group(1) for w in words[:n])
            if candidate.lower() in self._aliases:
                return candidate, words[n - 1].end()
        if known_unit is not None:
            for n in range(len(words), 0, -1):
                candidate = " ".join(w.group(1) for w in words[:n])
                if known_unit(candidate):
                    return candidate, words[n - 1].end()
        for n in range(len(words), 0, -1):
            candidate = " ".join(w.group(1) for w in words[:n])
            if known_place(candidate):
                return candidate, words[n - 1].end()
        first = words[0].group(1).lower()
        settled = first in self._ambiguous or first in self._heads
        if first in self._not_places or (not settled and (self.is_rule_word(first) or self.is_derived(first))):
            return None, pos
        taken = [words[0]]
        for w in words[1:]:
            word = w.group(1).lower()
            if (len(taken) == 1 and first in self._heads) or word in self._tails:
                taken.append(w)
            elif not (self.is_word(word) or self.is_rule_word(word) or word in self._province_of or word in self._not_places):
                taken.append(w)
            else:
                break
        return " ".join(w.group(1) for w in taken), taken[-1].end()

    # ---- Kanwil and places

    def kanwil(self, text: str) -> list[KanwilMention]:
        found = [self._kanwil(m, wide=False) for m in self.kanwil_re.finditer(text)]
        for pattern in self.wide_res:
            found += [self._kanwil(m, wide=True) for m in pattern.finditer(text)]
        return sorted(found, key=lambda k: k.start)

    def _kanwil(self, m: re.Match[str], wide: bool) -> KanwilMention:
        province = self._province_of[m.group(1).lower()]
        return KanwilMention(m.start(), m.end(), m.group(), province, kanwil_id(province), wide)

    def provinces(self, text: str) -> Iterable[tuple[int, int, str]]:
        return ((m.start(), m.end(), self._province_of[m.group().lower()]) for m in self.province_re.finditer(text))

    def province_of(self, name: str) -> str | None:
        return self._province_of.get(name.lower())


def _case_variants(word: str) -> str:
    """'Lapas' → Lapas|LAPAS (a name is capitalised; a lower-case 'lapas narkotika' may be prose)."""
    variants = {word, word.upper(), " ".join(w[:1].upper() + w[1:] for w in word.split())}
    return "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in sorted(variants, key=len, reverse=True))


def _class_value(written: str) -> str:
    return written.split(None, 1)[1].replace(" ", "").upper()


# --------------------------------------------------------------------------- whole text


def recognise(
    text: str, recogniser: Recogniser, known_place: PlaceCheck, known_unit: UnitCheck | None = None, split: int = 0
) -> Entities:
    """Facility and Kanwil mentions of ``text`` (original case; pass it through ``normalise`` first) and the
    text with their spans masked: a facility → its type word as written, a Kanwil → 'kanwil', a place or
    province alone → nothing. ``known_unit``: also read lower-case mentions of units the directory knows."""
    facilities = recogniser.facilities(text, known_place, known_unit)
    named = _Spans((f.start, f.end) for f in facilities)
    kanwil = [k for k in recogniser.kanwil(text) if not named.covers(k.start, k.end)]
    places = {f.place for f in facilities if f.place}
    spans: list[tuple[int, int, str]] = [(f.start, f.end, f" {f.type_written} ") for f in facilities]
    spans += [(k.start, k.end, " kanwil " if not k.wide else " ") for k in kanwil]
    taken = _Spans((s, e) for s, e, _ in spans)
    loose = [(s, e, p) for s, e, p in recogniser.provinces(text) if not taken.overlaps(s, e)]
    provinces = list(dict.fromkeys(p for _, _, p in loose))
    if places:
        alone = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(places, key=len, reverse=True)) + r")\b")
        loose += [(m.start(), m.end(), m.group()) for m in alone.finditer(text) if not taken.overlaps(m.start(), m.end())]
    spans += [(s, e, " ") for s, e, _ in loose]
    masked, masked_split = _mask(text, spans, split)
    return Entities(facilities, kanwil, sorted(loose), provinces, masked, masked_split)


class _Spans:
    """Spans sorted by start with the running maximum of their ends: 'overlaps'/'covers' in O(log n), so that
    thousands of mentions in a 50 000-character text are not compared pairwise."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [s for s, _ in ordered]
        self.max_end: list[int] = []
        for _, e in ordered:
            self.max_end.append(max(e, self.max_end[-1]) if self.max_end else e)

    def _reach(self, index: int) -> int:
        return self.max_end[index - 1] if index > 0 else -1

    def overlaps(self, start: int, end: int) -> bool:
        """Some span starts before ``end`` and ends after ``start``."""
        return self._reach(bisect_left(self.starts, end)) > start

    def covers(self, start: int, end: int) -> bool:
        """Some span starts at or before ``start`` and ends at or after ``end``."""
        return self._reach(bisect_right(self.starts, start)) >= end


def _mask(text: str, spans: list[tuple[int, int, str]], split: int = 0) -> tuple[str, int]:
    """The text with each span replaced, and where the original position ``split`` lands in it."""
    out, at, length, moved = [], 0, 0, None
    for start, end, replacement in sorted(spans):
        if start < at:
            continue
        if moved is None and start >= split:
            moved = length + (split - at)
        out += [text[at:start], replacement]
        length += (start - at) + len(replacement)
        at = end
    if moved is None:
        moved = length + max(split - at, 0)
    out.append(text[at:])
    return "".join(out), moved
