"""Roster: units, regional offices and the people who hold each crisis role (``runbooks/roster.yaml``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from pasopati.plan.runbook import Level, RoleRef, Slug, Strict, Wording

UnitType = Literal["lapas", "rutan", "bapas", "lpka", "rupbasan", "kanwil"]  # "kanwil": a Kanwil-wide incident
HEADQUARTERS = {Level.DITJENPAS: "ditjenpas", Level.KEMENTERIAN: "kementerian"}


class Role(Strict):
    title: str
    public_title: Wording = Field(description="Title in public texts; {unit}, {kanwil}, {province} are filled in.")
    level: Level
    deputy: Slug | None = Field(None, description="Role (same level, same org) that stands in when a holder is unreachable.")


class Kanwil(Strict):
    id: Slug
    name: str
    province: str
    city: str = Field(description="Where the office sits: the place of a press release's dateline.")
    timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] = "Asia/Jakarta"


class Unit(Strict):
    id: Slug
    name: str = Field(description="Official name, e.g. 'Lapas Kelas I Cipinang'.")
    type: UnitType
    kanwil: Slug
    timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] = "Asia/Jakarta"
    city: str = Field(description="Where the unit sits: the place of a press release's dateline.")
    aliases: list[str] = Field([], description="Short forms used in the press: 'Lapas Cipinang'.")


class Person(Strict):
    name: str
    role: Slug
    org: Slug = Field(description="Unit id, kanwil id, 'ditjenpas' or 'kementerian'.")
    contact: str = Field("", description="Apprise URL used to notify this person.")


class Desk(Strict):
    """An organisation's official Humas desk: the press release's Narahubung (WRITING.md: an office
    phone and e-mail, never a personal number)."""

    name: str
    name_en: str = Field("", description="The desk's name in English texts (empty: the Indonesian name).")
    phone: str
    email: str


class Roster(Strict):
    roles: dict[Slug, Role]
    kanwil: list[Kanwil]
    units: list[Unit]
    people: list[Person]
    desks: dict[Slug, Desk] = Field(description="Org id (unit, kanwil, 'ditjenpas' or 'kementerian') → its Humas desk.")
    upt_stand_ins: dict[Slug, Slug] = Field(
        default_factory=dict,
        description="UPT role → the Kanwil role that holds it at a unit without its own team here (issue 12: "
        "incidents at a unit without a roster team go to its Kanwil's team).",
    )

    # Units and offices known from the gazetteer (pasopati.plan.gazetteer), without people of their own.
    _more_units: dict[str, Unit] = PrivateAttr(default_factory=dict)
    _more_kanwil: dict[str, Kanwil] = PrivateAttr(default_factory=dict)
    _staffed: frozenset[str] = PrivateAttr(frozenset())
    _ambiguous: dict[str, list[str]] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references_resolve(self) -> Roster:
        kanwil_ids = {k.id for k in self.kanwil}
        unit_ids = {u.id for u in self.units}
        for unit in self.units:
            if unit.kanwil not in kanwil_ids:
                raise ValueError(f"unit {unit.id!r}: unknown kanwil {unit.kanwil!r}")
        orgs = {Level.UPT: unit_ids, Level.KANWIL: kanwil_ids} | {
            level: {org} for level, org in HEADQUARTERS.items()
        }
        for role_id, role in self.roles.items():
            deputy = self.roles.get(role.deputy) if role.deputy else None
            if role.deputy and (deputy is None or deputy.level is not role.level):
                raise ValueError(f"role {role_id!r}: deputy {role.deputy!r} is not a {role.level.value} role")
        for level in (Level.DITJENPAS, Level.KEMENTERIAN):
            if HEADQUARTERS[level] not in self.desks:
                raise ValueError(f"desks: no desk for {HEADQUARTERS[level]!r}")
        for kanwil in self.kanwil:
            if kanwil.id not in self.desks:
                raise ValueError(f"desks: no desk for {kanwil.id!r}")
        for upt_role, kanwil_role in self.upt_stand_ins.items():
            for role_id, level in ((upt_role, Level.UPT), (kanwil_role, Level.KANWIL)):
                if role_id not in self.roles or self.roles[role_id].level is not level:
                    raise ValueError(f"upt_stand_ins: {role_id!r} is not a {level.value} role")
        for person in self.people:
            role = self.roles.get(person.role)
            if role is None:
                raise ValueError(f"person {person.name!r}: unknown role {person.role!r}")
            if person.org not in orgs[role.level]:
                raise ValueError(
                    f"person {person.name!r}: role {person.role!r} is a {role.level.value} role,"
                    f" but org {person.org!r} is not a {role.level.value}"
                )
        return self

    def extend(self, units: Iterable[Unit], kanwil: Iterable[Kanwil]) -> None:
        """Make units and offices of the gazetteer known (never replacing the roster's own): found by
        ``find_unit``, their UPT roles held by their Kanwil's team (``upt_stand_ins``). A Kanwil office
        is also a unit (type "kanwil") for an incident across its UPTs."""
        own_kanwil = {k.id for k in self.kanwil}
        offices = {k.id: k for k in kanwil if k.id not in own_kanwil}
        self._more_kanwil.update(offices)
        named: dict[str, dict[str, Unit]] = {}
        for unit in [*units, *(_office(k) for k in (*self.kanwil, *offices.values()))]:
            if self._find_own(unit.id) is None:
                for name in (unit.id, unit.name, *unit.aliases):
                    for key in {_normalise(name), _normalise(_declassed(name))}:
                        named.setdefault(key, {})[unit.id] = unit
        # A name several units share ("Lapas Nusakambangan", "Lapas Tangerang") finds none of them.
        self._more_units.update({key: next(iter(found.values())) for key, found in named.items() if len(found) == 1})
        self._ambiguous.update({key: sorted(found) for key, found in named.items() if len(found) > 1})
        self._staffed = frozenset(p.org for p in self.people)

    def candidates(self, name: str) -> list[str]:
        """The unit ids a name shared by several units could mean ([] when it is not shared)."""
        return self._ambiguous.get(_normalise(name)) or self._ambiguous.get(_normalise(_declassed(name))) or []

    def known_units(self) -> list[Unit]:
        """Every unit ``find_unit`` finds: the roster's own, the gazetteer's UPTs and Kanwil offices."""
        return [*self.units, *{u.id: u for u in self._more_units.values()}.values()]

    def kanwil_of(self, unit: Unit) -> Kanwil:
        own = next((k for k in self.kanwil if k.id == unit.kanwil), None)
        return own or self._more_kanwil[unit.kanwil]

    def find_unit(self, name: str) -> Unit | None:
        """Match a unit by id, official name or alias, ignoring case and spacing: the roster's own
        first, then the gazetteer's (after ``extend``)."""
        return (self._find_own(name) or self._more_units.get(_normalise(name))
                or self._more_units.get(_normalise(_declassed(name))))  # "Lapas Kelas IIB Garut" for the IIA one

    def _find_own(self, name: str) -> Unit | None:
        wanted = _normalise(name)
        for unit in self.units:
            if wanted in {_normalise(n) for n in (unit.id, unit.name, *unit.aliases)}:
                return unit
        return None

    def has_team(self, unit: Unit) -> bool:
        """Whether anyone here holds a role for an incident at ``unit``: its own people, or its Kanwil's
        (who stand in for a unit without its own team)."""
        staffed = self._staffed or frozenset(p.org for p in self.people)
        return unit.id in staffed or unit.kanwil in staffed

    def stand_in(self, ref: RoleRef, unit: Unit) -> RoleRef:
        """The role that acts for ``ref`` at ``unit``: a UPT role at a unit without its own team is held
        by its Kanwil's stand-in (``upt_stand_ins``); every other role is itself."""
        staffed = self._staffed or frozenset(p.org for p in self.people)
        if ref.level is Level.UPT and unit.id not in staffed and ref.role in self.upt_stand_ins:
            return RoleRef(role=self.upt_stand_ins[ref.role], level=Level.KANWIL)
        return ref

    def org_for(self, ref: RoleRef, unit: Unit) -> str:
        """The organisation a role at this level means for an incident at ``unit``."""
        ref = self.stand_in(ref, unit)
        if ref.level is Level.UPT:
            return unit.id
        if ref.level is Level.KANWIL:
            return unit.kanwil
        return HEADQUARTERS[ref.level]

    def desk_for(self, org: str, unit: Unit) -> Desk:
        """The Humas desk of ``org``; a unit without its own desk speaks through its Kanwil's, a
        Kanwil without one through Ditjenpas's."""
        return self.desks.get(org) or self.desks.get(unit.kanwil) or self.desks[HEADQUARTERS[Level.DITJENPAS]]

    def place_names(self) -> list[str]:
        """Every unit and office name, city and province: places, never a person (pasopati.privacy.names)."""
        units = self.known_units()
        offices = [*self.kanwil, *self._more_kanwil.values()]
        return [*(u.name for u in units), *(u.city for u in units),
                *(k.name for k in offices), *(k.city for k in offices), *(k.province for k in offices)]

    def institution_contacts(self) -> list[str]:
        """Every desk's phone and e-mail: institutional, never personal data (pasopati.privacy allow-list)."""
        return [value for desk in self.desks.values() for value in (desk.phone, desk.email)]

    def holders(self, ref: RoleRef, unit: Unit) -> list[Person]:
        acting = self.stand_in(ref, unit)
        org = self.org_for(acting, unit)
        return [p for p in self.people if p.role == acting.role and p.org == org]

    def holder_named(self, name: str, refs: list[RoleRef], unit: Unit) -> Person | None:
        """The person called ``name`` if they hold one of ``refs`` for an incident at ``unit``."""
        wanted = _normalise(name)
        return next(
            (p for ref in refs for p in self.holders(ref, unit) if _normalise(p.name) == wanted),
            None,
        )

    def person_named(self, name: str) -> Person | None:
        wanted = _normalise(name)
        return next((p for p in self.people if _normalise(p.name) == wanted), None)

    def deputies(self, role: str, org: str) -> list[Person]:
        if role in self.upt_stand_ins and (org in self._more_kanwil or any(k.id == org for k in self.kanwil)):
            role = self.upt_stand_ins[role]  # a UPT role its Kanwil holds: the stand-in's deputy stands in
        deputy = self.roles[role].deputy
        return [p for p in self.people if p.role == deputy and p.org == org] if deputy else []


def _office(kanwil: Kanwil) -> Unit:
    """A Kanwil's region as the unit of an incident across its UPTs (its team: the Kanwil's). Its name
    is what public texts say where it happened: "warga binaan di sejumlah UPT Pemasyarakatan di
    Jawa Barat", never at the office itself."""
    return Unit(id=kanwil.id, name=f"sejumlah UPT Pemasyarakatan di {kanwil.province}", type="kanwil", kanwil=kanwil.id,
                city=kanwil.city, timezone=kanwil.timezone, aliases=[kanwil.name])


CLASS_RE = re.compile(r"\b(?:kelas|klas)\s+(?:iii|iib|iia|ii|i|[1-4][ab]?)\b", re.IGNORECASE)


def _declassed(name: str) -> str:
    """A unit's name without its class: the class is often miswritten, the type and place are not."""
    return CLASS_RE.sub(" ", name)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-_.]+", " ", name).strip().lower()
