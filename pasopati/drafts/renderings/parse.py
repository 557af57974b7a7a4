"""Parse an approved plain-text body into its `Parts`.

Approvers edit the text freely, so every rule degrades: no letterhead → none; no kind →
""; no recognisable title → the first non-empty line; whatever is not recognised stays
body text, in order. Any string parses; nothing here raises.
"""

from __future__ import annotations

import re

from pasopati.drafts.renderings.kinds import known_kind
from pasopati.drafts.renderings.model import Parts
from pasopati.drafts.renderings.text import clean_line, is_abbreviation

Block = tuple[str, ...]

_END_MARKER = re.compile(r"\*{3,}|#{3,}|-+\s*(?:selesai|end|akhir)\s*-+", re.IGNORECASE)
_NUMBER_LINE = re.compile(
    r"(?:nomor|no\.?|number|ref\.?)\s*:\s*(?P<n>.*)", re.IGNORECASE
)
# "Bandung, Senin, 30 November 2026 — Kantor …": place and date, a dash, the lead.
_DATELINE = re.compile(r"(?P<d>[^—–]{2,100}?)\s+(?P<dash>—|–|--|-)\s+(?=\S)")
_YEAR = re.compile(r"\b\d{4}\b")
_INLINE_SECTION = re.compile(r"(?P<label>[^:]{1,60}):\s*(?P<content>\S.*)")
# Labels recognised on one line with their content ("Narahubung: Bagian Humas …").
_SECTION_LABELS = frozenset(
    {
        "narahubung",
        "kontak",
        "kontak media",
        "informasi lebih lanjut",
        "catatan untuk redaksi",
        "catatan untuk editor",
        "contact",
        "media contact",
        "press contact",
        "notes to editors",
        "note to editors",
    }
)
_MAX_LETTERHEAD = 3
_MAX_TITLE = 200
_MAX_LABEL = 60


def parts(body: str) -> Parts:
    """The parts of ``body`` (see `Parts`); any string parses."""
    blocks = _without_end_marker(_blocks(body))
    first_line = blocks[0][0] if blocks else ""
    letterhead, blocks = _take_letterhead(blocks)
    kind, number, blocks = _take_kind(blocks)
    fallback = blocks[0][0] if blocks else first_line
    title, blocks = _take_title(blocks)
    blocks, sections, signature = _take_tail(blocks)
    dateline, lead = _split_dateline("\n".join(blocks[0])) if blocks else ("", "")
    return Parts(
        letterhead=letterhead,
        kind=kind,
        number=number,
        title=title or fallback,
        dateline=dateline,
        lead=lead,
        paragraphs=tuple("\n".join(block) for block in blocks[1:]),
        sections=sections,
        signature=signature,
    )


def _blocks(body: str) -> list[Block]:
    """Runs of non-empty lines; any line break (CR, LF, U+2028 …) ends a line."""
    blocks: list[Block] = []
    current: list[str] = []
    for line in map(clean_line, body.splitlines()):
        if line:
            current.append(line)
        elif current:
            blocks.append(tuple(current))
            current = []
    if current:
        blocks.append(tuple(current))
    return blocks


def _without_end_marker(blocks: list[Block]) -> list[Block]:
    while blocks and _END_MARKER.fullmatch(blocks[-1][-1]):
        rest = blocks[-1][:-1]
        blocks = [*blocks[:-1], rest] if rest else blocks[:-1]
    return blocks


def _is_upper(line: str) -> bool:
    return any(c.isupper() for c in line) and not any(c.islower() for c in line)


def _take_letterhead(blocks: list[Block]) -> tuple[Block, list[Block]]:
    """1-3 all-uppercase lines opening the body, alone or right before the kind line."""
    if not blocks:
        return (), blocks
    block = blocks[0]
    n = 0
    while n < min(len(block), _MAX_LETTERHEAD):
        if not _is_upper(block[n]) or known_kind(block[n]):
            break
        n += 1
    if n and n == len(block):
        return block, blocks[1:]
    if n and known_kind(block[n]):
        return block[:n], [block[n:], *blocks[1:]]
    return (), blocks


