"""Plain-text helpers the renderers share: cleaning, sentence and word boundaries, and
cutting text to fit a limit without ever cutting inside a word (or a number)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence

ELLIPSIS = "…"

# Control characters, lone surrogates and the code points X refuses (BOM, U+FFFE/U+FFFF):
# no channel displays them and some reject the whole message for one of them.
_UNWANTED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? or … (and any closing quotes or brackets) before whitespace,
# or at a CJK full stop, which needs no space after it.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[。！？]+[」』）]*")
_CJK_ENDS = "。！？」』）"
_NEXT_START = re.compile(r"\s+(\S)")
_OPENERS = "\"'“‘«(["
# Abbreviations that end in a period inside a sentence (Indonesian and English).
_ABBREVIATIONS = frozenset(
    {
        *("dr", "drs", "dra", "ir", "prof", "h", "hj", "kh", "jl", "jln", "no", "kol"),
        *("kec", "kab", "kel", "tgl", "dll", "dsb", "dst", "yth", "bpk", "sdr", "sdri"),
        *("st", "mr", "mrs", "ms", "vs", "etc", "jr", "sr", "rp", "tel", "telp", "hlm"),
        *("kp", "ds", "inc", "ltd"),
    }
)
# Degrees and dotted abbreviations: S.H., M.Si., a.n.
_DOTTED = re.compile(r"(?:[^\W\d_]{1,4}\.){2,}")
# Trailing characters dropped before an ellipsis ("Bandung," → "Bandung…").
_BEFORE_ELLIPSIS = " ,;:—–-"


def clean_line(line: str) -> str:
    """A line without control characters (a tab becomes a space), stripped."""
    return _UNWANTED.sub("", line.replace("\t", " ")).strip()


def flatten(text: str) -> str:
    """One line: every run of whitespace (newlines, tabs, spaces) becomes one space."""
    # Whitespace first: the control-character pattern covers newline and tab too.
    spaced = _UNWANTED.sub("", _WHITESPACE.sub(" ", text))
    return _WHITESPACE.sub(" ", spaced).strip()


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts (an emoji counts 2); for other
    limits the stricter count. A lone surrogate counts 1 rather than raising."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def is_abbreviation(token: str) -> bool:
    """Whether a token ending in "." is an abbreviation rather than a sentence's end."""
    word = token.lstrip(_OPENERS)
    bare = word[:-1]
    if len(bare) == 1 and bare.isalpha():  # an initial
        return True
    return bare.casefold() in _ABBREVIATIONS or bool(_DOTTED.fullmatch(word))


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    if match.group()[-1] in _CJK_ENDS:
        return match.end() < len(text)
    following = _NEXT_START.match(text, match.end())
    if not following:
        return False
    start = following.group(1)
    if not (start.isupper() or start.isdigit() or start in _OPENERS):
        return False
    if match.group() != ".":
        return True
    # A window, not the whole text before: this runs once per sentence of huge bodies.
    before = text[max(0, match.start() - 40) : match.start()].rsplit(None, 1)
    return not (before and is_abbreviation(before[-1] + "."))


def sentence_ends(text: str, horizon: int | None = None) -> list[int]:
    """Offsets just past each sentence of a stripped text, up to ``horizon``."""
    ends = []
    for match in _SENTENCE_END.finditer(text):
        if horizon is not None and match.end() > horizon:
            break
        if _is_boundary(text, match):
            ends.append(match.end())
    unfinished = text and (not ends or ends[-1] < len(text))
    if unfinished and (horizon is None or len(text) <= horizon):
        ends.append(len(text))
    return ends


def sentences(text: str) -> list[str]:
    text = text.strip()
    starts = [0, *sentence_ends(text)]
    pieces = (text[a:b].strip() for a, b in itertools.pairwise(starts))
    return [piece for piece in pieces if piece]


def _word_ends(text: str, horizon: int) -> list[int]:
    ends = []
    for match in _WORD.finditer(text):
        if match.end() > horizon:
            break
        ends.append(match.end())
    return ends


