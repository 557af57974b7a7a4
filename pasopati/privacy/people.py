"""People: a child's identity (UU SPPA 11/2012 Pasal 19) — a name or initials with an age under 18,
an age under 18, a pupil's class or school, a school's name, initials after a child cue — and a
person's name after a naming cue ("bernama", "atas nama", "Sdr.")."""

from __future__ import annotations

import regex as re

from pasopati.privacy.entities import RegexEntityRecognizer, Rx, Span
from pasopati.privacy.patterns import ACRONYMS, COUNTED, INITIALS, NOT_A_NAME, WHO

_AGE = r"(?P<age>\d{1,2})"
_YEARS = r"(?:tahun|thn|th\.?|yo|y\.o\.|years?(?:\s+old)?)"
_SCHOOL_LEVEL = r"(?-i:SDN|SMPN|SMAN|SMKN|MTsN|SD|SMP|SMA|SMK|MTs|SLB)"
_PLACE_WORD = r"(?-i:(?!(?:Kepala|Lapas|Rutan|LPKA|Kelas|Tahun|Pasal|Nomor|Pada|Yang|Dan|Di)\b)[A-Z][a-z]+)"
_SCHOOL = rf"{_SCHOOL_LEVEL}(?:\s+(?-i:Negeri|Swasta|IT|[A-Z][a-z]+))?\s+\d{{1,3}}(?:\s+{_PLACE_WORD}){{0,2}}\b"
_CHILD_CUE = (
    r"(?:anak(?:\s+binaan)?|ABH|AB|Andikpas|remaja|bocah|balita|siswa|siswi|pelajar|murid|child|boy|girl"
    r"|juvenile|minor|teenager)"
)
_NAMING = r"(?:berinisial|inisial|bernama|named|initials?)"


def _trim_name(
    match: re.Match[str],
    text: str,
    group: int | str,
    acronyms: frozenset[str] = ACRONYMS,
) -> Span | None:
    """The span of ``group`` starting at the name in group ``who`` less its leading capitalised
    non-names ("Saudara Andi" → "Andi"); None when nothing name-like is left or the initials are
    one of ``acronyms``."""
    start, end = match.span("who")
    words = list(re.finditer(r"[\w.'’]+", text[start:end]))
    while words and words[0][0].lower().strip(".") in NOT_A_NAME:
        words.pop(0)
    if not words:
        return None
    first = start + words[0].start()
    if text[first:end].replace(".", "").replace(" ", "") in acronyms:
        return None
    return first, match.end(group)


# "Lapas Bogor (15), Depok (7)" counts people per place; "AR, 15 tahun penjara" is a sentence.
_PLACE_OR_COUNT_BEFORE = re.compile(
    r"(?:\b(?:di|dari|ke|kota|kabupaten|provinsi|lapas|rutan|lpka|kanwil|upt|blok)\s+|\(\d+\),?\s*)$",
    re.IGNORECASE,
)
_COUNT_AFTER = re.compile(r"\s*(?:,|dan|and)\s*[A-Z][\w ]*?\(\d+\)")
_SENTENCE_AFTER = re.compile(
    r"\s*(?:penjara|pidana|kurungan|hukuman|in\s+prison)\b", re.IGNORECASE
)


def _child_age(match: re.Match[str], text: str, group: int | str) -> Span | None:
    if not 0 < int(match["age"]) < 18:
        return None
    if not match.groupdict().get("who"):
        return match.span(group)
    # With an age after them, initials that double as an acronym ("MA (14)") are a child's; only
    # groups that are counted this way ("WBP (15)", "AB (3)") are not.
    span = _trim_name(match, text, group, COUNTED)
    if span is None or _SENTENCE_AFTER.match(text, match.end()):
        return None
    if re.fullmatch(INITIALS, text[span[0] : match.end("who")]):
        return span
    if _COUNT_AFTER.match(text, match.end()) or _PLACE_OR_COUNT_BEFORE.search(
        text, 0, span[0]
    ):
        return None
    return span