def _take_kind(blocks: list[Block]) -> tuple[str, str, list[Block]]:
    """A known kind line, or an uppercase line with a "Nomor:" line under it."""
    if not blocks:
        return "", "", blocks
    block = blocks[0]
    numbered = _NUMBER_LINE.fullmatch(block[1]) if len(block) > 1 else None
    short_upper = _is_upper(block[0]) and len(block[0]) <= _MAX_LABEL
    if not (known_kind(block[0]) or (numbered and short_upper)):
        return "", "", blocks
    number = numbered.group("n").strip() if numbered else ""
    left = block[2:] if numbered else block[1:]
    rest = [left, *blocks[1:]] if left else blocks[1:]
    # An approver may have put a blank line between the kind and its number.
    if not number and rest and len(rest[0]) == 1:
        apart = _NUMBER_LINE.fullmatch(rest[0][0])
        if apart:
            number, rest = apart.group("n").strip(), rest[1:]
    return block[0], number, rest


def _take_title(blocks: list[Block]) -> tuple[str, list[Block]]:
    """A block of one or two short lines that is not a sentence, a dateline or a label."""
    if not blocks or len(blocks[0]) > 2:
        return "", blocks
    title = " ".join(blocks[0])
    if len(title) > _MAX_TITLE or title.endswith((".", ",", ";", ":")):
        return "", blocks
    if _split_dateline(title)[0] or _as_section(blocks[0]):
        return "", blocks
    return title, blocks[1:]


def _take_tail(
    blocks: list[Block],
) -> tuple[list[Block], tuple[tuple[str, str], ...], Block]:
    """Labelled sections and the signature, peeled off the end in either order."""
    sections: list[tuple[str, str]] = []
    signature: Block = ()
    while blocks:
        if len(blocks) > 1 and _is_label_only(blocks[-2]):
            label = blocks[-2][0][:-1].strip()
            sections.insert(0, (label, "\n".join(blocks[-1])))
            blocks = blocks[:-2]
        elif section := _as_section(blocks[-1]):
            sections.insert(0, section)
            blocks = blocks[:-1]
        elif _is_label_only(blocks[-1]):
            sections.insert(0, (blocks[-1][0][:-1].strip(), ""))
            blocks = blocks[:-1]
        elif not signature and len(blocks) > 1 and _is_signature(blocks[-1]):
            signature, blocks = blocks[-1], blocks[:-1]
        else:
            break
    return blocks, tuple(sections), signature


def _is_label(text: str) -> bool:
    return 0 < len(text) <= _MAX_LABEL and len(text.split()) <= 6


def _is_label_only(block: Block) -> bool:
    return len(block) == 1 and block[0].endswith(":") and _is_label(block[0][:-1])


def _as_section(block: Block) -> tuple[str, str] | None:
    head = block[0]
    if len(block) > 1 and head.endswith(":") and _is_label(head[:-1].strip()):
        return head[:-1].strip(), "\n".join(block[1:])
    inline = _INLINE_SECTION.fullmatch(head)
    if inline and inline.group("label").strip().casefold() in _SECTION_LABELS:
        content = "\n".join([inline.group("content").strip(), *block[1:]])
        return inline.group("label").strip(), content
    return None


def _is_signature(block: Block) -> bool:
    """A name and a title: 2-4 short lines, no sentence (a degree like "S.H." may end one)."""
    if not 2 <= len(block) <= 4:
        return False
    if len(block[0]) > 80 or len(block[0].split()) > 10:
        return False
    for line in block:
        if len(line) > 150 or line.endswith(":"):
            return False
        if line.endswith(("!", "?")):
            return False
        if line.endswith(".") and not is_abbreviation(line.split()[-1]):
            return False
    return True


def _split_dateline(paragraph: str) -> tuple[str, str]:
    """("Bandung, Senin, 30 November 2026", the rest) when the paragraph opens with a
    place and date and a dash; ("", paragraph) otherwise."""
    match = _DATELINE.match(paragraph)
    if not match:
        return "", paragraph
    dateline = match.group("d").strip()
    # A plain hyphen is common inside sentences: then only a year makes it a dateline.
    if match.group("dash") == "-":
        has_date = bool(_YEAR.search(dateline))
    else:
        has_date = any(c.isdigit() for c in dateline)
    place_only = _is_upper(dateline) and len(dateline) <= 40
    if "\n" in dateline or ". " in dateline or not (has_date or place_only):
        return "", paragraph
    return dateline, paragraph[match.end() :]
