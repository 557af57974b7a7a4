"""The personal-data gate (pasopati.privacy): every planted item is found with its rule and exact
offsets, no clean statement is flagged, and the CLI reports with exit codes 0/1/2. Fast tier: no
server, no network, no spaCy model."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pasopati.cli.redact import app
from pasopati.privacy import RULES, Finding, private_terms_from, scan
from pasopati.settings import PROJECT_ROOT

DATA = Path(__file__).parent / "data" / "privacy"
PLANTED = yaml.safe_load((DATA / "planted.yaml").read_text(encoding="utf-8"))
CLEAN = yaml.safe_load((DATA / "clean.yaml").read_text(encoding="utf-8"))
HUMAS = ["(021) 5290 3456", "humas@ditjenpas.go.id"]


def _scan(entry: dict[str, Any], allow: list[str]) -> list[Finding]:
    return scan(
        entry["text"],
        private_terms=entry.get("private_terms", ()),
        allow=entry.get("allow", allow),
        child_unit=entry.get("child_unit", False),
    )


# ------------------------------------------------------------------------------------------ corpus
def test_the_corpus_is_large_and_covers_every_rule() -> None:
    assert len(PLANTED["texts"]) >= 60 and len(CLEAN["statements"]) >= 30
    assert {
        item["rule"] for entry in PLANTED["texts"] for item in entry["items"]
    } == set(RULES)
    for entry in CLEAN["statements"]:
        assert 60 <= len(entry["text"].split()) <= 200, entry["id"]


@pytest.mark.parametrize("entry", PLANTED["texts"], ids=lambda e: e["id"])
def test_every_planted_item_is_found_with_its_rule_and_offsets(
    entry: dict[str, Any],
) -> None:
    text = entry["text"]
    expected = []
    for item in entry["items"]:
        assert text.count(item["text"]) == 1, f"ambiguous planted text {item['text']!r}"
        start = text.index(item["text"])
        expected.append((item["rule"], item["text"], start, start + len(item["text"])))
    found = [(f.rule, f.text, f.start, f.end) for f in _scan(entry, PLANTED["allow"])]
    assert found == sorted(expected, key=lambda e: e[2])


@pytest.mark.parametrize("entry", CLEAN["statements"], ids=lambda e: e["id"])
def test_no_clean_statement_is_flagged(entry: dict[str, Any]) -> None:
    assert _scan(entry, CLEAN["allow"]) == []


# ------------------------------------------------------------------------------------ the findings
def test_findings_are_exact_sorted_and_cite_their_law() -> None:
    text = "Anak berinisial MF (NIK 3174 0512 0388 0004), HP 0812-3456-7890, lahir 12 Maret 2010."
    findings = scan(text)
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    for f in findings:
        assert text[f.start : f.end] == f.text
        assert f.law == RULES[f.rule].law and f.overridable == RULES[f.rule].overridable
    assert {f.rule: f.law for f in findings} == {
        "child_identity": "UU SPPA 11/2012 Pasal 19",
        "nik": "UU PDP 27/2022 Pasal 4",
        "phone": "UU PDP 27/2022 Pasal 4",
        "date_of_birth": "UU PDP 27/2022 Pasal 4",
    }
    assert findings[0].as_dict() == {
        "rule": "child_identity",
        "law": "UU SPPA 11/2012 Pasal 19",
        "text": "MF",
        "start": 16,
        "end": 18,
        "overridable": False,
    }


def test_child_identity_nik_and_kk_can_never_be_overridden() -> None:
    assert {rule for rule, spec in RULES.items() if not spec.overridable} == {
        "child_identity",
        "nik",
        "kk",
    }
    findings = scan(
        "AR (15), NIK 3174051203880004, No. KK 3201010101010003, rekening BRI 0123-01-012345-50-7"
    )
    assert {(f.rule, f.overridable) for f in findings} == {
        ("child_identity", False),
        ("nik", False),
        ("kk", False),
        ("bank_account", True),
    }


def test_nik_structure_separates_nik_from_other_16_digit_numbers() -> None:
    assert [f.rule for f in scan("nomor 3174051203880004")] == ["nik"]  # DKI, 12-03-88
    assert [f.rule for f in scan("nomor 3273015607950002")] == [
        "nik"
    ]  # a woman: day 56 = 16
    assert scan("nomor 0074051203880004") == []  # no province 00
    assert scan("nomor 3174053213880004") == []  # month 13
    assert [f.rule for f in scan("NIK 0074051203880004")] == [
        "nik"
    ]  # labelled: caught anyway
    assert [f.rule for f in scan("kartu keluarga 3174051203880004")] == ["kk"]


def test_private_terms_match_whole_words_case_insensitively() -> None:
    text = "Budi Santoso kembali. Budiman dan BUDI SANTOSO bukan orang yang sama; B.I-123/2024 juga."
    found = [
        (f.rule, f.text) for f in scan(text, private_terms=["budi santoso", "Budi"])
    ]
    assert found == [
        ("private_name", "Budi Santoso"),
        ("private_name", "BUDI SANTOSO"),
        ("inmate_register", "B.I-123/2024"),
    ]
    assert scan("Budiman hadir.", private_terms=["Budi"]) == []


def test_private_terms_from_fact_values() -> None:
    assert private_terms_from(
        ["Budi Santoso (Reg. B.I-123/2024), perkara narkotika"]
    ) == ["Budi Santoso", "B.I-123/2024"]
    assert (
        private_terms_from(
            ["perkara narkotika", "Kabur dari Blok C Lapas Kelas IIA Bogor", "", "  "]
        )
        == []
    )
    terms = private_terms_from(
        [
            "WBP Andi kabur dari Lapas Cipinang, HP 081234567890",
            "Andi",
            "NIK 3174051203880004",
        ]
    )
    assert terms == ["Andi", "081234567890", "3174051203880004"]
    statement = "Kami tidak menyebut perkara narkotika yang menjerat WBP tersebut."
    assert (
        scan(
            statement,
            private_terms=private_terms_from(["Budi Santoso, perkara narkotika"]),
        )
        == []
    )


def test_allow_keeps_the_humas_desk_but_not_other_numbers() -> None:
    text = "Humas: (021) 5290 3456 atau 021-5290-3456, humas@ditjenpas.go.id; petugas: 0812-3456-7890, rina@gmail.com"
    found = [(f.rule, f.text) for f in scan(text, allow=HUMAS)]
    assert found == [("phone", "0812-3456-7890"), ("email", "rina@gmail.com")]
    assert {f.rule for f in scan(text)} == {"phone", "email"} and len(scan(text)) == 5


def test_child_unit_turns_every_name_into_a_childs_identity() -> None:
    text = "Anak Binaan atas nama Bagus Pratama dan rekannya Yoga Aditya sudah kembali; Kepala LPKA, Budi Hartono, hadir."
    assert [(f.rule, f.text) for f in scan(text, private_terms=["Yoga Aditya"])] == [
        ("private_name", "Bagus Pratama"),
        ("private_name", "Yoga Aditya"),
    ]
    in_lpka = scan(text, private_terms=["Yoga Aditya"], child_unit=True)
    assert [(f.rule, f.text, f.overridable) for f in in_lpka] == [
        ("child_identity", "Bagus Pratama", False),
        ("child_identity", "Yoga Aditya", False),
    ]


def test_a_village_next_to_a_child_is_the_childs_identity() -> None:
    assert [f.rule for f in scan("Seorang anak asal Desa Sukamaju ditemukan.")] == [
        "child_identity"
    ]
    assert [
        f.rule
        for f in scan("Petugas mendatangi Desa Sukamaju. Seorang anak ikut membantu.")
    ] == ["address"]


def test_empty_and_non_text_input() -> None:
    assert scan("") == [] and scan("   \n") == []
    with pytest.raises(TypeError):
        scan(None)  # type: ignore[arg-type]


def test_a_600_word_press_release_is_scanned() -> None:
    words: list[str] = []
    for entry in CLEAN["statements"]:
        words.extend(entry["text"].split())
        if len(words) >= 600:
            break
    release = " ".join(words[:600]) + " Narahubung pribadi: 0812-3456-7890."
    findings = scan(release, allow=HUMAS)
    assert [(f.rule, f.text) for f in findings] == [("phone", "0812-3456-7890")]


def test_the_engine_is_built_once_and_shared_by_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pasopati.privacy import engine

    monkeypatch.setattr(engine, "_engine", None)
    with ThreadPoolExecutor(4) as pool:
        engines = list(pool.map(lambda _: engine.analyzer(), range(8)))
    assert all(e is engines[0] for e in engines)
    text = PLANTED["texts"][-1]["text"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: scan(text), range(16)))
    assert results[0] and all(r == results[0] for r in results)


# ----------------------------------------------------------------------------------------------- CLI
def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    dirty = tmp_path / "dirty.txt"
    dirty.write_text("Hubungi 0812-3456-7890 segera.", encoding="utf-8")
    result = runner.invoke(app, ["check", str(dirty)])
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "rule": "phone",
            "law": "UU PDP 27/2022 Pasal 4",
            "text": "0812-3456-7890",
            "start": 8,
            "end": 22,
            "overridable": True,
        }
    ]
    clean = runner.invoke(app, ["check", "-"], input=CLEAN["statements"][0]["text"])
    assert clean.exit_code == 1  # the Humas phone is only allowed when configured
    clean = runner.invoke(
        app,
        ["check", "--allow", HUMAS[0], "--allow", HUMAS[1]],
        input=CLEAN["statements"][0]["text"],
    )
    assert (clean.exit_code, json.loads(clean.stdout)) == (0, [])
    child = runner.invoke(
        app,
        ["check", "--child-unit", "--term", "Yoga Aditya"],
        input="Yoga Aditya kembali.",
    )
    assert (
        child.exit_code == 1 and json.loads(child.stdout)[0]["rule"] == "child_identity"
    )
    missing = runner.invoke(app, ["check", str(tmp_path / "nope.txt")])
    assert (
        missing.exit_code == 2
        and "error: cannot read" in missing.output
        and missing.output.count("\n") == 1
    )
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    assert runner.invoke(app, ["check", str(binary)]).exit_code == 2


def test_cli_as_installed(tmp_path: Path) -> None:
    dirty = tmp_path / "dirty.txt"
    dirty.write_text("Surel pribadi: rina@gmail.com", encoding="utf-8")

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(Path(sys.executable).parent / "pasopati"), "redact", "check", *args],
            input=stdin,
            capture_output=True,
            check=False,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=120,
        )

    found = run(str(dirty))
    assert found.returncode == 1 and [f["rule"] for f in json.loads(found.stdout)] == [
        "email"
    ]
    clean = run(
        stdin="Situasi di Lapas Kelas IIA Bogor aman pada Senin, 30 November 2026 pukul 02.30 WIB."
    )
    assert (clean.returncode, json.loads(clean.stdout)) == (0, [])
    unreadable = run(str(tmp_path))
    assert (
        unreadable.returncode == 2
        and unreadable.stderr.startswith("error: cannot read")
        and unreadable.stdout == ""
    )
