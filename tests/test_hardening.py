"""What an adversarial review of the gates found (issue 10), each held: what a channel shows is what
the checks read (invisible characters cannot split a NIK or a figure), an override needs a readable
reason, a chat or a rumour is never a source, malformed or oversized input is refused and recorded,
never a crash or a minute of regex work."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from pasopati.cli import app
from pasopati.db import Database
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import Verdict
from pasopati.drafts.coherence import problems
from pasopati.drafts.privacy_check import reason_given
from pasopati.facts.service import PersonNamed, accepted, check_submission
from pasopati.figures import figures
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.privacy import scan
from pasopati.texts import MAX_TEXT, TextRefused, plain
from tests.people import Authenticators, decide
from tests.test_coherence import counted


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def rules(text: str, child_unit: bool = False) -> list[tuple[str, str]]:
    return [(f.rule, f.text) for f in scan(plain(text), private_terms=[], allow=[], child_unit=child_unit)]


@pytest.mark.parametrize("split", ["\x1f", "\u200b", "\ufeff", "\u00a0", "\u2009", "/", "\u2013", "  "])
def test_a_nik_split_by_any_separator_is_still_a_nik(split: str) -> None:
    nik = split.join(["3174", "0512", "0388", "0004"])
    assert [r for r, _ in rules(f"Warga binaan ber-NIK {nik} kabur.")] == ["nik"]


def test_a_figure_split_by_an_invisible_character_is_the_figure_a_channel_shows() -> None:
    assert [int(v) for v, _, _ in figures(plain("Sebanyak 1\ufeff3 warga binaan"), "id")] == [13]
    assert [int(v) for v, _, _ in figures("Tiga ribu warga, 25WBP, _7_, 1950 warga binaan, sejak 1950", "id")] == [3000, 25, 7, 1950]


def test_an_edit_with_a_hidden_nik_and_figure_is_refused_and_recorded(db: Database, cat: Catalog) -> None:
    incident, plan, draft, head = counted(db, cat, "jumlah_wbp_terlibat", "3 orang", "Kepala UPT",
                                          "Tiga warga binaan terlibat dalam peristiwa ini.")
    auth = Authenticators(db)
    smuggled = "Sebanyak 1\ufeff3 warga binaan terlibat, salah satunya ber-NIK 3174\x1f0512\x1f0388\x1f0004."
    refused = decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.EDIT, head, edits={draft.id: smuggled}, override="sudah izin keluarga")
    assert not refused.accepted and "nik" in (refused.refusal or "")
    huge = "Tiga warga binaan. " * (MAX_TEXT // 10)
    too_long = decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.EDIT, head, edits={draft.id: huge})
    assert not too_long.accepted and "at most" in (too_long.refusal or ""), "refused and recorded, not a crash"


@pytest.mark.parametrize("reason", ["", " ", "\u200b", "\u200c\u200d", "\ufeff", "x", "ok", "..."])
def test_an_unreadable_override_reason_lifts_nothing(reason: str) -> None:
    assert not reason_given(reason)


def test_a_readable_reason_does() -> None:
    assert reason_given("nomor posko resmi keluarga")


@pytest.mark.parametrize("source", ["Grup WhatsApp Polres", "Polres palsu", "bukan dari Polres", "Polres?", "katanya Polres", "grup wa polres"])
def test_a_chat_or_a_rumour_is_never_a_source(cat: Catalog, source: str) -> None:
    item = cat.plan("keamanan-ketertiban", Severity.RINGAN).item("jumlah_tertangkap_kembali")
    assert item is not None and not accepted(item, source)
    assert accepted(item, "Polres Garut") and accepted(item, "polres")


def test_long_tokens_are_refused_before_any_regex_runs_on_them() -> None:
    with pytest.raises(TextRefused, match="word of 3001"):
        plain("Teks " + "a1" * 1500 + "/")
    started = time.perf_counter()
    figures(" ".join(["a1" * 100 + "/"] * 30), "id")
    assert time.perf_counter() - started < 1, "linear in the text"


def test_the_time_check_reads_numeric_dates_and_started_is_not_future(cat: Catalog) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    issued = datetime(2026, 11, 30, 5, 16, tzinfo=UTC)  # 13.16 WITA

    def check(text: str) -> list[str]:
        return [p.rule for p in problems(text, language="id", plan=plan, history=[], issued_at=issued, timezone="Asia/Makassar")]

    assert check("Kericuhan mulai terjadi pukul 14.00 WITA.") == ["waktu"]
    assert check("Peristiwa terjadi pada 01-12-2026 pukul 10.00 WITA.") == ["waktu"], "tomorrow"
    assert check("Peristiwa terjadi pada 29-11-2026 pukul 21.00 WITA.") == []
    assert check(plain("Titik  buta di blok B dan Jadwal\u00a0patroli diubah.")) == ["detail-keamanan", "detail-keamanan"]
    assert check("Jumlah WBP terlibat: masih belum bisa dipastikan.") == []  # no count verified: asking is right


def test_adults_named_at_an_lpka_are_not_a_childs_identity() -> None:
    assert rules("Kepala LPKA Bandung, Sdr. Ahmad Yani, menyampaikan keterangan.", child_unit=True) == [("private_name", "Ahmad Yani")]
    assert rules("Anak binaan bernama Rizky Nugraha dirawat.", child_unit=True) == [("child_identity", "Rizky Nugraha")]


def test_redact_check_refuses_what_it_cannot_read_with_a_clear_error() -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["redact", "check"], input=b"\xff\xfe bukan utf-8")
    assert bad.exit_code == 2 and "not UTF-8" in bad.output
    big = runner.invoke(app, ["redact", "check"], input=b"a" * 1_000_001)
    assert big.exit_code == 2 and "more than 1000000 bytes" in big.output
    hidden = runner.invoke(app, ["redact", "check"], input="NIK 3174\u200b0512\u200b0388\u200b0004".encode())
    assert hidden.exit_code == 1 and '"nik"' in hidden.output


def test_a_name_held_back_as_private_is_refused_wherever_it_was_typed_and_officers_initials_pass(cat: Catalog) -> None:
    from pasopati.drafts.privacy_check import findings_in
    from pasopati.facts.models import Fact
    from pasopati.incidents.models import Trigger
    from pasopati.incidents.service import build

    plan = cat.plan("kesehatan", Severity.BERAT)
    incident = build(plan, Trigger(unit="Lapas Cipinang", summary="uji coba"), cat.roster, incident_id="uji")
    now = datetime.now(UTC)

    def fact(item: str, value: str, public: bool) -> Fact:
        return Fact(item_id=item, label=item, value=value, public=public, verified_by="Uji", recorded_at=now)

    facts = [fact("apa", "Warga binaan Budi Santoso meninggal dunia", True), fact("identitas_korban", "Budi Santoso, 34 tahun", False),
             fact("inisial_petugas", "petugas berinisial AH", True), fact("identitas_petugas", "Ahmad Hidayat (AH)", False)]
    found = findings_in("Warga binaan Budi Santoso meninggal dunia. Petugas berinisial AH diperiksa.", incident, facts, cat.roster)
    assert [(f.rule, f.text) for f in found] == [("private_name", "Budi Santoso")], "a name typed into a public fact is still private"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("Dua petugas regu pengamanan berinisial AS dan BT", []),
        ("Petugas berinisial AS, Kepala Regu Pengamanan", []),
        ("Dua orang, berinisial AS dan BT, staf Kesatuan Pengamanan Lapas", []),
        ("Oknum petugas P2U berinisial DN", []),
        ("Ahmad Santoso", ["Ahmad Santoso"]),
        ("AS (Ahmad Santoso), petugas layanan kunjungan", ["Ahmad Santoso"]),
        ("Petugas berinisial AS dan Budi", ["Budi"]),
        ("Petugas berinisial AS alias Asep Sunandar", ["Asep Sunandar"]),
        ("Petugas berinisial HK, NIP 198001012005011001", ["198001012005011001"]),
    ],
)
def test_an_initials_only_item_refuses_a_full_name_and_passes_jobs(cat: Catalog, value: str, named: list[str]) -> None:
    """Review 3: a full officer name typed into inisial_petugas reached the statement (DOMAIN.md:
    initials only). Refused at submission, naming what is more than initials."""
    plan = cat.plan("tata-kelola-integritas", Severity.SEDANG)
    assert plan.item("inisial_petugas").initials_only  # type: ignore[union-attr]
    if not named:
        check_submission(plan, {"inisial_petugas": value}, "Kepala Lapas", None, {}, {})
        return
    with pytest.raises(PersonNamed) as refused:
        check_submission(plan, {"inisial_petugas": value}, "Kepala Lapas", None, {}, {})
    assert all(repr(n) in str(refused.value) for n in named), str(refused.value)


def test_p2u_the_main_gate_post_is_no_vehicle_plate() -> None:
    assert scan("Petugas P2U memeriksa setiap pengunjung.") == []
    assert [f.rule for f in scan("mobil B 1234 XYZ")] == ["plate"]


@pytest.mark.parametrize("sent", ["", "sudah terbit", "t.me/ditjenpas_info/812", "https://t.me/a b"])
def test_publish_resolve_refuses_a_sent_value_that_is_not_an_address(sent: str) -> None:
    """Checked before any proof is asked (no code used up): it becomes the receipt, and a website
    post's receipt is the link later social posts carry."""
    result = CliRunner().invoke(app, ["publish", "resolve", "run", "--by", "X", "--code", "123456", "--channel", "kanal",
                                      "--reason", "r", "--sent", sent])
    assert result.exit_code == 2 and "--sent" in result.output and "not the post's address" in result.output


