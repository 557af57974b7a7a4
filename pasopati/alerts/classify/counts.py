"""Counts of people: how many were harmed (a number before a people noun, in a harm word's clause, not an
occupancy) and how many died (the count that belongs to each death word)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from pasopati.alerts.classify.matcher import CompiledRules
from pasopati.alerts.classify.schema import Numbers
from pasopati.alerts.classify.tokens import COMMA, STOP, AnalysedText, Hit


def people_counts(comp: CompiledRules, text: AnalysedText) -> list[tuple[int, int]]:
    """(position, number) of people HARMED: a number directly before a people noun ('27 narapidana',
    'puluhan WBP') in the same clause as a harm word (kabur, tewas, luka …) and not right after an
    occupancy word (the issue: '300 warga binaan dipindahkan', 'dihuni 1.200 warga binaan')."""
    return [(pos, n) for pos, _, n in _counts(comp, text)]


def harmed_by(comp: CompiledRules, text: AnalysedText, words: list[str]) -> list[tuple[int, int]]:
    """``people_counts`` limited to counts whose clause holds one of these harm words: '11 napi kabur'
    for an escape floor, not '11 orang dirawat' (injuries of a clash are no escape)."""
    _counts(comp, text)
    wanted = set(words)
    return [(pos, n) for pos, _, n in text.counts or () if text.count_harms.get(pos, frozenset()) & wanted]


def _counts(comp: CompiledRules, text: AnalysedText) -> list[tuple[int, int, int]]:
    """(noun start, noun end, number) of every harmed count (see ``people_counts``); once per text, and
    only the harm words within ``harm_window`` of a count are looked at (a 50 000-character text has hundreds)."""
    if text.counts is not None:
        return text.counts
    nums = comp.rules.numbers
    harm = sorted((h for h in text.hits.get("harm", ()) if h.start not in text.negated), key=lambda h: h.start)
    starts = [h.start for h in harm]
    occupancy = [h.end for h in text.hits.get("occupancy", ())]
    counts = []
    for hit in text.hits.get("people", ()):
        j = hit.start
        while j > 0 and hit.start - j < 4 and _is_number(text.surface[j - 1], nums):
            j -= 1
            if text.surface[j].isdigit():  # "30 orang": a digit group is complete on its own
                break
        if j == hit.start or any(0 <= j - end <= 2 for end in occupancy):
            continue
        # the harm word is in the count's own clause: "50 napi terlibat, satu tewas" — the 50 are not harmed
        near = harm[bisect_left(starts, hit.start - nums.harm_window) : bisect_right(starts, hit.start + nums.harm_window)]
        terms = frozenset(
            h.term for h in near
            if _same_clause(text, hit.start, h.start, nums.harm_window) and _one_clause(comp, text, hit.start, hit.end, h)
        )
        if not terms:
            continue
        value = _number_value(text.surface[j : hit.start], nums)
        if value:
            counts.append((hit.start, hit.end, value))
            text.count_harms[hit.start] = terms
    text.counts = counts
    return counts


def _same_clause(text: AnalysedText, a: int, b: int, window: int) -> bool:
    lo, hi = min(a, b), max(a, b)
    return hi - lo <= window and STOP not in text.surface[lo:hi]


def _is_number(tok: str, nums: Numbers) -> bool:
    return tok.isdigit() or tok in nums.words or tok in nums.multipliers or tok == nums.teen


def _number_value(tokens: list[str], nums: Numbers) -> int:
    """Indonesian number words and digits: 'dua puluh tiga' → 23, 'dua belas' → 12, '30' → 30."""
    total, current = 0, 0
    for tok in tokens:
        if tok.isdigit():
            current += int(tok)
        elif tok in nums.words:
            current += nums.words[tok]
        elif tok == nums.teen:
            current += 10
        elif tok in nums.multipliers:
            factor = nums.multipliers[tok]
            if factor >= 1000:
                total += (current or 1) * factor
                current = 0
            else:
                current = (current or 1) * factor
    return total + current


def death_count(comp: CompiledRules, text: AnalysedText, deaths: list[Hit]) -> int:
    """The number of dead: for each death word, the nearest count that BELONGS to it — the nearest harm
    word to that count is this death word, in the same clause (no ',' '.' or clause word between), within
    ``near_death_window``. "30 warga binaan dirawat, satu meninggal" is one death (30 belongs to
    'dirawat'); a death word without its own count ("satu meninggal", "seorang napi tewas") is one."""
    window = comp.rules.numbers.near_death_window
    harm = sorted((h for h in text.hits.get("harm", ()) if h.start not in text.negated), key=lambda h: h.start)
    starts = [h.start for h in harm]
    counts = _counts(comp, text)
    count_starts = [c[0] for c in counts]
    victims = 1
    for death in deaths:
        best: tuple[int, int] | None = None  # (distance, number)
        lo = bisect_left(count_starts, death.start - window - 4)
        hi = bisect_right(count_starts, death.end + window)
        for start, end, n in counts[lo:hi]:
            if death.start < end and start < death.end:  # the noun is part of the death phrase: "korban jiwa"
                best = min(best or (0, n), (0, n), key=lambda d: (d[0], -d[1]))
                continue
            gap = _gap(start, end, death)
            if gap > window or not _one_clause(comp, text, start, end, death):
                continue
            near = harm[bisect_left(starts, start - window - 2) : bisect_right(starts, end + window)]
            others = [h for h in near if not (h.start < end and start < h.end)]
            nearest = min(others, key=lambda h: (_gap(start, end, h), h.start != death.start), default=None)
            if nearest is None or nearest.start != death.start:
                continue  # the count belongs to another harm word ("30 dirawat")
            if best is None or gap < best[0]:
                best = (gap, n)
        if best is not None:
            victims = max(victims, best[1])
    return victims


def _gap(start: int, end: int, hit: Hit) -> int:
    return hit.start - end if hit.start >= end else start - hit.end if hit.end <= start else 0


def _one_clause(comp: CompiledRules, text: AnalysedText, start: int, end: int, hit: Hit) -> bool:
    lo, hi = (end, hit.start) if hit.start >= end else (hit.end, start)
    between = text.surface[lo:hi]
    return not any(t in (STOP, COMMA) or t in comp.clause_words for t in between)
