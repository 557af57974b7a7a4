"""Roster: units, regional offices and the people who hold each crisis role (``runbooks/roster.yaml``)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from pasopati.plan.runbook import Level, RoleRef, Slug, Strict, Wording

UnitType = Literal["lapas", "rutan", "bapas", "lpka", "rupbasan"]
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
    desks: dict[Slug, Desk] = Field(description="Org id (unit, kanwil, 'ditjenpas', 'kementerian') → its Humas desk.")

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

    def kanwil_of(self, unit: Unit) -> Kanwil:
        return next(k for k in self.kanwil if k.id == unit.kanwil)

    def find_unit(self, name: str) -> Unit | None:
        """Match a unit by id, official name or alias, ignoring case and spacing."""
        wanted = _normalise(name)
        for unit in self.units:
            if wanted in {_normalise(n) for n in (unit.id, unit.name, *unit.aliases)}:
                return unit
        return None

    def org_for(self, ref: RoleRef, unit: Unit) -> str:
        """The organisation a role at this level means for an incident at ``unit``."""
        if ref.level is Level.UPT:
            return unit.id
        if ref.level is Level.KANWIL:
            return unit.kanwil
        return HEADQUARTERS[ref.level]

    def desk_for(self, org: str, unit: Unit) -> Desk:
        """The Humas desk of ``org``; a unit without its own desk speaks through its Kanwil's."""
        return self.desks.get(org) or self.desks[unit.kanwil]

    def place_names(self) -> list[str]:
        """Every unit and office name, city and province: places, never a person (pasopati.privacy.names)."""
        return [*(u.name for u in self.units), *(u.city for u in self.units),
                *(k.name for k in self.kanwil), *(k.city for k in self.kanwil), *(k.province for k in self.kanwil)]

    def institution_contacts(self) -> list[str]:
        """Every desk's phone and e-mail: institutional, never personal data (pasopati.privacy allow-list)."""
        return [value for desk in self.desks.values() for value in (desk.phone, desk.email)]

    def holders(self, ref: RoleRef, unit: Unit) -> list[Person]:
        org = self.org_for(ref, unit)
        return [p for p in self.people if p.role == ref.role and p.org == org]

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
        deputy = self.roles[role].deputy
        return [p for p in self.people if p.role == deputy and p.org == org] if deputy else []


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-_.]+", " ", name).strip().lower()
