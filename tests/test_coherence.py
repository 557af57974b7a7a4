"""Coherent and safe by construction (pasopati.drafts.coherence): one set of figures traced to the
verified facts, no confirm-and-deny, no time after the text's own moment, no security detail the
runbook marks internal — refused at approval, at a typed revision and before publishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pasopati.db import Database
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import Verdict
from pasopati.drafts.coherence import describe, problems
from pasopati.drafts.models import Draft
from pasopati.drafts.preview import preview
from pasopati.facts import service as facts
from pasopati.facts.models import Fact
from pasopati.figures import figures
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import MessageType, RunbookPlan, Severity
from pasopati.publications import service as publications
from pasopati.publications.service import NotApproved
from tests.people import Authenticators, decide
from tests.test_store import authority, opened, stored_draft

ISSUED = datetime(2026, 11, 30, 5, 16, tzinfo=UTC)  # 13.16 WITA, 12.16 WIB
MAKASSAR = "Asia/Makassar"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def plan(cat: Catalog) -> RunbookPlan:
    return cat.plan("keamanan-ketertiban", Severity.SEDANG)


def fact(item: str, value: str, version: int = 1) -> Fact:
    return Fact(item_id=item, label=item, value=value, source="Polres", verified_by="Uji", recorded_at=ISSUED, version=version)


def check(text: str, plan: RunbookPlan, history: list[Fact], **options: object) -> list[str]:
    found = problems(text, language="id", plan=plan, history=history, issued_at=ISSUED, timezone=MAKASSAR, **options)  # type: ignore[arg-type]
    return [f"{p.rule}:{p.text}" for p in found]


def test_a_figure_no_fact_states_is_named_with_the_fact_it_should_match(plan: RunbookPlan) -> None:
    history = [fact("jumlah_tertangkap_kembali", "14 orang")]
    found = problems("Sebanyak 12 warga binaan telah tertangkap kembali.", language="id", plan=plan, history=history,
                     issued_at=ISSUED, timezone=MAKASSAR)
    assert [(p.rule, p.text) for p in found] == [("angka", "12")]
    assert 'jumlah_tertangkap_kembali = "14 orang"' in describe(found)
    assert check("Sebanyak 14 warga binaan telah tertangkap kembali.", plan, history) == []
    assert check("Empat belas warga binaan telah tertangkap kembali.", plan, history) == [], "a count in words traces too"
    assert check("Dua belas warga binaan telah tertangkap kembali.", plan, history) == ["angka:Dua belas"]


def test_a_superseded_value_is_refused_except_in_an_update_or_ralat(plan: RunbookPlan) -> None:
    history = [fact("jumlah_wbp_terlibat", "3 orang", 1), fact("jumlah_wbp_terlibat", "4 orang", 2)]
    found = problems("Tercatat tiga orang dalam peristiwa ini.", language="id", plan=plan, history=history, issued_at=ISSUED, timezone=MAKASSAR)
    assert [p.rule for p in found] == ["angka"] and "nilai lama jumlah_wbp_terlibat" in found[0].detail and '"4 orang"' in found[0].detail
    ralat = "Sebelumnya kami menyampaikan tiga warga binaan; yang benar empat warga binaan."
    assert check(ralat, plan, history, allow_superseded=True) == []


def test_times_dates_durations_and_reference_numbers_are_not_figures() -> None:
    text = ("Nomor: 1A2B3C4D/HM.01.02/XI/2026. Pada Senin, 30 November 2026 pukul 02.30 WITA, sesuai Pasal 19 UU 11/2012 "
            "dan UU 22/2022, Lapas Kelas IIA menerapkan pengamanan 2 x 24 jam; pembaruan dalam satu jam 30 menit. "
            "Hubungi (0411) 871-234 atau humas@kemenimipas.go.id, https://ditjenpas.go.id/siaran/2. Ini salah satu langkah, "
            "layanan satu pintu, pelaksanaan ke-2.")
    assert figures(text, "id") == []
    assert [(int(v), w) for v, w, _ in figures("3 WBP dan dua petugas serta 1.200 warga binaan", "id")] == [(3, "3"), (2, "dua"), (1200, "1.200")]
    assert [int(v) for v, _, _ in figures("two officers and 3 inmates", "en")] == [2, 3]


def test_a_reference_line_numbered_by_hand_is_no_figure(plan: RunbookPlan) -> None:
    """An approver renumbers the release as the office's register has it; its digits are no count."""
    history = [fact("jumlah_wbp_terlibat", "3 orang")]
    release = "SIARAN PERS\nNomor: PAS-HM.01.02-101 Tahun 2026\n\nTercatat 3 warga binaan terlibat."
    assert check(release, plan, history) == []
    assert [p.split(" ")[0] for p in check(release.replace("Tercatat 3", "Tercatat 101"), plan, history)] == ["angka:101"], \
        "the body is still checked"
    assert check("Sebanyak 101 warga binaan. Nomor: 5", plan, history) == ["angka:101", "angka:5"], "only a line that starts with Nomor:"


