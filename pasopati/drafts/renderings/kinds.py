"""The message kinds a body can name, with their fixed labels and short tags per language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    spellings: tuple[str, ...]  # how a body's kind line may say it, uppercase
    label_id: str
    label_en: str
    tag_id: str
    tag_en: str


KINDS = (
    Kind(
        ("PERNYATAAN AWAL", "INITIAL STATEMENT", "HOLDING STATEMENT"),
        "Pernyataan Awal",
        "Initial Statement",
        "[PERNYATAAN AWAL]",
        "[STATEMENT]",
    ),
    Kind(
        ("SIARAN PERS", "PRESS RELEASE"),
        "Siaran Pers",
        "Press Release",
        "[SIARAN PERS]",
        "[PRESS RELEASE]",
    ),
    Kind(
        ("KLARIFIKASI", "CLARIFICATION"),
        "Klarifikasi",
        "Clarification",
        "[KLARIFIKASI]",
        "[CLARIFICATION]",
    ),
    Kind(
        ("PEMUTAKHIRAN INFORMASI", "PEMUTAKHIRAN", "UPDATE", "INFORMATION UPDATE"),
        "Pemutakhiran Informasi",
        "Update",
        "[PEMUTAKHIRAN]",
        "[UPDATE]",
    ),
    Kind(
        ("RALAT", "CORRECTION"),
        "Ralat",
        "Correction",
        "[RALAT]",
        "[CORRECTION]",
    ),
)
_BY_SPELLING = {spelling: kind for kind in KINDS for spelling in kind.spellings}
# An unknown kind line longer than this is not used as a tag or label.
_MAX_UNKNOWN = 40


def known_kind(line: str) -> Kind | None:
    return _BY_SPELLING.get(" ".join(line.split()).upper())


def is_english(language: str) -> bool:
    return language.split("-")[0].lower() == "en"


def kind_tag(kind: str, language: str) -> str:
    """The short tag, [SIARAN PERS]; an unknown kind as written, in brackets; or ""."""
    known = known_kind(kind)
    if known:
        return known.tag_en if is_english(language) else known.tag_id
    return f"[{kind}]" if 0 < len(kind) <= _MAX_UNKNOWN else ""


def kind_label(kind: str, language: str) -> str:
    """The label, Siaran Pers; an unknown kind capitalised word by word; or ""."""
    known = known_kind(kind)
    if known:
        return known.label_en if is_english(language) else known.label_id
    if 0 < len(kind) <= _MAX_UNKNOWN:
        return " ".join(word.capitalize() for word in kind.split())
    return ""


def labelled(label: str, title: str) -> str:
    """The label and the title, "Siaran Pers: <title>"; the title alone when it already
    opens with the label ("Klarifikasi atas …"); the label alone without a title."""
    if not label or title.casefold().startswith(label.casefold()):
        return title or label
    return f"{label}: {title}" if title else label
