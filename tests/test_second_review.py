"""What the adversarial review and the new-user trial of issue 10's second round found, each kept
fixed: names in public facts, ranges shortened into exact figures, English thousands, Indonesian
passed off as English, corrected translations, security details in other words, clock times
without "pukul", weekdays, and a draft written from an older fact version."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pasopati.drafts.context import figure
from pasopati.drafts.models import Draft
from pasopati.drafts.preview import preview, reviewed_preview
from pasopati.drafts.review import stale
from pasopati.facts.models import Fact
from pasopati.facts.service import (
    UntrueTranslation,
    check_english,
    check_submission,
)
from pasopati.figures import figures
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import MessageType, Severity
from pasopati.privacy import scan
from pasopati.privacy.names import names_in, place_words
from pasopati.publications.corrections import _changes

AT = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize(
    ("value", "child_unit", "named"),
    [
        ("Dua anak binaan, Muhammad Rizky, 15, dan Andi Saputra, 16, luka ringan", True, ["Muhammad Rizky", "Andi Saputra"]),
        ("Dua anak binaan, Rizky dan Andi, kabur", True, ["Rizky", "Andi"]),
        ("Nama anak binaan: Rizky.", True, ["Rizky"]),
        ("Dua ABH, RIZKY RAMADHAN dan ANDI SAPUTRA, kabur.", True, ["RAMADHAN", "ANDI", "SAPUTRA"]),
        ("Korban: Budi Santoso (45) dirawat", False, ["Budi Santoso"]),
        ("Korban meninggal: WBP Sutrisno.", False, ["Sutrisno"]),
        ("Polres Bandung menangkap kembali satu warga binaan di Kabupaten Garut", False, []),
        ("Koordinasi dengan BPBD Kabupaten Nabire dan Basarnas", True, []),
        ("Kebakaran di dapur Rutan Kelas I Depok pada Senin pagi", True, []),
        ("Dirujuk ke RSUD dr. Slamet Garut oleh petugas Lapas", False, []),
        ("Tidak ada petugas maupun warga binaan yang terluka", False, []),
    ],
)
def test_names_in_public_facts_are_found_places_and_offices_are_not(cat: Catalog, value: str, child_unit: bool, named: list[str]) -> None:
    places = place_words(cat.roster.place_names())
    found = names_in(value, places, child_unit=child_unit)
    assert all(any(n in f for f in found) for n in named) and (found == []) == (named == []), found


def test_a_name_in_a_public_fact_is_an_overridable_finding_not_a_refused_verification(cat: Catalog) -> None:
    """The second adversarial review: refusing names at submission refused 16-20 % of correct values
    (a hospital named after a person, a town off the roster); a finding costs a reason instead."""
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    check_submission(plan, {"korban": "Korban: Budi Santoso (45) dirawat"}, "Klinik Lapas", None, {}, {})  # accepted
    facts = {"apa": {"value": "Satu warga binaan melarikan diri", "source": "Kepala Lapas"},
             "korban": {"value": "Petugas jaga, Agus Santoso, luka ringan", "source": "Klinik Lapas"}}
    reviewed = reviewed_preview(cat, "keamanan-ketertiban", Severity.SEDANG, "Lapas Sukamiskin", "kabur", facts, now=AT)
    holding = next(r for d, r in reviewed if d.message_type is MessageType.HOLDING_STATEMENT)
    assert [(f.rule, f.text, f.overridable) for f in holding.findings] == [("private_name", "Agus Santoso", True)]


@pytest.mark.parametrize("value", ["12 hingga 15 orang", "12 orang, belum terkonfirmasi", "12 orang (sementara)", "05.00 WIB: 3 orang",
                                   "2 x 12 orang"])
def test_a_range_or_a_provisional_count_is_never_shortened_into_an_exact_figure(cat: Catalog, value: str) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    item = plan.item("jumlah_wbp_terlibat")
    assert item is not None
    assert figure(value, item, "id", plan.count_qualifiers) == value
    assert figure("12 orang", item, "id", plan.count_qualifiers) == "12"
    assert figure("sekitar 60 orang", item, "en", plan.count_qualifiers) == "about 60"


def test_english_thousands_are_thousands() -> None:
    assert [n for n, _, _ in figures("1,200 people and 2,000,000 residents", "en")] == [1200, 2000000]
    assert [n for n, _, _ in figures("1.200 orang, 2,5 ton", "id")] == [1200, 2.5]
    check_english({"apa": "1,200 people were evacuated"}, {"apa": "Sebanyak 1.200 orang dievakuasi"})


@pytest.mark.parametrize("english", ["Kebakaran di dapur", "3 warga binaan luka-luka di blok B"])
def test_indonesian_is_not_accepted_as_english(english: str) -> None:
    with pytest.raises(UntrueTranslation, match="not English"):
        check_english({"apa": english}, {"apa": "Kebakaran di dapur" if "Kebakaran" in english else "Tiga warga binaan luka-luka di blok B"})


def _fact(version: int, value: str, english: str | None) -> Fact:
    return Fact(item_id="korban", label="Korban", value=value, value_en=english, source="Klinik", verified_by="Uji", recorded_at=AT,
                version=version)


def _draft(language: str) -> Draft:
    return Draft(id=f"d-{language}", incident_id="i", severity=Severity.SEDANG, message_type=MessageType.HOLDING_STATEMENT,
                 language=language, body="…", channels=["akun-upt"], due_at=AT, created_at=AT, fact_versions={"korban": 1})


def test_a_corrected_translation_flags_what_went_out_in_english_only() -> None:
    history = [_fact(1, "Tiga warga binaan meninggal", "Three inmates died"),
               _fact(2, "Tiga warga binaan meninggal", "Three inmates were slightly injured")]
    assert [c.new.version for c in _changes(_draft("en"), history)] == [2]
    assert _changes(_draft("id"), history) == [], "the Indonesian text stated the same value"
    untranslated = [_fact(1, "Tiga warga binaan meninggal", None), _fact(2, "Tiga warga binaan meninggal", "Three inmates died")]
    assert _changes(_draft("en"), untranslated) == [], "an English text that left the fact out never stated it"
    assert stale(_draft("id"), history) == ["korban v1 → v2"]


def test_security_details_in_other_words_and_clock_times_without_pukul(cat: Catalog) -> None:
    from pasopati.drafts.coherence import internal_detail_problems, time_problems

    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    for text in ["melalui tembok belakang yang jebol", "melalui gorong-gorong di bawah dapur", "through a hole in the north wall"]:
        assert internal_detail_problems(text, plan), text
    assert internal_detail_problems("Gempa merusak dinding blok hunian.", plan) == []
    issued = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # 13.00 WIB
    assert [p.text for p in time_problems("Mereka kembali jam 23.00 tadi.", issued, "Asia/Jakarta")] == ["jam 23.00"]
    assert [p.text for p in time_problems("They returned at 23:00.", issued, "Asia/Jakarta")] == ["at 23:00"]


def test_treatment_overdose_and_pregnancy_are_health_data() -> None:
    for text, found in [("menjalani terapi ARV di klinik", "terapi ARV"), ("meninggal karena overdosis", "overdosis"),
                        ("sedang hamil tujuh bulan", "hamil tujuh bulan")]:
        assert [(f.rule, f.text) for f in scan(text)] == [("health", found)]
    assert scan("Layanan kesehatan ibu hamil tetap berjalan.") == []


@pytest.mark.parametrize(
    ("value", "english", "refused"),
    [
        ("pada Senin, 30 November 2026 pukul 05.00 WIB", "on Monday, 30 November 2026 at 05:00 WIB", False),
        ("pukul 05.00 WIB, 30 November 2026", "17:00 WIB, 30 November 2026", True),
        ("rekaman lama dari tahun 2019", "an old recording from 2025", True),
        ("Seorang warga binaan meninggal", "One inmate died", False),
    ],
)
def test_a_translation_states_the_same_times_dates_and_years(value: str, english: str, refused: bool) -> None:
    if refused:
        with pytest.raises(UntrueTranslation, match="times and dates"):
            check_english({"kapan": english}, {"kapan": value})
    else:
        check_english({"kapan": english}, {"kapan": value})


@pytest.mark.parametrize(
    ("value", "english", "accepted"),
    [
        ("Senin, 21 November 2022 pukul 13.21 WIB", "Monday, November 21, 2022 at 13:21 WIB", True),
        ("Ketinggian air 1,20 meter", "Water level of 1.20 metres", True),
        ("PP 94 Tahun 2021", "Government Regulation No. 94 of 2021", True),
        ("Satu warga binaan meninggal", "An inmate died", True),
        ("Tembok roboh", "A wall collapsed", True),
        ("Pukul 23.15 WIT", "At 23:15 WIB", False),
        ("14 April 2025", "14 May 2025", False),
        ("pada hari Senin", "on Tuesday", False),
        ("Tidak ada korban jiwa.", "One inmate died.", False),
        ("Satu orang meninggal dunia.", "No one died.", False),
        ("Seorang WBP meninggal dunia.", "Several inmates died.", False),
    ],
)
def test_second_review_translations(value: str, english: str, accepted: bool) -> None:
    if accepted:
        check_english({"kapan": english}, {"kapan": value})
    else:
        with pytest.raises(UntrueTranslation):
            check_english({"kapan": english}, {"kapan": value})


@pytest.mark.parametrize(
    ("text", "internal"),
    [
        ("Plafon ruang kunjungan jebol akibat gempa; saluran air tersumbat.", False),
        ("Gempa menyebabkan dinding blok hunian roboh.", False),
        ("Tembok bagian belakang roboh.", True),
        ("Mereka memanjat tembok belakang menggunakan tali.", True),
        ("CCTV di Blok C sedang dalam perbaikan.", True),
        ("They escaped through the sewer.", True),
        ("Gembok pintu kamar dirusak dengan obeng.", True),
    ],
)
def test_second_review_security_details(cat: Catalog, text: str, internal: bool) -> None:
    from pasopati.drafts.coherence import internal_detail_problems

    assert bool(internal_detail_problems(text, cat.plan("bencana-alam", Severity.SEDANG))) is internal


@pytest.mark.parametrize(
    ("text", "later"),
    [
        ("Kemarin sore pukul 16.00 WIB petugas menemukan.", False),
        ("Yesterday at 16:00 WIB officers found them.", False),
        ("Pada Senin 14 April pukul 10.00 WIB terjadi.", False),
        ("Pada Ahad pukul 10.00 WIB terjadi.", False),
        ("Kunjungan ditiadakan hingga pukul 18.00 WIB.", False),
        ("The escape was discovered by officers at 14:00 WIB.", True),
        ("Sampai saat ini, pukul 14.00 WIB, dua masih dicari.", True),
        ("They returned at 8:00 p.m. WIB.", True),
    ],
)
def test_second_review_times(text: str, later: bool) -> None:
    from pasopati.drafts.coherence import time_problems

    issued = datetime(2025, 4, 15, 2, 0, tzinfo=UTC)  # Tuesday 15 April 2025, 09.00 WIB
    assert bool(time_problems(text, issued, "Asia/Jakarta")) is later


# Humas review 4 --------------------------------------------------------------------------------------
def test_a_holding_statement_states_a_verified_death_before_its_condolence_and_a_done_actions_result(cat: Catalog) -> None:
    facts = {"apa": {"value": "Terjadi kerusuhan yang diikuti pelarian sejumlah warga binaan", "source": "Kepala Lapas"},
             "korban": {"value": "Satu petugas meninggal dunia", "source": "RSUD Nabire"},
             "hasil_hitung_sdp": {"value": "24 warga binaan tidak berada di dalam lapas", "source": "SDP"},
             "tindakan": {"value": "Situasi telah dapat dikendalikan sejak pukul 01.15 WIT", "source": "Kepala Lapas"}}
    (holding, *_) = [d for d in preview(cat, "keamanan-ketertiban", Severity.BERAT, "Lapas Makassar", "laporan awal", facts, now=AT)
                     if d.language == "id"]
    body = holding.body
    assert "24 warga binaan tidak berada di dalam lapas" in body and "dikendalikan" in body
    assert body.index("Satu petugas meninggal dunia") < body.index("duka cita"), "the death is stated before the condolence"
    assert "melakukan penghitungan ulang" not in body, "the recount is done: its result is said instead"


def test_a_rumours_time_is_when_it_began_to_circulate_and_lists_never_say_dan_dan(cat: Catalog) -> None:
    from pasopati.texts import join_list

    facts = {"apa": {"value": "Beredar video yang menyebut terjadi pesta di blok hunian", "source": "Kepala Lapas"},
             "kapan": {"value": "pada Senin sekitar pukul 05.00 WITA", "source": "Kepala Lapas"}}
    (holding, *_) = preview(cat, "opini-publik", Severity.SEDANG, "Lapas Makassar", "laporan awal", facts, now=AT)
    assert "Konten tersebut mulai beredar pada Senin" in holding.body and "Peristiwa tersebut terjadi" not in holding.body
    assert join_list(["memastikan keselamatan warga binaan dan petugas", "menghitung ulang"]) == \
        "memastikan keselamatan warga binaan dan petugas, serta menghitung ulang"


def test_officers_initials_in_english_are_no_finding_and_translations_read_collectives_and_pm() -> None:
    assert scan("three employees with the initials AS, YW and RK") == []
    check_english({"status": "All three are being questioned"}, {"status": "Ketiganya sedang diperiksa"})
    check_english({"kapan": "at about 8 p.m. WIT"}, {"kapan": "sekitar pukul 20.00 WIT"})
    check_english({"kapan": "at 11.30 p.m. local time (WIT, UTC+9)"}, {"kapan": "pukul 23.30 WIT"})
    with pytest.raises(UntrueTranslation):
        check_english({"kapan": "at 2 a.m. WIT"}, {"kapan": "pukul 01.00 WIT"})