def test_a_verified_item_is_not_also_asked_about_or_called_unconfirmed(plan: RunbookPlan) -> None:
    history = [fact("jumlah_wbp_terlibat", "2 orang")]
    asked = "Dua warga binaan terlibat. Kami masih memastikan berapa warga binaan yang terlibat dan apakah ada korban."
    assert check(asked, plan, history) == ["kontradiksi:berapa warga binaan yang terlibat"]
    assert check("Dua warga binaan terlibat.\nJumlah WBP terlibat: belum dapat dikonfirmasi", plan, history) == [
        "kontradiksi:Jumlah WBP terlibat: belum dapat dikonfirmasi"]
    qa = "T: Berapa warga binaan yang terlibat?\nJ: Dua warga binaan."
    assert check(qa, plan, history, questions=False) == [], "a Q&A sheet asks the public's questions with their answers"
    assert check("Kami masih memastikan berapa warga binaan yang terlibat.", plan, []) == [], "unverified: asking is right"


def test_a_time_after_the_texts_own_moment_is_refused_unless_it_speaks_of_the_future(plan: RunbookPlan) -> None:
    assert check("Seluruh warga binaan kembali ke kamar hunian pukul 14.00 WITA.", plan, []) == ["waktu:pukul 14.00 WITA"]
    assert check("Seluruh warga binaan kembali ke kamar hunian pukul 13.10 WITA.", plan, []) == []
    assert check("Peristiwa terjadi pukul 12.40 WIB.", plan, []) == ["waktu:pukul 12.40 WIB"], "12.40 WIB is 13.40 WITA"
    assert check("Peristiwa terjadi pada 29 November 2026 pukul 21.00 WITA.", plan, []) == [], "yesterday evening"
    assert check("Konferensi pers akan digelar pukul 15.00 WITA.", plan, []) == []
    assert check("Kunjungan ditiadakan hingga pukul 18.00 WITA.", plan, []) == []


def test_a_time_without_a_date_is_read_as_its_nearest_occurrence(plan: RunbookPlan) -> None:
    """Review 3: a statement issued after local midnight about "pukul 23.00" last night was refused."""
    after_midnight = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 00.30 WITA on 1 December
    def at(text: str, issued: datetime) -> list[str]:
        return [f"{p.rule}:{p.text}" for p in problems(text, language="id", plan=plan, history=[], issued_at=issued, timezone=MAKASSAR)]
    assert at("Peristiwa terjadi pukul 23.00 WITA.", after_midnight) == [], "last night"
    assert at("Peristiwa terjadi pukul 01.00 WITA.", after_midnight) == ["waktu:pukul 01.00 WITA"], "half an hour from now"
    assert at("Peristiwa terjadi pada 1 Desember 2026 pukul 23.00 WITA.", after_midnight) == ["waktu:pukul 23.00 WITA"], "dated: taken as written"
    # The new-user trial: "pada Senin pukul 04.30" in a text issued on Tuesday 00.12 is Monday's 04.30.
    tuesday = datetime(2026, 11, 30, 17, 12, tzinfo=UTC)  # Tuesday 1 December, 00.12 WIB
    assert at("Peristiwa tersebut terjadi pada Senin pukul 04.30 WIB.", tuesday) == []
    assert at("Peristiwa tersebut terjadi pada Selasa pukul 02.00 WIB.", tuesday) == ["waktu:pukul 02.00 WIB"], "Tuesday: today"


def test_security_details_the_runbook_marks_internal_are_refused(plan: RunbookPlan) -> None:
    found = check("Tembok perimeter sisi utara retak sepanjang 3 meter; jadwal patroli diperketat.", plan, [])
    internal = [f for f in found if f.startswith("detail-keamanan:")]
    assert any("jadwal patroli" in f for f in internal) and any("sisi utara" in f for f in internal)
    assert "angka:3" in found, "a measurement no fact states is a figure too"
    assert check("Kami memperketat pengamanan di seluruh area UPT.", plan, []) == []


# Through the services -------------------------------------------------------------------------------
def counted(db: Database, cat: Catalog, item: str, value: str, source: str, body: str) -> tuple[Incident, RunbookPlan, Draft, str]:
    """A keamanan-ketertiban incident at ringan with one verified count, a stored holding statement
    ``body``, and the one person who approves it."""
    incident = opened(db, cat, "keamanan-ketertiban", Severity.RINGAN)
    plan = cat.plan(incident.category, incident.severity)
    facts.submit(db, incident, plan, {item: value}, source=source, by="Uji", change="uji", via="uji")
    (head,) = authority(cat, incident)
    return incident, plan, stored_draft(db, incident, body=body), head


