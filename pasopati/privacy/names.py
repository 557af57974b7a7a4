"""Personal names in fact values, before they can reach a public text (UU PDP 27/2022 Pasal 4, UU SPPA
11/2012 Pasal 19; DOMAIN.md: an officer under examination is "AS", never "Ahmad Santoso").

A name is a word no reader finds in the vocabulary: Sastrawi's Indonesian dictionary (29 933 root
words, looked up with the common affixes taken off: "Pengamanan" → aman), the titles, institutions
and acronyms of ``pasopati.privacy.patterns``, the corrections words below, and the places the caller
knows (the roster's units, cities and provinces). Two strengths:

- ``beyond_initials`` (an initials-only item): any unknown word, in any case, is a name ("ahmad
  santoso", "AHMAD SANTOSO", "Brigadir Santoso"); listed people after a naming cue must be initials;
  identifying numbers (NIP, NRP: eight digits or more, spaced or not) are refused.
- ``names_in`` (any public item): a run of two or more capitalised words with an unknown one ("Budi
  Santoso", "Anak Binaan Rizky"), or anyone listed after a naming cue; at an LPKA also a lone unknown
  capitalised word inside a sentence ("Rizky dan Andi kabur": a child).

Known gap: a name made only of dictionary words ("Siti Rahayu", "Indah Lestari") outside a naming cue
passes; the reviewer still reads every draft. Sastrawi's stemmer is not used: it took up to a second
per unknown word (adversarial review), the affix list below is linear.
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
    blok wisma hunian apel klinik posko ibu bapak pak bu sdr sdri whatsapp wa nip nrp nik
    """
)
_PREFIXES = ("meng", "meny", "mem", "men", "me", "peng", "peny", "pem", "pen", "pe", "ber", "be", "per", "ter", "di", "ke", "se")
_SUFFIXES = ("kan", "an", "i", "nya", "lah", "kah")
_MELTED = {"m": "p", "n": "t", "ng": "k", "ny": "s"}
_CUE = r"\b(?:berinisial|inisial|bernama|atas\s+nama|a\.n\.|sdr\.|sdri\.|saudara|saudari|alias|named|initials?)\s+"
_LISTED = re.compile(rf"{_CUE}(?P<first>{WHO})(?P<more>(?:\s*(?:,|dan|serta|&|and)\s*{WHO})*)", re.IGNORECASE)
_NEXT = re.compile(rf"\s*(?:,|dan|serta|&|and)\s*(?P<who>{WHO})", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")
_CAPITALISED_RUN = re.compile(r"(?-i:[A-Z][a-z'’-]+)(?:\s+(?-i:[A-Z][a-z'’-]+|[A-Z]{2,}))+")
# A capitalised word standing alone inside a sentence: after a lower-case word or a comma, not next to
# another capitalised word ("Rizky dan Andi", not "RSUD Nabire" or "Kelas I Depok").
_LONE_CAPITALISED = re.compile(r"(?<=(?-i:\b[a-z][\w-]*),?\s+|,\s+)(?-i:[A-Z][a-z'’-]{2,})\b(?!\s+(?-i:[A-Z]))")
# A run that opens with one of these, or follows one, is a place or an office, not a person.
_PLACE_WORDS = words(
    """
    kabupaten kab kota provinsi desa kelurahan kecamatan dusun kampung jalan jl gang gg kompleks perumahan lapangan gunung
    sungai pulau teluk pantai danau lapas rutan lpka lpp bapas kanwil polres polresta polrestabes polda polsek rsud rsup rs
    di ke dari menuju
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
    """People listed after a naming cue that are neither initials nor a job ("Kepala Regu Pengamanan")."""
    found = []
    for listed in _LISTED.finditer(text):
        for person in [listed.group("first"), *(m.group("who") for m in _NEXT.finditer(listed.group("more")))]:
            first, *rest = person.split()
            job = bool(rest) and known_word(first, places) and first.lower() not in {"ibu", "bapak", "pak", "bu", "sdr", "sdri"}
            if not is_initials(person) and not job:
                found.append(person)
    return found


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
    """Personal names in a public value: capitalised runs with an unknown word, people listed after a
    naming cue (not initials, not a job), and at an LPKA lone unknown capitalised words inside a
    sentence; [] when none."""
    found = [run.group(0) for run in _CAPITALISED_RUN.finditer(text)
             if not _place(text, run) and any(not known_word(t, places) and not is_initials(t) for t in run.group(0).split())]
    if child_unit:
        found += [m.group(0) for m in _LONE_CAPITALISED.finditer(text) if not known_word(m.group(0), places)]
    return _unique([*_listed(text, places), *found])


def _place(text: str, run: re.Match[str]) -> bool:
    before = text[: run.start()].split()
    return run.group(0).split()[0].lower() in _PLACE_WORDS or bool(before) and before[-1].lower().strip(",") in _PLACE_WORDS


def _unique(terms: list[str]) -> list[str]:
    seen: set[str] = set()
    return [t for t in terms if not (t in seen or seen.add(t))]
