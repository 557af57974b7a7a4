"""The words: every public message of the 20 runbook cells reads as a Humas office writes it
(WRITING.md) — prose, verified facts only, no claim as a fact, no apology before misconduct is
verified, a named spokesperson, English that is English, each channel within its limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from pasopati.drafts.channel_texts import rendering_for
from pasopati.drafts.models import Draft
from pasopati.drafts.preview import preview, reviewed_preview
from pasopati.drafts.rendering import FactChange, render_change
from pasopati.drafts.renderings import limit_problems
from pasopati.facts.models import Fact
from pasopati.facts.service import UnacceptedSource, check_sources
from pasopati.incidents.models import Trigger
from pasopati.incidents.service import build
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import MessageType, Severity

NOW = datetime(2026, 11, 30, 6, 14, tzinfo=UTC)  # 13.14 WIB
DETECTED = NOW - timedelta(minutes=24)
CLAIM = "Kabar dari grup percakapan: katanya ada keributan besar"  # the reporter's words: never public
UNITS = {"ringan": "Lapas Cipinang", "sedang": "Lapas Sukamiskin", "berat": "Lapas Makassar", "luar-biasa": "Lapas Nabire"}
CELLS = [(c, s) for c in ["keamanan-ketertiban", "kesehatan", "opini-publik", "tata-kelola-integritas", "bencana-alam"] for s in Severity]
APOLOGY = re.compile(r"mohon maaf|memohon maaf|apologi[sz]e", re.IGNORECASE)
INDONESIAN_IN_ENGLISH = re.compile(r"\b(Juru bicara|Disampaikan|Perihal|belum dapat|Penanganan|Kejadian|sumber:|Narahubung|kami)\b")
CLOCK = re.compile(r"pukul (\d{2})\.(\d{2}) WIB")


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def verified_facts(cat: Catalog, category: str, english: bool = True) -> dict[str, object]:
    """What happened, when, and the public's first questions, each from a source the runbook accepts;
    the free-text ones with their English wording unless ``english`` is False."""
    plan = cat.plan(category, Severity.RINGAN)
    chosen = {"apa": ("Telah terjadi peristiwa yang ditangani petugas", "An incident occurred and was handled by officers"),
              "kapan": ("pada pukul 05.00 WIB saat apel pagi", "at 05:00 WIB during the morning roll call")}
    for item_id in plan.first_questions:
        item = plan.item(item_id)
        assert item is not None
        chosen[item_id] = ("2 orang", "") if item.kind == "count" else (
            f"hasil pemeriksaan {item.label.lower()} telah diterima", f"the findings on {item.label_en.lower()} have been received")
    return {k: {"value": v, "source": plan.item(k).sources[0], **({"en": en} if en and english else {})}  # type: ignore[union-attr]
            for k, (v, en) in chosen.items()}


def drafts(cat: Catalog, category: str, severity: Severity, with_facts: bool) -> list[Draft]:
    facts = verified_facts(cat, category) if with_facts else {}
    return preview(cat, category, severity, UNITS[severity.value], CLAIM, facts, now=NOW, detected_at=DETECTED)


def body_words(draft: Draft) -> int:
    """Words from the title to the signature: what the reader reads (WRITING.md: about 100–150)."""
    blocks = draft.body.strip().split("\n\n")
    return sum(len(b.split()) for b in blocks[3:-1])


@pytest.mark.parametrize("with_facts", [False, True], ids=["dari-laporan", "terverifikasi"])
@pytest.mark.parametrize(("category", "severity"), CELLS, ids=[f"{c}-{s.value}" for c, s in CELLS])
def test_every_cell_drafts_signable_public_texts(cat: Catalog, category: str, severity: Severity, with_facts: bool) -> None:
    plan = cat.plan(category, severity)
    unit = cat.roster.find_unit(UNITS[severity.value])
    assert unit is not None
    (spokesperson,) = cat.roster.holders(plan.plan.spokesperson, unit)[:1]
    texts = drafts(cat, category, severity, with_facts)
    public = [d for d in texts if d.message_type is not MessageType.SITUATION_REPORT]
    assert {d.message_type for d in public} >= {MessageType.HOLDING_STATEMENT, MessageType.QA_SHEET}
    for draft in public:
        where = f"{draft.message_type.value}/{draft.language}"
        assert "belum dapat dikonfirmasi" not in draft.body and "not yet confirmed" not in draft.body, where
        assert "\n- " not in draft.body, f"{where}: prose, not a checklist"
        assert CLAIM not in draft.body, f"{where}: the reporter's claim is never published as a fact"
        assert "Media Center PASOPATI" not in draft.body, f"{where}: the media center does not cite itself"
        assert spokesperson.name in draft.body, f"{where}: a named spokesperson"
        for hour, minute in CLOCK.findall(draft.body):
            assert (int(hour), int(minute)) <= (13, 14), f"{where}: a time later than the text itself"
        if draft.language == "en":
            assert not INDONESIAN_IN_ENGLISH.search(draft.body), f"{where}: {INDONESIAN_IN_ENGLISH.search(draft.body)}"
            assert "MINISTRY OF IMMIGRATION AND CORRECTIONS" in draft.body
            assert all("(UTC+" in draft.body[m.end():m.end() + 12] for m in re.finditer(r"\d{2}:\d{2} WI", draft.body)), "times with the offset"
        for channel in draft.channels:
            assert limit_problems(rendering_for(draft, channel, cat, plan.hashtags)) == [], f"{where} on {channel}"
    holding = [d for d in public if d.message_type is MessageType.HOLDING_STATEMENT]
    for draft in holding:
        assert not APOLOGY.search(draft.body), "no apology before verification (SCCT)"
        # About 150 words in Indonesian (WRITING.md); the same content runs longer in English.
        limit = 165 if draft.language == "id" else 210
        assert body_words(draft) <= limit, f"{draft.language}: {body_words(draft)} words"
        lead = draft.body.split("\n\n")[3]
        if with_facts:
            said = "Telah terjadi peristiwa yang ditangani petugas" if draft.language == "id" else "An incident occurred and was handled by officers"
            assert said in lead, "the lead says what happened"
        else:
            assert unit.name in lead and ("verifikasi" in lead or "verifying" in lead), "a report received and being verified"
    speaking = {"upt": unit.name.upper(), "kanwil": cat.roster.kanwil_of(unit).name.upper(), "ditjenpas": "DIREKTORAT JENDERAL PEMASYARAKATAN"}
    level = plan.plan.spokesperson.level.value
    assert all(speaking[level] in d.body.split("\n\n")[0] for d in public if d.language == "id"), "the letterhead of who speaks"


@pytest.mark.parametrize("with_facts", [False, True], ids=["dari-laporan", "terverifikasi"])
@pytest.mark.parametrize(("category", "severity"), CELLS, ids=[f"{c}-{s.value}" for c, s in CELLS])
def test_every_drafted_text_passes_the_gates_its_approval_meets(cat: Catalog, category: str, severity: Severity, with_facts: bool) -> None:
    """What the templates write needs no edit to pass the personal-data gate and the coherence
    checks: figures traced to facts, no confirm-and-deny, no time after the text, no internal detail."""
    facts = verified_facts(cat, category) if with_facts else {}
    for draft, review in reviewed_preview(cat, category, severity, UNITS[severity.value], CLAIM, facts, now=NOW, detected_at=DETECTED):
        assert review.clean and not review.untranslated, f"{draft.message_type.value}/{draft.language}: {review.lines()}"


def test_english_states_a_free_text_fact_only_in_its_verifiers_english_words(cat: Catalog) -> None:
    """Issue 10, item 7: without English words for a fact the English text leaves it out, says where
    it is published, and the reviewer is told; a count needs none (its number is said in English)."""
    facts = verified_facts(cat, "bencana-alam", english=False)
    reviewed = reviewed_preview(cat, "bencana-alam", Severity.LUAR_BIASA, UNITS["luar-biasa"], CLAIM, facts, now=NOW, detected_at=DETECTED)
    english = [(d, r) for d, r in reviewed if d.language == "en"]
    assert english, "bencana-alam luar-biasa speaks English too"
    for draft, review in english:
        for value in (f["value"] for f in facts.values()):  # type: ignore[index]
            assert value not in draft.body, f"{draft.message_type.value}: Indonesian words quoted in English"
        assert "set out in the Indonesian version of this statement on www.ditjenpas.go.id" in draft.body
        assert "apa" in review.untranslated and "kapan" in review.untranslated, review.untranslated
        assert any("belum ada terjemahan Inggris" in line for line in review.lines())
    indonesian = [r for d, r in reviewed if d.language == "id"]
    assert all(not r.untranslated for r in indonesian)


def test_the_first_questions_not_yet_known_are_one_sentence_and_actions_are_never_unknown(cat: Catalog) -> None:
    (holding, *_) = preview(cat, "keamanan-ketertiban", Severity.SEDANG, "Lapas Sukamiskin", "Kabarnya dua warga binaan kabur", {}, now=NOW)
    assert "Kami masih memastikan berapa warga binaan yang terlibat, apakah ada korban, dan bagaimana perkembangan pencarian." in holding.body
    assert "Saat ini kami sedang melakukan penghitungan ulang seluruh warga binaan yang dicocokkan dengan Sistem Database" in holding.body
    (search, *_) = preview(cat, "keamanan-ketertiban", Severity.RINGAN, "Lapas Cipinang", "Razia menemukan lima telepon genggam", {}, now=NOW)
    assert "pencarian" not in search.body and "penghitungan ulang" not in search.body, "a routine search is not framed as an escape"


def test_counts_are_written_as_the_house_style_and_every_figure_names_its_source_and_time(cat: Catalog) -> None:
    facts = {"apa": {"value": "Dua warga binaan melarikan diri", "source": "Kepala Lapas Sukamiskin"},
             "jumlah_tertangkap_kembali": {"value": "1 orang", "source": "Polres Bandung"}}
    release = next(d for d in preview(cat, "keamanan-ketertiban", Severity.SEDANG, "Lapas Sukamiskin", CLAIM, facts, now=NOW)
                   if d.message_type is MessageType.PRESS_RELEASE)
    assert "Satu warga binaan telah tertangkap kembali, menurut Polres Bandung per pukul 13.14 WIB." in release.body
    assert release.fact_versions == {"apa": 1, "jumlah_tertangkap_kembali": 1}
    assert release.body.splitlines()[1] == "KANTOR WILAYAH DIREKTORAT JENDERAL PEMASYARAKATAN JAWA BARAT", "sedang: the Kanwil speaks"
    assert "Narahubung:\nHumas Kantor Wilayah" in release.body, "the office desk, never a personal number"


def test_apology_sanction_and_correction_only_once_misconduct_is_verified(cat: Catalog) -> None:
    def release(**facts: object) -> str:
        texts = preview(cat, "tata-kelola-integritas", Severity.SEDANG, "Lapas Banyuasin", CLAIM, facts, now=NOW)
        return next(d.body for d in texts if d.message_type is MessageType.PRESS_RELEASE)

    alleged = release(status_pemeriksaan={"value": "Pemeriksaan oleh Inspektorat Jenderal sedang berlangsung", "source": "Inspektorat Jenderal"})
    assert not APOLOGY.search(alleged) and "sungguh-sungguh" in alleged, "dugaan: take it seriously, investigate, promise a result"
    proven = release(pelanggaran_terbukti={"value": "terbukti, menurut hasil pemeriksaan", "source": "Inspektorat Jenderal"})
    assert "Kami memohon maaf" in proven and "sanksi" in proven, "rebuild once verification confirmed the misconduct"
    assert "terbukti, menurut hasil pemeriksaan" not in proven, "the internal answer itself is not published"


def test_a_rumour_is_never_restated_and_only_verified_counter_facts_clarify_it(cat: Catalog) -> None:
    rumour = "Beredar video warga binaan berpesta di kamar mewah"
    texts = preview(cat, "opini-publik", Severity.SEDANG, "Lapas Cipinang", rumour, {}, now=NOW)
    card = next(d.body for d in texts if d.message_type is MessageType.CLARIFICATION)
    assert rumour not in card and "berpesta" not in card and "tidak benar" not in card, "no denial without evidence"
    assert card.split("\n\n")[1] == "KLARIFIKASI" and "sedang memeriksa kebenaran konten tersebut" in card
    checked = {"fakta_lapangan": {"value": "tidak ditemukan perabot mewah di kamar hunian", "source": "Kepala Lapas Cipinang"},
               "tanggal_rekaman": {"value": "pada Maret 2019 di lapas lain", "source": "Media Center PASOPATI"}}
    card = next(d.body for d in preview(cat, "opini-publik", Severity.SEDANG, "Lapas Cipinang", rumour, checked, now=NOW)
                if d.message_type is MessageType.CLARIFICATION)
    assert "tidak ditemukan perabot mewah di kamar hunian, menurut Kepala Lapas Cipinang" in card and "berpesta" not in card


def test_a_source_the_runbook_does_not_accept_is_refused(cat: Catalog) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.BERAT)
    with pytest.raises(UnacceptedSource, match=r"apa: source 'Grup WhatsApp' is not accepted \(accepted: Kepala UPT"):
        check_sources(plan, {"apa": "Dua WBP kabur"}, "Grup WhatsApp")
    with pytest.raises(UnacceptedSource, match="Media Center PASOPATI"):
        check_sources(plan, {"jumlah_tertangkap_kembali": "2"}, "Media Center PASOPATI")
    check_sources(plan, {"jumlah_tertangkap_kembali": "2"}, "Polres Garut")
    check_sources(plan, {"apa": "Dua WBP kabur", "hasil_hitung_sdp": "1.245"}, "Kepala Lapas Garut", {"hasil_hitung_sdp": "SDP"})


@pytest.mark.parametrize(("kind", "apology"), [(MessageType.UPDATE, False), (MessageType.CORRECTION, True)])
def test_an_evolved_figure_is_an_update_and_only_a_wrong_one_a_ralat(cat: Catalog, kind: MessageType, apology: bool) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.BERAT)
    incident = build(plan, Trigger(unit="Lapas Makassar", summary=CLAIM, detected_at=DETECTED), cat.roster, incident_id="00000000-ralat")

    def fact(value: str, version: int) -> Fact:
        return Fact(item_id="jumlah_tertangkap_kembali", label="Jumlah WBP tertangkap kembali", value=value, source="Polres Makassar",
                    verified_by="Petugas", recorded_at=NOW, version=version)

    text = render_change(draft_id="x", kind=kind, incident=incident, plan=plan, facts=[fact("2 orang", 2)], language="id",
                         changes=[FactChange(item_id="jumlah_tertangkap_kembali", old=fact("1 orang", 1), new=fact("2 orang", 2))],
                         channels=["situs-ditjenpas"], cat=cat, now=NOW).body
    assert bool(APOLOGY.search(text)) is apology
    assert ("Dua warga binaan telah tertangkap kembali, menurut Polres Makassar" in text) is not apology
    assert ('sebelumnya kami sampaikan "1 orang"; yang benar adalah "2 orang"' in text) is apology


def test_review_fixes_children_dates_press_conference_and_done_actions(cat: Catalog) -> None:
    """The Humas review's findings (closing note of issue 10), each held by a check."""
    lpka = preview(cat, "kesehatan", Severity.SEDANG, "LPKA Bandung", CLAIM, {}, now=NOW)
    assert all("warga binaan" not in d.body.lower() for d in lpka if d.language == "id" and d.message_type is not MessageType.SITUATION_REPORT)
    assert "keluarga Anak Binaan" in lpka[0].body, "at an LPKA: Anak Binaan (WRITING.md)"
    late = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 22.30 WIB, already 00.30 WIT on Tuesday in Nabire
    nabire = preview(cat, "kesehatan", Severity.BERAT, "Lapas Nabire", CLAIM, {}, now=late, detected_at=late - timedelta(hours=7))
    release = next(d.body for d in nabire if d.message_type is MessageType.PRESS_RELEASE and d.language == "id")
    assert "Jakarta, Senin, 30 November 2026 —" in release and "/XI/2026" in release, "Jakarta's date for a Jakarta statement"
    assert "Konferensi pers akan diselenggarakan paling lambat" not in release, "a deadline already past is not promised"
    fresh = preview(cat, "kesehatan", Severity.BERAT, "Lapas Nabire", CLAIM, {}, now=late, detected_at=late - timedelta(minutes=10))
    assert "Konferensi pers akan diselenggarakan paling lambat pukul 06.20 WIT" in next(
        d.body for d in fresh if d.message_type is MessageType.PRESS_RELEASE and d.language == "id")
    checked = {"tanggal_rekaman": {"value": "pada Maret 2019 di lapas lain", "source": "Kepala UPT"}}
    opini = preview(cat, "opini-publik", Severity.SEDANG, "Lapas Cipinang", CLAIM, checked, now=NOW)
    assert all("menelusuri kapan dan di mana" not in d.body for d in opini), "an action done once its item is verified"
    officers = {"inisial_petugas": {"value": "dua petugas berinisial AH dan DS", "source": "Inspektorat Jenderal"}}
    integrity = preview(cat, "tata-kelola-integritas", Severity.SEDANG, "Lapas Banyuasin", CLAIM, officers, now=NOW)
    assert "berinisial AH dan DS" in integrity[1].body