def child_recognizer() -> RegexEntityRecognizer:
    """A child's identity (UU SPPA Pasal 19): a name or initials with an age under 18, an age under 18,
    a pupil's class or school, a school's name, initials after a child cue."""
    flags = re.IGNORECASE
    not_a_range = r"(?!\s*(?:-|–|hingga|sampai|s\.?d\.?|to|dan|and|ke\s+atas)\b|\d)"
    return RegexEntityRecognizer(
        "pasopati_child",
        [
            Rx(
                "CHILD_IDENTITY",
                re.compile(
                    rf"(?<![\w.])(?P<who>{WHO})\s*\(\s*{_AGE}\s*{_YEARS}?\s*\)", flags
                ),
                check=_child_age,
            ),
            Rx(
                "CHILD_IDENTITY",
                re.compile(
                    rf"(?<![\w.])(?P<who>{WHO}),\s*{_AGE}\s*{_YEARS}(?!\w)", flags
                ),
                check=_child_age,
            ),
            Rx(
                "CHILD_IDENTITY",
                re.compile(
                    rf"\b(?:berusia|berumur|usia|umur|aged|age)\s+{_AGE}\s*{_YEARS}?{not_a_range}",
                    flags,
                ),
                check=_child_age,
            ),
            Rx(
                "CHILD_IDENTITY",
                re.compile(rf"\b{_AGE}[- ]years?[- ]old\b", flags),
                check=_child_age,
            ),
            Rx(
                "CHILD_IDENTITY",
                re.compile(
                    rf"\b(?:siswa|siswi|pelajar|murid|santri|student|pupil)\s+(?:(?:kelas|class|grade)\s+(?:\d{{1,2}}|[IVX]{{1,4}})"
                    rf"(?:\s+{_SCHOOL})?|{_SCHOOL}|{_SCHOOL_LEVEL}\b)",
                    flags,
                ),
            ),
            Rx("CHILD_IDENTITY", re.compile(rf"(?<![\w.]){_SCHOOL}", flags)),
            Rx(
                "CHILD_IDENTITY",
                re.compile(
                    rf"\b{_CHILD_CUE}\s+(?:(?:laki-laki|perempuan)\s+)?(?:{_NAMING}\s+)?(?P<who>{INITIALS})",
                    flags,
                ),
                group="who",
                check=_trim_name,
            ),
            Rx(
                "CHILD_IDENTITY",
                re.compile(
                    rf"\b{_CHILD_CUE}\s+(?:(?:laki-laki|perempuan)\s+)?{_NAMING}\s+(?P<who>{WHO})",
                    flags,
                ),
                group="who",
                check=_trim_name,
            ),
        ],
    )


# DOMAIN.md: an officer under examination is named by initials only — those initials are the rule, not a leak.
_OFFICER_BEFORE = re.compile(r"\b(?:petugas|oknum|pejabat|pegawai|sipir|officers?|officials?|employees?|staff|guards?|wardens?)\b[^.\n]{0,30}$", re.IGNORECASE)


def _name_not_officer_initials(match: re.Match[str], text: str, group: int | str) -> Span | None:
    span = _trim_name(match, text, group)
    if span is not None and re.fullmatch(INITIALS, text[span[0]:match.end("who")]) and _OFFICER_BEFORE.search(text, 0, match.start()):
        return None
    return span


def person_recognizer() -> RegexEntityRecognizer:
    """A person's name or initials after a naming cue ("bernama …", "berinisial …", "atas nama …",
    "Sdr. …"); titles and institutions after the cue are not names."""
    cue = r"\b(?:bernama|berinisial|inisial|atas\s+nama|a\.n\.|sdr\.|sdri\.|saudara|saudari|named|initials?)\s+"
    return RegexEntityRecognizer(
        "pasopati_person",
        [
            Rx(
                "PERSON_NAME",
                re.compile(rf"{cue}(?P<who>{WHO})", re.IGNORECASE),
                group="who",
                check=_name_not_officer_initials,
            ),
        ],
    )
