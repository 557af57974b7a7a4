"""Regex fragments and word lists shared by the recognizers (syntax of the ``regex`` module, which
Presidio compiles patterns with: variable-length look-behind and scoped flags such as ``(?-i:…)``)."""

from __future__ import annotations

import regex as re


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` (keeps the word lists below readable)."""
    return frozenset(text.split())


# -- dates ------------------------------------------------------------------------------------------
_MONTHS = (
    "Januari|Februari|Pebruari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|Nopember|November|Desember"
    "|January|February|March|May|June|July|August|October|December"
)
_MONTH_ABBR = "Jan|Feb|Mar|Apr|Jun|Jul|Agu|Agt|Ags|Aug|Sept|Sep|Okt|Oct|Nov|Nop|Des|Dec"
MONTH = rf"(?:{_MONTHS}|(?:{_MONTH_ABBR})\.?)"
DATE = (
    rf"(?:\d{{1,2}}\s+{MONTH}\s+(?:19|20)\d{{2}}"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:(?:19|20)\d{2}|\d{2})(?!\d)"
    rf"|{MONTH}\s+\d{{1,2}},?\s+(?:19|20)\d{{2}}"
    r"|(?:19|20)\d{2}-\d{2}-\d{2})"
)
# Words that announce a birth date; "lahir" also covers "tanggal lahir" and "tempat, tanggal lahir".
# Cues followed by the place of birth without "di" or a colon: "tempat/tanggal lahir Surabaya, …"
PLACE_CUE = (
    r"\b(?:tempat\s*(?:/|,|dan)\s*tanggal\s+lahir|tempat\s+lahir|TTL"
    r"|place\s+(?:and\s+date\s+)?of\s+birth)"
)
BIRTH_CUE = (
    r"\b(?:lahir|kelahiran|TTL|born|date\s+of\s+birth|birth\s*date|DOB|D\.O\.B\.?)"
)

# -- names ------------------------------------------------------------------------------------------
CAP = r"(?-i:[A-Z])"  # one capital letter, even inside a case-insensitive pattern
INITIALS = r"(?-i:(?:[A-Z]\.\s?){1,3}(?!\w)|[A-Z]{1,3}\b)"
NAME = r"(?-i:[A-Z][a-z'’]+(?:\s+[A-Z][a-z'’]+){0,2})"
WHO = rf"(?:{NAME}|{INITIALS})"

# Capitalised words that are never (part of) a person's name in these texts: titles, institutions,
# sentence openers. Compared in lower case.
NOT_A_NAME = words(
    """
    anak binaan warga wbp ab abh andikpas lapas rutan lpka lpp bapas upt kanwil kelas blok kamar sel pasal ayat
    tahun nomor no kepala kalapas karutan direktur jenderal dirjen menteri sekretaris kakanwil plt plh kasubsi
    kasi petugas korban pelaku tersangka saksi saudara saudari sdr sdri bapak ibu pak bu tn ny nn mr mrs ms
    seorang para pada yang dan di ke dari hari ini itu senin selasa rabu kamis jumat sabtu minggu tim pihak
    humas ditjenpas kemenkumham kementerian imigrasi pemasyarakatan polisi polri tni rsud klinik puskesmas
    siaran pers wib wita wit uu pp perpres permen kuhp sppa pdp kip ham ri dki ntb ntt
    the a an of in at on and child boy girl minor inmate detainee officer director head
    kantor wilayah direktorat balai lembaga rumah kepolisian pemerintah dinas badan pusat sekretariat inspektorat
    divisi bidang seksi bagian jajaran keluarga pimpinan kota kabupaten provinsi tim regu pos lantai gedung
    """
)
# Short capitalised acronyms that look like initials.
ACRONYMS = words(
    """
    WBP AB ABH UPT LPKA LPP TNI RI DKI NTB NTT UU PP HAM WIB WITA WIT RSUD BNN KPAI DPR DPRD SOP PK TKP ODHA
    KIS KK NIK BPJS JKN TK PAUD SD SMP SMA SMK MTS MA MI SLB PAS HM KM BB IGD ICU PMI BPBD BMKG SAR OK CCTV HP
    """
)

# Acronyms of groups counted as "WBP (15)": never a child's initials even with an age after them.
COUNTED = words(
    "WBP AB ABH UPT LPKA LPP LAPAS RUTAN TNI POLRI WNA WNI PK ODHA ODGJ KK TKP"
)

# -- places -----------------------------------------------------------------------------------------
_STOP_PLACE = r"(?:No|Nomor|RT|RW|Kel|Kec|Kelurahan|Kecamatan|Desa|Dusun|Kota|Kab|Kabupaten|Blok|Provinsi|Lapas|Rutan)\b"
# One word of a street or estate name: "Melati", "K.H.", "45", "Raya".
_STREET_WORD = (
    rf"(?!{_STOP_PLACE})(?:[A-Z]\.(?:[A-Z]\.)*(?=\s)|[A-Z][\w'’-]*|\d{{1,4}}[A-Z]?\b)"
)
STREET_NAME = rf"{_STREET_WORD}(?:\s+{_STREET_WORD}){{0,3}}"
HOUSE_NO = r"(?:\s*,?\s*(?:No|Nomor|no)\.?\s*\d+[A-Za-z]?(?:/\d+)?)"
PLACE_NAME = (
    rf"(?!{_STOP_PLACE})[A-Z][a-z'’-]+(?:\s+(?!{_STOP_PLACE})[A-Z][a-z'’-]+){{0,2}}"
)

# -- plates (Perpol 7/2021 registration areas) -------------------------------------------------------
PLATE_AREAS = words(
    """
    A B D E F G H K L M N P R S T W Z AA AB AD AE AG BA BB BD BE BG BH BK BL BM BN BP DA DB DC DD DE DG DH DK
    DL DM DN DR DS DT EA EB ED KB KH KT KU PA PB PG PT
    """
)
# Letters after a number that are units or institutions, not a plate's suffix ("B 3 WBP", "02.30 WIB").
NOT_PLATE_SUFFIX = words("WBP WIB WITA WIT KM M CM KG ABH UPT PK HA RT RW UTC SR")

# -- NIK (Dukcapil layout: PP KK CC DDMMYY SSSS, day + 40 for women) ---------------------------------
# Province codes of the Ministry of Home Affairs' area codes (Aceh 11 … the Papua provinces 91–97).
PROVINCES = frozenset(
    [
        *range(11, 20),
        21,
        *range(31, 37),
        *range(51, 54),
        *range(61, 66),
        *range(71, 77),
        81,
        82,
        *range(91, 98),
    ]
)


# A private term that is initials only ("AS", "R.N."): matched in capitals only ("as of 21:32" is not
# "AS"), and said when a verified public item states it (officers' initials: DOMAIN.md).
_INITIALS_TERM = re.compile(r"(?:[A-Z]\.?\s?){1,4}")


def is_initials(term: str) -> bool:
    """Whether ``term`` is initials only: one to four capitals, each with an optional dot."""
    return _INITIALS_TERM.fullmatch(term.strip()) is not None
