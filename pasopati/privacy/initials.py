"""Values that may name people by their initials only (DOMAIN.md: an officer under examination is
"AS", never "Ahmad Santoso"): what in such a value is more than initials.

Three signs of a name, each a rule a Humas reviewer applies:
- after a naming cue ("berinisial", "bernama", "atas nama", "Sdr.") every person listed ("AS, BT dan
  Budi") must be initials or a job ("AS, Komandan Jaga");
- a run of capitalised words at least two of which are no Indonesian word (Sastrawi's dictionary
  of 29 933 root words, after stemming), no title, institution or acronym: "Ahmad Santoso",
  "Hendra Kurniawan" — while "Kepala Regu Pengamanan" or "Kesatuan Pengamanan Lapas" are jobs;
- an identifier: what the scanner finds (NIK, a phone number) or nine digits or more (a NIP).

Known gap: a name made only of dictionary words ("Siti Rahayu", "Indah Lestari") outside a naming
cue passes; the reviewer still reads every draft.
"""

from __future__ import annotations

from functools import lru_cache

import regex as re

from pasopati.privacy.patterns import ACRONYMS, NOT_A_NAME, WHO, is_initials
from pasopati.privacy.scan import scan

_CUE = r"\b(?:berinisial|inisial|bernama|atas\s+nama|a\.n\.|sdr\.|sdri\.|saudara|saudari|named|initials?)\s+"
_LISTED = re.compile(rf"{_CUE}(?P<first>{WHO})(?P<more>(?:\s*(?:,|dan|serta|&|and)\s*{WHO})*)", re.IGNORECASE)
_NEXT = re.compile(rf"\s*(?:,|dan|serta|&|and)\s*(?P<who>{WHO})", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"(?<!\d)\d{9,}(?!\d)")  # NIP (18 digits), a card number: never an officer's initials
_CAPITALISED_RUN = re.compile(r"(?-i:[A-Z][a-z'’]+)(?:\s+(?-i:[A-Z][a-z'’]+))+")


@lru_cache(maxsize=1)
def _dictionary() -> tuple[frozenset[str], object]:
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    factory = StemmerFactory()
    return frozenset(factory.get_words()), factory.create_stemmer()


def _is_word(token: str) -> bool:
    """An Indonesian word, title, institution or acronym: not a personal name."""
    lower = token.lower()
    if lower in NOT_A_NAME or token.upper() in ACRONYMS:
        return True
    known, stemmer = _dictionary()
    return lower in known or stemmer.stem(lower) in known  # type: ignore[attr-defined]


def _job(listed: str) -> bool:
    """A listed "person" that is a job or unit ("Kepala Regu Pengamanan", "Komandan Jaga"): a title
    word, or several words opening with an Indonesian word. A lone word ("Budi") after a naming cue
    is a name, whatever else it means."""
    first, *rest = listed.split()
    return first.lower() in NOT_A_NAME or first.upper() in ACRONYMS or (bool(rest) and _is_word(first))


def beyond_initials(text: str) -> list[str]:
    """What in ``text`` names a person other than by initials, or identifies one; [] when nothing does.

    "Dua petugas berinisial AS dan BT" -> []; "AS dan Budi" after "berinisial" -> ["Budi"];
    "Ahmad Santoso" -> ["Ahmad Santoso"]; "NIP 198001012005011001" -> ["198001012005011001"]."""
    found: list[str] = []
    for listed in _LISTED.finditer(text):
        people = [listed.group("first"), *(m.group("who") for m in _NEXT.finditer(listed.group("more")))]
        found.extend(p for p in people if not is_initials(p) and not _job(p))
    for run in _CAPITALISED_RUN.finditer(text):
        if sum(not _is_word(token) for token in run.group(0).split()) >= 2:
            found.append(run.group(0))
    found.extend(f.text for f in scan(text) if not is_initials(f.text))
    found.extend(n.group(0) for n in _LONG_NUMBER.finditer(text))
    seen: set[str] = set()
    return [t for t in found if not (t in seen or seen.add(t))]
