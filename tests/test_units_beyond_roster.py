"""Units outside the nine-unit sample roster (issue 12): every UPT of the gazetteer is known; an
incident at one without its own team goes to its Kanwil's team, and an event across a Kanwil's UPTs
is the Kanwil's incident. Where nobody could run it, the alert is kept as watch, saying why."""

from __future__ import annotations

import json

import pytest

from pasopati.alerts.classify import load_rules
from pasopati.alerts.models import Alert
from pasopati.db import Database
from pasopati.drafts.context import speaker
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Trigger
from pasopati.intake.pipeline import Intake
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Level, RoleRef, Severity
from pasopati.settings import get_settings
from pasopati.team import service as team
from tests.test_run_starts import TakingRuns

KAKANWIL_JABAR = "Dian Mulyana Kusnadi"  # runbooks/roster.yaml: kakanwil of kanwil-jawa-barat


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def test_every_upt_of_the_gazetteer_is_a_unit_with_its_kanwil_and_zone(cat: Catalog) -> None:
    roster = cat.roster
    # Written with the wrong class (it is Kelas IIA): the type and the place decide.
    garut, samarinda = roster.find_unit("Lapas Kelas IIB Garut"), roster.find_unit("lapas-narkotika-samarinda")
    assert garut is not None and (garut.id, garut.kanwil, garut.timezone) == ("lapas-garut", "kanwil-jawa-barat", "Asia/Jakarta")
    assert samarinda is not None and (samarinda.kanwil, samarinda.timezone) == ("kanwil-kalimantan-timur", "Asia/Makassar")
    assert roster.find_unit("Lapas Cipinang").kanwil == "kanwil-dki-jakarta"  # type: ignore[union-attr]  # the roster's own first
    assert roster.has_team(garut) and not roster.has_team(samarinda)


def test_a_unit_without_its_own_team_is_served_by_its_kanwils(cat: Catalog) -> None:
    roster = cat.roster
    garut = roster.find_unit("lapas-garut")
    assert garut is not None
    head = RoleRef(role="kepala-upt", level=Level.UPT)
    assert [p.name for p in roster.holders(head, garut)] == [KAKANWIL_JABAR]
    assert roster.org_for(head, garut) == "kanwil-jawa-barat"
    cipinang = roster.find_unit("lapas-cipinang")
    assert cipinang is not None and roster.stand_in(head, cipinang) == head  # a unit with its own team keeps it


def test_an_incident_at_such_a_unit_has_the_kanwils_team_and_speaks_with_its_titles(db: Database, cat: Catalog) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.RINGAN)
    report = Trigger(unit="Lapas Garut", summary="Dua warga binaan berkelahi di blok hunian", source="cli")
    incident = incidents.open_for_run(db, plan, report, cat.roster, "run-garut", None)
    assert (incident.unit_id, incident.kanwil_id, incident.unit_name) == ("lapas-garut", "kanwil-jawa-barat", "Lapas Kelas IIA Garut")
    crew = team.assemble(db, incident, plan, cat)
    heads = [m for m in crew.members if m.role == "kepala-upt"]
    assert [m.name for m in heads] == [KAKANWIL_JABAR] and heads[0].org == "kanwil-jawa-barat"
    assert heads[0].role_title.endswith("— dirangkap Kepala Kantor Wilayah Ditjenpas")  # who stands in, said so
    voice = speaker(incident, plan, cat)  # ringan: the UPT's Humas, here the Kanwil's, under the Kanwil's title
    assert voice.level is Level.KANWIL and voice.city == "Bandung"
    assert voice.title["id"] == "Petugas Humas Kantor Wilayah Direktorat Jenderal Pemasyarakatan Jawa Barat"


def test_a_unit_nobody_in_the_roster_serves_is_refused_naming_what_is_missing(cat: Catalog) -> None:
    plan = cat.plan("kesehatan", Severity.SEDANG)
    report = Trigger(unit="Lapas Narkotika Kelas IIA Samarinda", summary="Warga binaan meninggal di klinik", source="cli")
    with pytest.raises(incidents.UnknownUnit, match="has no team: roster.yaml lists nobody at the unit or at its Kanwil"):
        incidents.build(plan, report, cat.roster)
    with pytest.raises(incidents.UnknownUnit, match="neither the roster nor the gazetteer"):
        incidents.build(plan, report.model_copy(update={"unit": "Lapas Atlantis"}), cat.roster)