def test_an_edit_whose_figure_disagrees_with_the_verified_fact_is_refused_at_approval(db: Database, cat: Catalog) -> None:
    incident, plan, draft, head = counted(db, cat, "jumlah_tertangkap_kembali", "14 orang", "Polres",
                                          "Empat belas warga binaan telah tertangkap kembali.")
    auth = Authenticators(db)
    edited = "Sebanyak 12 warga binaan telah tertangkap kembali."
    refused = decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.EDIT, head, edits={draft.id: edited})
    assert not refused.accepted and '"12"' in (refused.refusal or "") and '"14 orang"' in (refused.refusal or "")
    assert decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head).accepted


def test_an_approved_text_is_not_published_once_its_figure_was_corrected(db: Database, cat: Catalog) -> None:
    incident, plan, draft, head = counted(db, cat, "jumlah_wbp_terlibat", "3 orang", "Kepala UPT",
                                          "Tiga warga binaan terlibat dalam peristiwa ini.")
    assert decide(db, Authenticators(db), incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, head).accepted
    facts.submit(db, incident, plan, {"jumlah_wbp_terlibat": "4 orang"}, source="Kepala UPT", by="Uji", change="uji-2", via="uji")
    with pytest.raises(NotApproved, match="no longer matches the verified facts"):
        publications.claim(db, incident, draft.id, draft.content_hash, "akun-upt", cat, [("", 0)])
    ralat = stored_draft(db, incident, body="Ralat: sebelumnya tiga warga binaan; yang benar empat warga binaan.",
                         id=f"{incident.id}-ralat", message_type=MessageType.CORRECTION, created_at=ISSUED + timedelta(days=1))
    assert problems(ralat.body, language="id", plan=plan, history=facts.history(db, incident.id), issued_at=ISSUED,
                    timezone=MAKASSAR, allow_superseded=True) == []


def test_a_count_a_narrative_states_is_not_asked_and_must_match_the_verified_count(cat: Catalog, plan: RunbookPlan) -> None:
    said = "Dua warga binaan melarikan diri dari blok hunian. Kami masih memastikan berapa warga binaan yang terlibat."
    assert check(said, plan, [fact("apa", "Dua warga binaan melarikan diri dari blok hunian")]) == [
        "kontradiksi:berapa warga binaan yang terlibat"]
    assert check("Dua warga binaan melarikan diri. Tiga warga binaan terlibat dalam peristiwa ini.", plan,
                 [fact("apa", "Dua warga binaan melarikan diri"), fact("jumlah_wbp_terlibat", "3 orang")]) == [
        "angka:Dua warga binaan melarikan diri"]
    facts = {"apa": {"value": "Dua warga binaan melarikan diri dari blok hunian", "source": "Kepala Lapas Sukamiskin"}}
    holding = preview(cat, "keamanan-ketertiban", Severity.SEDANG, "Lapas Sukamiskin", "Ada yang kabur", facts)[0]
    assert "Dua warga binaan melarikan diri" in holding.body and "berapa warga binaan yang terlibat" not in holding.body


def test_an_estimate_stays_an_estimate_and_no_misconduct_found_never_apologises(cat: Catalog) -> None:
    facts = {"jumlah_wbp_terlibat": {"value": "sekitar 60 orang", "source": "KPR"}}
    texts = preview(cat, "keamanan-ketertiban", Severity.LUAR_BIASA, "Rutan Salemba", "Kerusuhan", facts)
    holding = {d.language: d.body for d in texts if d.message_type is MessageType.HOLDING_STATEMENT}
    assert "Sekitar 60 warga binaan terlibat" in holding["id"] and "is about 60" in holding["en"]
    rule = cat.plan("keamanan-ketertiban", Severity.BERAT).misconduct
    assert rule is not None
    assert rule.confirmed("terbukti") and rule.confirmed("Terbukti, menurut hasil pemeriksaan Inspektorat")
    for answer in ("Terbukti tidak ada kelalaian petugas", "tidak terbukti", "belum selesai", "ya tidak", ""):
        assert not rule.confirmed(answer), answer


def test_a_verified_death_is_met_with_condolence_in_every_public_statement(cat: Catalog) -> None:
    facts = {"apa": {"value": "Seorang warga binaan meninggal dunia di RSUD setelah dirawat", "source": "Kepala Lapas Cipinang"}}
    texts = preview(cat, "kesehatan", Severity.LUAR_BIASA, "Lapas Cipinang", "Ada yang meninggal", facts)
    for draft in texts:
        if draft.message_type in (MessageType.HOLDING_STATEMENT, MessageType.PRESS_RELEASE):
            assert ("duka cita" in draft.body) if draft.language == "id" else ("condolences" in draft.body), draft.message_type
    quiet = preview(cat, "kesehatan", Severity.LUAR_BIASA, "Lapas Cipinang", "Ada yang meninggal", {})
    assert not any("duka cita" in d.body for d in quiet), "a claim of a death is not a verified death"
