"""``private_terms_from``: the names and identifiers in an incident's non-public facts that no
public statement may repeat (UU KIP 14/2008 Pasal 17; UU PDP 27/2022 Pasal 4)."""

from __future__ import annotations

from collections.abc import Iterable

import regex as re

from pasopati.privacy.patterns import ACRONYMS, NOT_A_NAME, words
from pasopati.privacy.scan import scan

_IDENTIFIER_RULES = {
    "nik",
    "kk",
    "phone",
    "npwp",
    "bpjs",
    "bank_account",
    "plate",
    "email",
    "inmate_register",
}
# Codes mixing letters and digits ("KTP-3174", "REG/12/B") and long bare numbers (case ids).
_CODE = re.compile(
    r"(?<![\w./-])(?:(?=[\w./-]*\d)(?=[\w./-]*[A-Za-z])[A-Za-z0-9][\w./-]*[A-Za-z0-9]|\d{6,})(?![\w/-])"
)
_CAPITALISED = re.compile(r"(?-i:[A-Z][\w'’-]*)(?:[ \t]+(?-i:[A-Z][\w'’-]*))*")
_PLACE_BEFORE = re.compile(
    r"\b(?:di|dari|ke|asal|menuju|arah|kota|kabupaten|kab|provinsi|lapas|rutan|lpka|bapas|kanwil|desa|kelurahan|kecamatan"
    r"|jalan|jl|blok|kelas|in|from|to|at|polres|polresta|polrestabes|polda|polsek|metro|rsud|rsup|kejari|pengadilan)\W*$",
    re.IGNORECASE,
)
# Common words of fact values that are capitalised at a sentence's start or in a heading, besides NOT_A_NAME.
_COMMON = NOT_A_NAME | words(
    """
    polri polda polres polresta polrestabes polsek metro kpr kplp sdp kpk bnn kejaksaan kejari pengadilan rsud rsup
    rs bhayangkara klinik puskesmas inspektorat jenderal kanwil bapas dinas kesehatan bmkg bpbd basarnas regu
    perkara kasus narkotika narkoba pencurian pembunuhan korupsi terorisme penipuan penganiayaan asusila vonis
    pidana hukuman napi narapidana tahanan reg register kabur melarikan diri meninggal dunia sakit dirawat luka
    ringan berat kondisi status ditemukan diamankan pukul sekitar jumlah orang laki-laki perempuan pria wanita
    kronologi keterangan catatan identitas nama alamat umur usia januari februari maret april mei juni juli
    agustus september oktober november desember covid-19 hiv tbc positif negatif tidak ada belum sudah
    """
)


def private_terms_from(values: Iterable[str]) -> list[str]:
    """Candidate names and identifiers worth matching, from values of non-public facts, in order of
    appearance without repeats.

    "Budi Santoso (Reg. B.I-123/2024), perkara narkotika" -> ["Budi Santoso", "B.I-123/2024"].
    Identifiers are what ``scan`` finds (NIK, phone, register number, …) plus codes that mix letters
    and digits and bare numbers of six digits or more. Names are runs of capitalised words, cut at
    common words (``perkara``, ``Lapas``, titles…), so that "perkara narkotika" never blocks a statement;
    a run right after a place word ("di", "Lapas", "Desa") is a place, not a name, and a single word
    opening a sentence counts only when a comma or parenthesis follows it ("Budi (…)", "Budi, 34").
    """
    found: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        work, here = value, []
        for finding in scan(value):
            if finding.rule in _IDENTIFIER_RULES:
                here.append((finding.start, finding.text))
                work = (
                    work[: finding.start]
                    + "|" * (finding.end - finding.start)
                    + work[finding.end :]
                )
        for code in _CODE.finditer(work):
            if code[0].lower() not in _COMMON:
                here.append((code.start(), code[0]))
                work = work[: code.start()] + "|" * len(code[0]) + work[code.end() :]
        here.extend(_names(work))
        found.extend(term for _, term in sorted(here))
    seen: set[str] = set()
    return [t for t in found if not (t.lower() in seen or seen.add(t.lower()))]


def _names(text: str) -> list[tuple[int, str]]:
    names = []
    for run in _CAPITALISED.finditer(text):
        words = list(re.finditer(r"\S+", run[0]))
        group: list[re.Match[str]] = []
        for word in [*words, None]:
            if (
                word is not None
                and word[0].lower().strip(".,") not in _COMMON
                and word[0] not in ACRONYMS
            ):
                group.append(word)
                continue
            if group:
                start, end = (
                    run.start() + group[0].start(),
                    run.start() + group[-1].end(),
                )
                if _is_name(text, start, end, len(group)):
                    names.append((start, text[start:end]))
            group = []
    return names


def _is_name(text: str, start: int, end: int, words: int) -> bool:
    if _PLACE_BEFORE.search(text, 0, start) or end - start < 2:
        return False
    if words > 1 or not re.search(r"(?:^|[.!?:;(\n])\s*$", text[:start]):
        return True
    return bool(re.match(r"\s*[,(]", text[end:]))
