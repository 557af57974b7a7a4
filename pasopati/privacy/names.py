"""Personal names in fact values (UU PDP 27/2022 Pasal 4, UU SPPA 11/2012 Pasal 19; DOMAIN.md: an
officer under examination is "AS", never "Ahmad Santoso").

A name is a word no reader finds in the vocabulary: Sastrawi's Indonesian dictionary (29 933 root
words, looked up with up to two prefixes and a suffix taken off: "Kepemimpinan" → pimpin), the
titles, institutions and acronyms of ``pasopati.privacy.patterns``, the corrections words below, and
the places the caller knows (the roster's units, cities and provinces). Two strengths:

- ``beyond_initials`` (an initials-only item, refused when submitted): any unknown word, in any case,
  is a name ("ahmad santoso", "AHMAD SANTOSO", "Brigadir Santoso"); people listed after a naming cue
  must be initials; identifying numbers (NIP, NRP: eight digits or more, spaced or not) are refused.
- ``names_in`` (any public value; pasopati.drafts.privacy_check makes each an overridable finding
  wherever a draft states it, so a place it mistakes for a name costs a reason, never a blocked
  verification): capitalised runs with an unknown word ("Budi Santoso", "Anak Binaan Rizky"), words
  in capitals ("RIZKY"), anyone after a naming or person cue ("bernama Budi", "WBP Sutrisno", "korban
  Agus"), and at an LPKA a lone unknown capitalised word ("Rizky dan Andi kabur": a child).

Measured gaps (adversarial review): half of common given names are dictionary words (Agus, Budi,
Bayu) and pass outside a cue; names in lower case pass outside ``beyond_initials``. The reviewer
still reads every draft. Sastrawi's stemmer is not used: it took up to a second per unknown word; the
affix rules here are linear.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import regex as re

from pasopati.privacy.patterns import ACRONYMS, NOT_A_NAME, WHO, is_initials, words
from pasopati.privacy.scan import scan

# Words of the corrections service and its partners that no dictionary holds.
CORRECTIONS_WORDS = words(
    """
    kamtib satops patnal kplp kpr p2u sdp propam polda polres polresta polrestabes polsek brimob satgas satpol adm staf
    wbp lapas rutan lpka lpp bapas upt kanwil ditjenpas kemenimipas kemenkumham kalapas karutan kasi kasubsi kabid kabag
    kakanwil kadiv dirjen sekjen wamen menteri rsud rsup bhayangkara puskesmas bmkg bpbd bnpb basarnas damkar pmi tni
    polri bnn kpk kpai komnas ombudsman inspektorat itjen kejari kejati kejaksaan pengadilan litmas pk ham sop cctv
    blok wisma hunian apel klinik posko ibu bapak pak bu sdr sdri whatsapp wa nip nrp nik subseksi seksi satreskrim
    reskrim resmob ditreskrimum ditreskrimsus inafis saber pungli kapolres kapolsek kapolda kodim dandim koramil sabhara
    damkar dr
    """
)
_PREFIXES = ("meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen", "pe", "ber", "be", "per", "ter", "di", "ke", "se")
_SUFFIXES = ("kan", "an", "i", "nya", "lah", "kah")
_MELTED = {"m": "p", "n": "t", "ng": "k", "ny": "s"}
_CUE = r"\b(?:berinisial|inisial|bernama|atas\s+nama|a\.n\.|sdr\.|sdri\.|saudara|saudari|alias|bin|binti|yaitu|named|initials?)\s+"
# Words that stand before a person: "WBP Sutrisno", "korban Agus", "Tn. Suparman" (a title or
# institution after them is no person: "petugas Lapas").
_PERSON_CUE = r"\b(?:wbp|napi|narapidana|tahanan|korban|pelaku|tersangka|oknum(?:\s+petugas)?|petugas|anak\s+binaan|tn\.|ny\.|nn\.)\s+"
_LISTED = re.compile(rf"(?:{_CUE}|{_PERSON_CUE})(?P<first>{WHO})(?P<more>(?:\s*(?:,|dan|serta|&|and)\s*{WHO})*)", re.IGNORECASE)
_NEXT = re.compile(rf"\s*(?:,|dan|serta|&|and)\s*(?P<who>{WHO})", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")
_CAPITALISED_RUN = re.compile(r"(?-i:[A-Z][a-z'’-]+)(?:\s+(?-i:[A-Z][a-z'’-]+|[A-Z]{2,}))+")
# A capitalised word standing alone inside a sentence: after a lower-case word or a comma, not next to
# another capitalised word ("Rizky dan Andi", not "RSUD Nabire" or "Kelas I Depok").
_LONE_CAPITALISED = re.compile(r"(?<=(?-i:\b[a-z][\w-]*),?\s{1,3}|[,:;(]\s{0,3})(?-i:[A-Z][a-z'’-]{2,})\b(?!\s+(?-i:[A-Z]))")
_SHOUTED = re.compile(r"\b(?-i:[A-Z]{4,})\b")
# A run that opens with one of these, or follows one, is a place or an office, not a person.
_PLACE_WORDS = words(
    """
    kabupaten kab kota provinsi desa kelurahan kecamatan dusun kampung jalan jl gang gg kompleks perumahan lapangan gunung
    sungai pulau teluk pantai danau lapas rutan lpka lpp bapas kanwil polres polresta polrestabes polda polsek rsud rsup rs
    rumah sakit dr puskesmas kodim koramil pengadilan klinik dinas stasiun terminal bandara pelabuhan sistem balai instalasi
    kepala kantor badan kementerian direktorat seksi subseksi bidang bagian divisi tim satuan unit regu kesatuan sekolah
    universitas masjid gereja pasar gedung ruang taman hotel bank
    """
)
_ID_NUMBER = re.compile(r"(?<![\d.,])\d(?:[ .-]?\d){7,}(?![\d,])")  # NIP (18), NRP (8): "19800101 200501 1 001"


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return frozenset(StemmerFactory().get_words())


def known_word(token: str, places: frozenset[str] = frozenset()) -> bool:
    """Whether ``token`` is an Indonesian word, a title, institution, acronym, corrections word or one
    of ``places`` (lower-case words): not a personal name."""
    lower = token.lower().strip("'’-")
    if lower in NOT_A_NAME or lower in CORRECTIONS_WORDS or lower in places or token.upper() in ACRONYMS:
        return True
    return _derived(lower, 2) or "-" in lower and all(known_word(part, places) for part in lower.split("-") if part)  # "luka-luka"


def _derived(word: str, prefixes: int) -> bool:
    """Whether ``word`` is a dictionary root with up to ``prefixes`` prefixes and one suffix taken off
    ("kepemimpinan" ← ke-pe-mimpin-an)."""
    dictionary = _dictionary()
    if word in dictionary or any(word.endswith(s) and word[: -len(s)] in dictionary for s in _SUFFIXES):
        return True
    if prefixes == 0:
        return False
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            rest = word[len(prefix):]
            # meN-/peN- melt the root's first letter: pemeriksaan ← periksa, penahanan ← tahan, pengirim ← kirim, penyidik ← sidik
            melted = _MELTED.get(prefix[-2:] if prefix[-2:] in ("ng", "ny") else prefix[-1:])
            if _derived(rest, prefixes - 1) or (melted and _derived(melted + rest, prefixes - 1)):
                return True
    return False


def place_words(names: Iterable[str]) -> frozenset[str]:
    """Lower-case words of place and office names (roster units, cities, provinces)."""
    return frozenset(w.lower() for name in names for w in _TOKEN.findall(name))


def _listed(text: str, places: frozenset[str]) -> list[str]:
    """People listed after a naming or person cue that are neither initials, a title or institution
    ("petugas Lapas"), nor a job ("Kepala Regu Pengamanan")."""
    found = []
    for listed in _LISTED.finditer(text):
        for person in [listed.group("first"), *(m.group("who") for m in _NEXT.finditer(listed.group("more")))]:
            first, *rest = person.split()
            if is_initials(person) or _office(first, places):
                continue
            if rest and known_word(first, places) and first.lower() not in _HONORIFICS:
                continue  # "Komandan Jaga": a job
            found.append(person)
    return found


_HONORIFICS = frozenset({"ibu", "bapak", "pak", "bu", "sdr", "sdri", "mas", "mbak"})


def _office(word: str, places: frozenset[str]) -> bool:
    lower = word.lower()
    return lower in NOT_A_NAME or lower in CORRECTIONS_WORDS or lower in places or word.upper() in ACRONYMS


def _identifiers(text: str) -> list[str]:
    return [f.text for f in scan(text) if not is_initials(f.text)] + [m.group(0) for m in _ID_NUMBER.finditer(text)]


def beyond_initials(text: str, places: frozenset[str] = frozenset(), *, vocabulary: bool = True) -> list[str]:
    """What in an initials-only value names or identifies a person: unknown words (grouped: "Ahmad
    Santoso"), people listed after a naming cue who are not initials, identifying numbers; [] when
    nothing does. "Dua petugas berinisial AS dan BT, Kepala Regu Pengamanan" -> []. ``vocabulary``
    False (an English value: the dictionary is Indonesian) checks only the listed people and numbers."""
    found: list[str] = []
    run: list[str] = []
    for token in [*(_TOKEN.finditer(text) if vocabulary else ()), None]:
        if token is not None and not is_initials(token.group(0)) and not known_word(token.group(0), places):
            run.append(token.group(0))
            continue
        if run:
            found.append(" ".join(run))
            run = []
    return _unique([*_listed(text, places), *found, *_identifiers(text)])


def names_in(text: str, places: frozenset[str] = frozenset(), *, child_unit: bool = False) -> list[str]:
    """Personal names in a public value (see the module's rules); [] when none."""
    found = [run.group(0) for run in _CAPITALISED_RUN.finditer(text)
             if not _place(text, run) and any(not known_word(t, places) and not is_initials(t) for t in run.group(0).split())]
    # In capitals: a name has vowels like a word ("RAMADHAN"); an acronym rarely does ("AKBP", "SPKT").
    found += [m.group(0) for m in _SHOUTED.finditer(text)
              if sum(c in "AIUEO" for c in m.group(0)) >= 2 and not known_word(m.group(0), places)]
    if child_unit:
        found += [m.group(0) for m in _LONE_CAPITALISED.finditer(text) if not known_word(m.group(0), places)]
    return _unique([*_listed(text, places), *found])


def _place(text: str, run: re.Match[str]) -> bool:
    before = text[: run.start()].split()
    return run.group(0).split()[0].lower() in _PLACE_WORDS or bool(before) and before[-1].lower().strip(",.") in _PLACE_WORDS


def _unique(terms: list[str]) -> list[str]:
    seen: set[str] = set()
    return [t for t in terms if not (t in seen or seen.add(t))]
