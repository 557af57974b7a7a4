"""Gazetteer of UPT and Kanwil (pasopati.plan.gazetteer): data files, id scheme and lookups. No server needed."""

from __future__ import annotations

import socket
import time
from collections import Counter
from pathlib import Path

import pytest

from pasopati.plan.gazetteer import (
    Gazetteer,
    GazetteerError,
    load_gazetteer,
    scheme_id,
)

FOLDER = Path(__file__).resolve().parents[1] / "runbooks" / "gazetteer"
ROSTER_IDS = {
    "lapas-cipinang", "rutan-salemba", "rutan-pondok-bambu", "lapas-banyuasin", "lapas-pangkalpinang",
    "lapas-nabire", "lapas-sukamiskin", "lpka-bandung", "lapas-makassar",
}
# Counts reported for the committed data (a floor: data may grow, never shrink unnoticed).
MIN_COUNTS = {"lapas": 337, "rutan": 162, "bapas": 80, "lpka": 32, "rupbasan": 2}


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return load_gazetteer(FOLDER)


def test_every_file_loads_fast(gaz: Gazetteer) -> None:
    start = time.perf_counter()
    load_gazetteer(FOLDER)
    assert time.perf_counter() - start < 1.0
    assert len(list(FOLDER.glob("upt-*.yaml"))) == len(gaz.kanwils) == 33


def test_counts_per_type(gaz: Gazetteer) -> None:
    counts = Counter(u.type for u in gaz.units.values())
    for unit_type, floor in MIN_COUNTS.items():
        assert counts[unit_type] >= floor, unit_type
    assert len(gaz.units) >= sum(MIN_COUNTS.values())


def test_ids_follow_the_scheme(gaz: Gazetteer) -> None:
    for unit in gaz.units.values():
        if unit.id in ROSTER_IDS:
            continue
        assert unit.id == scheme_id(unit) or unit.id.startswith(scheme_id(unit) + "-"), unit.id


def test_every_entry_has_a_source_and_a_known_kanwil(gaz: Gazetteer) -> None:
    for office in gaz.kanwils.values():
        assert office.source and office.id.startswith("kanwil-")
    for unit in gaz.units.values():
        assert unit.source
        assert unit.kanwil in gaz.kanwils
        assert unit.province in gaz.kanwils[unit.kanwil].provinces_served


def test_roster_units_and_kanwil_exist(gaz: Gazetteer) -> None:
    assert ROSTER_IDS <= set(gaz.units)
    assert gaz.unit("rutan-salemba").name == "Rutan Kelas I Jakarta Pusat"
    for kanwil_id in ("kanwil-dki-jakarta", "kanwil-jawa-barat", "kanwil-sumatera-selatan",
                      "kanwil-kepulauan-bangka-belitung", "kanwil-sulawesi-selatan"):
        assert gaz.kanwil(kanwil_id).id == kanwil_id
    # No Kanwil Ditjenpas of its own in public sources: the roster id resolves to the serving office.
    assert gaz.kanwil("kanwil-papua-tengah").id == "kanwil-papua"
    assert gaz.unit("lapas-nabire").province == "Papua Tengah"
    assert gaz.kanwil("kanwil-atlantis") is None


def test_find_uses_qualifiers_and_class(gaz: Gazetteer) -> None:
    narkotika = gaz.find("lapas", "Samarinda", ["narkotika"])
    general = gaz.find("lapas", "Samarinda")
    assert narkotika.id == "lapas-narkotika-samarinda"
    assert general.id == "lapas-samarinda"
    assert gaz.find("LP", "  samarinda. ") == general
    assert gaz.find("rutan", "Salemba").id == "rutan-salemba"  # alias place
    assert gaz.find("lapas", "Kutai Kartanegara", ["perempuan"]).id == "lapas-perempuan-tenggarong"  # regency
    assert gaz.find("lapas", "Tangerang") is None  # two general Lapas: a tie
    assert gaz.find("lapas", "Tangerang", class_="I").id == "lapas-tangerang-kelas-i"
    assert gaz.find("penjara", "Samarinda") is None


def test_alias_and_ambiguity(gaz: Gazetteer) -> None:
    assert gaz.by_alias("Lapas Cipinang").id == "lapas-cipinang"
    assert gaz.by_alias("lp sukamiskin").id == "lapas-sukamiskin"
    assert gaz.by_alias("Lapas Narkotika Kelas IIA Samarinda").id == "lapas-narkotika-samarinda"
    assert gaz.by_alias("LP Nusakambangan") is None
    candidates = {u.id for u in gaz.ambiguous("LP Nusakambangan")}
    assert {"lapas-batu-nusakambangan", "lapas-pasir-putih-nusakambangan"} <= candidates
    assert gaz.ambiguous("Lapas Cipinang") == []


def test_place_kanwil_uses_local_region_data(gaz: Gazetteer, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("place_kanwil reached the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert gaz.place_kanwil("Serang") == ("Banten", "kanwil-banten")
    assert gaz.place_kanwil("Kabupaten Kutai Kartanegara") == ("Kalimantan Timur", "kanwil-kalimantan-timur")
    assert gaz.place_kanwil("Kab. Nabire") == ("Papua Tengah", "kanwil-papua")
    assert gaz.place_kanwil("Tenggarong") == ("Kalimantan Timur", "kanwil-kalimantan-timur")
    assert gaz.place_kanwil("Nusakambangan") == ("Jawa Tengah", "kanwil-jawa-tengah")
    assert gaz.place_kanwil("Pangkal Pinang") == ("Kepulauan Bangka Belitung", "kanwil-kepulauan-bangka-belitung")
    assert gaz.place_kanwil("Atlantis") is None


def test_malformed_file_is_reported_as_file_field_reason(tmp_path: Path) -> None:
    for source in FOLDER.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    target = tmp_path / "upt-bali.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace("type: lapas", "type: penjara", 1), encoding="utf-8")
    with pytest.raises(GazetteerError) as caught:
        load_gazetteer(tmp_path)
    problem = caught.value.problems[0]
    assert problem.file.endswith("upt-bali.yaml")
    assert problem.field.startswith("units.") and problem.field.endswith(".type")
    assert str(problem).startswith(f"{problem.file}: units.")


def test_unknown_kanwil_and_duplicate_ids_are_problems(tmp_path: Path) -> None:
    for source in FOLDER.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    bali = (tmp_path / "upt-bali.yaml").read_text(encoding="utf-8")
    (tmp_path / "upt-copy.yaml").write_text(bali, encoding="utf-8")
    (tmp_path / "upt-x.yaml").write_text(bali.replace("kanwil-bali", "kanwil-atlantis"), encoding="utf-8")
    with pytest.raises(GazetteerError) as caught:
        load_gazetteer(tmp_path)
    reasons = " ".join(p.reason for p in caught.value.problems)
    assert "duplicate id" in reasons and "unknown Kanwil 'kanwil-atlantis'" in reasons