def test_prefect_sends_no_usage_events_from_any_pasopati_process() -> None:
    """Prefect 3.8 reports a first import from an interactive terminal to Amplitude unless
    DO_NOT_TRACK is set: importing pasopati sets it before Prefect is imported (a fresh interpreter,
    DO_NOT_TRACK unset, as an operator's shell)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DO_NOT_TRACK"}
    probe = ("import pasopati, prefect; from prefect._internal.analytics.enabled import is_telemetry_enabled; "
             "import os; print(os.environ.get('DO_NOT_TRACK'), is_telemetry_enabled())")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["1", "False"]


@pytest.mark.parametrize("blank", ["", "\n", "   \n\t", "— — —\n", "\u200b\n", "\u3164\n", "\uffa0 \u1160\n"])
def test_a_blank_statement_is_refused_wherever_a_text_is_given(blank: str) -> None:
    """An empty file given to `revise` was approved and published as a blank press release (a new
    user's trial, issue 11): every door for a typed text refuses it, and so does publishing."""
    from pasopati.approvals.form import PageForm
    from pasopati.approvals.form import problems as form_problems
    from pasopati.drafts.service import normalise_text
    from pasopati.texts import TextRefused

    with pytest.raises(TextRefused, match="no words"):
        normalise_text(blank)
    form = PageForm(verdict="edit", reason="", code="", texts={"teks-0": blank})
    assert "text_blank" in form_problems(form, {"teks-0": "Pernyataan awal."}, strong=False)