def test_intake_starts_a_crisis_anywhere_a_team_can_run_it_and_keeps_the_rest_saying_why(db: Database, cat: Catalog) -> None:
    intake = Intake(db, cat, load_rules(), TakingRuns(), get_settings())

    def post(text: str):  # type: ignore[no-untyped-def]
        alert = Alert(text=text, source="meltwater")
        (outcome,) = intake.receive([alert], "meltwater", [json.dumps(alert.model_dump(mode="json"))])
        return outcome

    garut = post("Tiga narapidana kabur dari Lapas Kelas IIB Garut dini hari, petugas melakukan pengejaran")
    assert (garut.status, garut.unit) == ("started", "lapas-garut"), garut.reasons
    opened = incidents.get(db, garut.incident_id)
    assert opened is not None and opened.kanwil_id == "kanwil-jawa-barat"

    region = post("Wabah diare menyerang warga binaan di lima UPT se-Jawa Barat, puluhan dirawat")
    assert (region.status, region.unit) == ("started", "kanwil-jawa-barat"), region.reasons
    office = incidents.get(db, region.incident_id)
    assert office is not None and (office.unit_type, office.unit_name) == ("kanwil", "sejumlah UPT Pemasyarakatan di Jawa Barat")

    far = post("Empat warga binaan kabur dari Lapas Narkotika Kelas IIA Samarinda")
    assert (far.status, far.unit, far.incident_id) == ("watch", "lapas-narkotika-samarinda", None)
    assert any("no team there nor at its Kanwil" in r for r in far.reasons), far.reasons


def test_the_deputy_of_a_kanwil_standing_in_is_the_kanwil_roles_deputy(cat: Catalog) -> None:
    """kepala-upt held by the Kakanwil: when the Kakanwil does not acknowledge, the Kakanwil's deputy
    (kadiv-pemasyarakatan) is called, not a KPLP the Kanwil does not have."""
    assert [p.role for p in cat.roster.deputies("kepala-upt", "kanwil-jawa-barat")] == ["kadiv-pemasyarakatan"]
    assert [p.role for p in cat.roster.deputies("kepala-upt", "lapas-cipinang")] == ["kepala-kpr"]


def test_a_name_several_units_share_finds_none_and_the_trigger_names_them(cat: Catalog) -> None:
    """Adversarial review: "Lapas Nusakambangan" quietly meant Lapas Batu (one of nine prisons on the
    island), "Lapas Tangerang" the Kelas I one of two."""
    roster = cat.roster
    assert roster.find_unit("Lapas Nusakambangan") is None and len(roster.candidates("Lapas Nusakambangan")) >= 5
    assert roster.find_unit("Lapas Tangerang") is None
    assert roster.candidates("Lapas Tangerang") == ["lapas-tangerang-kelas-i", "lapas-tangerang-kelas-iia"]
    assert roster.find_unit("Lapas Kelas I Tangerang").id == "lapas-tangerang-kelas-i"  # type: ignore[union-attr]
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    with pytest.raises(incidents.UnknownUnit, match=r"'Lapas Nusakambangan' names \d+ units \(lapas-batu-nusakambangan, "):
        incidents.build(plan, Trigger(unit="Lapas Nusakambangan", summary="Napi kabur", source="cli"), cat.roster)


def test_alerts_about_one_of_its_upts_join_the_event_open_across_the_kanwil(db: Database, cat: Catalog) -> None:
    """Adversarial review: an outbreak across Jawa Barat's UPTs, then alerts about Lapas Sukamiskin
    and Lapas Garut, made three incidents and three runs for one crisis."""
    intake = Intake(db, cat, load_rules(), TakingRuns(), get_settings())

    def post(text: str):  # type: ignore[no-untyped-def]
        alert = Alert(text=text, source="meltwater")
        (outcome,) = intake.receive([alert], "meltwater", [json.dumps(alert.model_dump(mode="json"))])
        return outcome

    region = post("Wabah diare menyerang warga binaan di lima UPT se-Jawa Barat, puluhan dirawat")
    assert region.status == "started", region.reasons
    garut = post("Diare menyerang puluhan warga binaan Lapas Kelas IIA Garut, sebagian dirujuk ke RSUD")
    assert (garut.status, garut.incident_id) in {("attached", region.incident_id), ("duplicate", region.incident_id),
                                                 ("escalated", region.incident_id)}, garut.reasons


def test_a_kanwil_wide_incident_says_where_in_words_a_reader_understands(db: Database, cat: Catalog) -> None:
    from pasopati.drafts.context import where

    plan = cat.plan("kesehatan", Severity.LUAR_BIASA)
    report = Trigger(unit="kanwil-jawa-barat", summary="Wabah diare di lima UPT se-Jawa Barat", source="cli")
    incident = incidents.build(plan, report, cat.roster)
    assert where(incident, "id") == "sejumlah UPT Pemasyarakatan di Jawa Barat"  # never "di Kantor Wilayah …"
    assert where(incident, "en", headline=True) == "Several Correctional Units in Jawa Barat"


def test_a_blank_reason_for_a_new_incident_is_refused_naming_the_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="new_incident_reason"):
        Trigger(unit="Lapas Cipinang", summary="Napi kabur", source="ui", new_incident_reason="   ")
