"""``scan``: the personal data in one text, as findings that cite their law."""

from __future__ import annotations

from collections.abc import Iterable

import regex as re
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

from pasopati.privacy.engine import analyzer
from pasopati.privacy.entities import same_phone
from pasopati.privacy.findings import RULES, Finding
from pasopati.privacy.patterns import is_initials
from pasopati.privacy.recognizers import LANGUAGE, STRONG, UNCASED

# A village named in the same sentence as a child points to the child (UU SPPA Pasal 19).
_VILLAGE = re.compile(r"(?i:dusun|desa|kelurahan|kel\.|kampung|dukuh)\b")
_CHILD_WORD = re.compile(
    r"\b(?:anak|bocah|balita|remaja|siswa|siswi|pelajar|murid|santri|child|children|boy|girl|juvenile|minor)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n")


def scan(
    text: str,
    *,
    private_terms: Iterable[str] = (),
    allow: Iterable[str] = (),
    child_unit: bool = False,
) -> list[Finding]:
    """The personal data in ``text``, as findings sorted by ``start``.

    ``private_terms``: names and identifiers from the incident's non-public facts (see
    ``private_terms_from``), matched case-insensitively as whole words (rule ``private_name``).
    ``allow``: exact institutional strings never flagged — the Humas desk's own phone number and
    e-mail; a phone finding that is the same number as an allowed one, written otherwise, is allowed too.
    ``child_unit``: the incident is at an LPKA, so every person's name or initials (after a naming cue,
    or from ``private_terms``) is a child's identity (rule ``child_identity``, never overridable).

    Where two rules claim the same characters the higher-ranked rule wins (``findings.RULES``: the
    child's identity first, then NIK, KK, …). Raises TypeError when ``text`` is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"scan() needs a str, not {type(text).__name__}")
    if not text.strip():
        return []
    terms = [t for t in private_terms if t and t.strip()]
    initials = [t for t in terms if is_initials(t)]
    others = [t for t in terms if t not in initials]
    ad_hoc = [r for r in (_terms_recognizer(others, UNCASED) if others else None,
                          _terms_recognizer(initials, 0, "pasopati_private_initials") if initials else None) if r] or None
    results = analyzer().analyze(
        text=text, language=LANGUAGE, ad_hoc_recognizers=ad_hoc
    )
    claims = [(_rule(r, text, child_unit), r.start, r.end) for r in results]
    claims = [c for c in claims if not _allowed(c, text, [a for a in allow if a])]
    kept = _resolve(claims)
    kept = [_child_village(claim, kept, text) for claim in kept]
    return [
        Finding.of(rule, text, start, end)
        for rule, start, end in sorted(kept, key=lambda c: (c[1], c[2]))
    ]


def _terms_recognizer(terms: list[str], flags: int, name: str = "pasopati_private_terms") -> PatternRecognizer:
    return PatternRecognizer(
        supported_entity="PRIVATE_NAME",
        name=name,
        supported_language=LANGUAGE,
        patterns=[Pattern("private terms", words_pattern(terms), STRONG)],
        global_regex_flags=flags,
    )


def words_pattern(terms: Iterable[str]) -> str:
    """One regex matching any of ``terms`` as a whole word, any whitespace between its words."""
    escaped = sorted(
        {r"\s+".join(re.escape(w) for w in t.split()) for t in terms if t.strip()},
        key=len,
        reverse=True,
    )
    return rf"(?<!\w)(?:{'|'.join(escaped)})(?!\w)"


# An adult named at an LPKA (the head, an officer, a minister) is a person's name, not a child's identity.
_ADULT_BEFORE = re.compile(
    r"(?:\b(?:kepala|petugas|pejabat|pegawai|saudara|saudari|bapak|ibu|pak|bu|menteri|direktur|kalapas|karutan|dokter"
    r"|officer|director|minister)\b|\b(?:sdr|sdri|dr|mr|mrs|ms)\.)[^.\n]{0,25}$",
    re.IGNORECASE,
)


def _rule(result: RecognizerResult, text: str, child_unit: bool) -> str:
    """The rule of a Presidio result; at an LPKA a person's name is a child's identity, unless an
    adult's title or role comes just before it."""
    rule = result.entity_type.lower()
    if rule == "person_name":
        rule = "private_name"
    if (
        child_unit
        and rule == "private_name"
        and not any(c.isdigit() for c in text[result.start : result.end])
        and not _ADULT_BEFORE.search(text, 0, result.start)
    ):
        return "child_identity"
    return rule


def _allowed(claim: tuple[str, int, int], text: str, allow: list[str]) -> bool:
    rule, start, end = claim
    for item in allow:
        for occurrence in re.finditer(re.escape(item), text):
            if occurrence.start() <= start and end <= occurrence.end():
                return True
        if rule == "phone" and same_phone(text[start:end], item):
            return True
        if rule == "email" and text[start:end].lower() == item.lower():
            return True
    return False


def _resolve(claims: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Overlapping claims: the higher-ranked rule wins, then the longer span."""
    kept: list[tuple[str, int, int]] = []
    for claim in sorted(
        set(claims), key=lambda c: (RULES[c[0]].rank, c[1] - c[2], c[1])
    ):
        if all(claim[2] <= start or end <= claim[1] for _, start, end in kept):
            kept.append(claim)
    return kept


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def _child_village(
    claim: tuple[str, int, int], kept: list[tuple[str, int, int]], text: str
) -> tuple[str, int, int]:
    rule, start, end = claim
    if rule != "address" or not _VILLAGE.match(text, start):
        return claim
    lo, hi = _sentence(text, start, end)
    near_child = any(
        r == "child_identity" and lo <= s < hi for r, s, _ in kept
    ) or _CHILD_WORD.search(text, lo, hi)
    return ("child_identity", start, end) if near_child else claim