def _largest(count: int, ok: Callable[[int], bool]) -> int:
    """The largest index below count for which ok holds (ok is monotone), or -1."""
    good, bad = -1, count
    while bad - good > 1:
        middle = (good + bad) // 2
        if ok(middle):
            good = middle
        else:
            bad = middle
    return good


def _ellipsized(text: str) -> str:
    kept = text.rstrip(_BEFORE_ELLIPSIS)
    return kept + ELLIPSIS if kept else ""


def fit_prefix(
    text: str,
    fits: Callable[[str], bool],
    *,
    horizon: int,
    words: bool = True,
    hard: bool = False,
) -> str:
    """The longest run of whole sentences from the start of ``text`` that ``fits``;
    failing that (and with ``words``), the first sentence cut after a whole word, with
    "…"; failing that "", or with ``hard`` a cut anywhere, with "…".

    ``horizon`` bounds how many characters could fit at all, so a huge text is never
    measured whole.
    """
    text = text.strip()
    if not text:
        return ""
    ends = sentence_ends(text, horizon)
    k = _largest(len(ends), lambda i: fits(text[: ends[i]]))
    if k >= 0:
        return text[: ends[k]]
    cuts = _word_ends(text, ends[0] if ends else horizon) if words else []
    k = _largest(len(cuts), lambda i: fits(_ellipsized(text[: cuts[i]])))
    if k >= 0 and _ellipsized(text[: cuts[k]]):
        return _ellipsized(text[: cuts[k]])
    if hard:
        k = _largest(min(len(text), horizon), lambda i: fits(text[: i + 1] + ELLIPSIS))
        if k >= 0:
            return text[: k + 1] + ELLIPSIS
    return ""


def fill(
    blocks: Sequence[str],
    room: int,
    cost: Callable[[str], int],
    separator: str,
    *,
    hard: bool = False,
) -> str:
    """Whole blocks, in order, while they fit in ``room``; then the whole sentences of the
    next one that fit, and nothing after it: the text is never reordered. Only the first
    block may be cut inside a sentence (after a word, with "…"): a later sentence cut
    short could drop what makes a figure true ("pukul 12.00…" without "WIB")."""
    kept: list[str] = []
    used = 0
    for block in (b.strip() for b in blocks):
        if not block:
            continue
        gap = cost(separator) if kept else 0
        piece = fit_prefix(
            block,
            lambda s, base=used + gap: base + cost(s) <= room,
            horizon=max(room, 0),
            words=not kept,
            hard=hard and not kept,
        )
        if piece:
            kept.append(piece)
            used += gap + cost(piece)
        if piece != block:
            break
    return separator.join(kept)


def split_to_fit(text: str, cost: Callable[[str], int], room: int) -> list[str]:
    """``text`` in pieces, in order, each costing at most ``room``: split at line breaks,
    then sentences, then words, and only a single word longer than ``room`` at characters.

    ``cost`` must add up over concatenation and be at most 2 per character.
    """
    if cost(text) <= room:
        return [text]
    for units, separator in (
        (text.split("\n"), "\n"),
        (sentences(text), " "),
        (text.split(), " "),
    ):
        units = [unit.strip() for unit in units if unit.strip()]
        if len(units) > 1:
            pieces = [p for unit in units for p in split_to_fit(unit, cost, room)]
            return pack(pieces, separator, cost, room)
    step = max(1, room // 2)
    return [text[i : i + step] for i in range(0, len(text), step)]


def pack(
    pieces: Sequence[str], separator: str, cost: Callable[[str], int], room: int
) -> list[str]:
    """Consecutive pieces joined by ``separator`` into as few groups as fit in ``room``."""
    groups: list[str] = []
    current: list[str] = []
    used = 0
    gap = cost(separator)
    for piece in pieces:
        size = cost(piece)
        if current and used + gap + size <= room:
            current.append(piece)
            used += gap + size
            continue
        if current:
            groups.append(separator.join(current))
        current, used = [piece], size
    if current:
        groups.append(separator.join(current))
    return groups
