"""What: the relevance gate, the category scores (events, near rules, media, outcomes, dampeners) and the
action (start, watch or ignore; watch-only contexts, low-reach posts, concrete incidents)."""

from __future__ import annotations

from dataclasses import dataclass

from pasopati.alerts.classify.locate import Place
from pasopati.alerts.classify.matcher import CompiledRules
from pasopati.alerts.classify.result import Action
from pasopati.alerts.classify.schema import Category, NearRule
from pasopati.alerts.classify.tokens import STOP, AnalysedText
from pasopati.alerts.models import Alert


@dataclass
class CategoryScores:
    """Every category's score, and the reasons that made it."""

    scores: dict[str, float]
    reasons: list[str]


def is_relevant(comp: CompiledRules, text: AnalysedText, place: Place, reasons: list[str]) -> bool:
    """The gate: enough UPT/WBP/Ditjenpas words, or a unit/Kanwil named (a quake story without a lapas is not ours)."""
    seen: dict[str, float] = {}
    for hit in text.hits.get("rel", ()):
        seen.setdefault(hit.term, hit.payload)
    score = sum(seen.values())
    listed = ", ".join(f"'{t}' {w:+g}" for t, w in seen.items()) or "tidak ada kata UPT/WBP/Ditjenpas"
    minimum = comp.rules.relevance.min_score
    if score >= minimum:
        reasons.append(f"relevan: {listed} → {score:g} ≥ {minimum:g}")
        return True
    if place.unit is not None or place.kanwil is not None:
        reasons.append(f"relevan: menyebut {place.unit or place.kanwil} (skor kata {score:g})")
        return True
    reasons.append(f"tidak relevan: {listed} → {score:g} < {minimum:g}")
    return False


def category_scores(comp: CompiledRules, text: AnalysedText) -> CategoryScores:
    """Per category: distinct event-term weights + proximity rules; outcome words (deaths) only where
    no other category has an event (the issue: a fire with many deaths is a fire); then dampeners."""
    rules = comp.rules
    scores: dict[str, float] = {}
    reasons: list[str] = []
    for cid, cat in rules.categories.items():
        scores[cid] = _term_score(comp, text, f"cat:{cid}", cid, reasons)
        for i, rule in enumerate(cat.near):
            if rule.weight and near_rule_fires(text, f"near:{cid}:{i}", rule):
                scores[cid] += rule.weight
                reasons.append(f"pola '{rule.label}' → {cid} ({rule.weight:+g})")
    for cid, cat in rules.categories.items():
        if cat.media:
            scores[cid] += _media_score(comp, text, cid, cat, reasons)
    events = dict(scores)
    for cid, cat in rules.categories.items():
        if not cat.outcomes:
            continue
        other = max(((s, c) for c, s in events.items() if c != cid), default=(0.0, ""))
        if other[0] >= rules.thresholds.start:
            words = sorted({h.term for h in text.hits.get(f"out:{cid}", ()) if h.start not in text.negated})
            if words:
                reasons.append(f"{', '.join(repr(w) for w in words)}: akibat, bukan kejadian — kategori dari kejadian {other[1]}")
            continue
        scores[cid] += _term_score(comp, text, f"out:{cid}", cid, reasons)
    damp = _term_score(comp, text, "damp", "semua kategori", reasons, kind="konteks")
    if damp:
        scores = {c: s + damp for c, s in scores.items()}
    return CategoryScores(scores, reasons)


def _term_score(
    comp: CompiledRules, text: AnalysedText, group: str, target: str, reasons: list[str], kind: str = "kata", also: tuple[str, ...] = ()
) -> float:
    """Sum of distinct, non-negated terms in ``group``; one reason per term."""
    total = 0.0
    seen: set[str] = set()
    hits = text.hits.get(group, ())
    same = comp.synonyms.get(group, {})
    counted: dict[int, tuple[str, float]] = {}  # synonym set → (term, weight) counted for it
    # a term inside a longer matched term of the same group (or of ``also``) is the same thing said twice
    # ("banjir" and "banjir bandang", "beredar" and "beredar luas"): only the longer one counts (a 0/negative
    # phrase never hides)
    longer = {
        h.term: text.surface[h.start : h.end]
        for g in (group, *also) for h in text.hits.get(g, ())
        if h.end - h.start > 1 and h.payload > 0 and h.start not in text.negated
    }
    for hit in hits:
        if hit.term in seen:
            continue
        inside = next((t for t, words in longer.items() if t != hit.term and _inside(text.surface[hit.start : hit.end], words)), None)
        if inside and group != "damp":
            seen.add(hit.term)
            reasons.append(f"{kind} '{hit.term}' sudah dihitung dalam '{inside}'")
            continue
        written = " ".join(text.surface[hit.start : hit.end])
        shown = f"'{hit.term}'" if written == hit.term else f"'{hit.term}' ({written})"
        neg = text.negated.get(hit.start) if group != "damp" else None
        if neg:
            reasons.append(f"{kind} {shown} diabaikan: dalam jangkauan '{neg}'")
            continue
        seen.add(hit.term)
        ring = same.get(hit.term)
        if ring is not None and ring in counted:
            first, weight = counted[ring]
            if hit.payload <= weight:
                reasons.append(f"{kind} {shown}: sama dengan '{first}', dihitung sekali")
                continue
            total -= weight  # a heavier synonym replaces the lighter one
            reasons.append(f"{kind} '{first}': sama dengan '{hit.term}', dihitung sekali")
        if ring is not None:
            counted[ring] = (hit.term, hit.payload)
        total += hit.payload
        reasons.append(f"{kind} {shown} → {target} ({hit.payload:+g})")
    return total


def _media_score(comp: CompiledRules, text: AnalysedText, cid: str, cat: Category, reasons: list[str]) -> float:
    """The medium words' sum, at most ``media_at_most``: a video that is shared, uploaded and commented on
    is still one video, and never outweighs the event it shows (README: the event decides, not the medium)."""
    total = _term_score(comp, text, f"media:{cid}", cid, reasons, kind="wahana", also=(f"cat:{cid}",))
    if cat.media_at_most is not None and total > cat.media_at_most:
        reasons.append(f"wahana {total:+g} dibatasi {cat.media_at_most:+g} → {cid}")
        return cat.media_at_most
    return total


def _inside(part: list[str], whole: list[str]) -> bool:
    n = len(part)
    return n < len(whole) and any(whole[i : i + n] == part for i in range(len(whole) - n + 1))


def near_rule_fires(text: AnalysedText, group: str, rule: NearRule) -> bool:
    """A 'first' phrase followed, within ``rule.within`` tokens, by a 'then' phrase (or preceded, when
    ``either_order``), in the same sentence; never when one of its ``unless`` phrases is in the text."""
    firsts = text.hits.get(f"{group}:a", ())
    thens = text.hits.get(f"{group}:b", ())
    within = rule.within
    found = any(
        (0 <= b.start - a.end <= within or (rule.either_order and 0 <= a.start - b.end <= within and STOP not in text.surface[b.end:a.start]))
        and b.start not in text.negated and a.start not in text.negated
        for a in firsts for b in thens
    )
    if found and rule.unless:
        return not any(h.start not in text.negated for h in text.hits.get(f"{group}:u", ()))
    return found


def choose_action(comp: CompiledRules, text: AnalysedText, score: float, place: Place, reasons: list[str]) -> Action:
    """start ≥ thresholds.start with a unit or Kanwil named; watch ≥ thresholds.watch or DPR/death
    mentioned; else ignore."""
    t = comp.rules.thresholds
    if score >= t.start:
        if t.start_requires_facility and place.unit is None and place.kanwil is None:
            reasons.append(f"skor {score:g} ≥ {t.start:g}, tetapi tidak ada UPT atau Kanwil yang disebut → watch")
            return "watch"
        reasons.append(f"skor {score:g} ≥ {t.start:g} → start")
        return "start"
    if score >= t.watch:
        reasons.append(f"skor {score:g} < {t.start:g} → watch")
        return "watch"
    mentioned = [h for g in ("attention", "death") for h in text.hits.get(g, ())]
    signal = next((h.term for h in mentioned if h.start not in text.negated), None)
    if signal:
        reasons.append(f"skor {score:g} < {t.watch:g}, tetapi '{signal}' disebut → watch")
        return "watch"
    reasons.append(f"tidak ada sinyal krisis (skor {score:g} < {t.watch:g}) → ignore")
    return "ignore"


def is_concrete_incident(comp: CompiledRules, text: AnalysedText, cid: str, reasons: list[str]) -> bool:
    """A watched alert names a concrete incident (then it gets a severity): one event word of its category
    weighs at least ``thresholds.incident``; weak context words alone ('musim hujan') are no incident."""
    at_least = comp.rules.thresholds.incident
    if at_least is None:
        return False
    word = next((h.term for h in text.hits.get(f"cat:{cid}", ()) if h.payload >= at_least and h.start not in text.negated), None)
    if word is None:
        return False
    reasons.append(f"watch dengan kejadian konkret '{word}' (bobot ≥ {at_least:g}) → tingkat dihitung")
    return True


def low_reach(comp: CompiledRules, alert: Alert, reasons: list[str]) -> Action:
    """An unverified social post seen by few people is watched: the runbook starts on a report or on a post
    with substantial reach (README: eyewitness posts with reach)."""
    t = comp.rules.thresholds
    platform = (alert.platform or "").lower()
    if t.social_start_reach_at_least and platform in t.social_platforms and alert.reach is not None:
        if alert.reach < t.social_start_reach_at_least:
            reasons.append(f"unggahan {platform} dengan reach {alert.reach} < {t.social_start_reach_at_least} → watch (belum terverifikasi)")
            return "watch"
    return "start"


def watch_only(comp: CompiledRules, text: AnalysedText, cid: str, reasons: list[str]) -> Action:
    """A crisis-level score whose pattern the rules mark watch-only (contraband caught by the unit's own
    checks) or a watch-only context: the runbook does not start, the severity is still given."""
    context = next((h.term for h in text.hits.get("wonly", ()) if h.start not in text.negated and h.payload != "except"), None)
    if context:
        reasons.append(f"konteks '{context}' → watch (bukan runbook)")
        return "watch"
    for i, rule in enumerate(comp.rules.categories[cid].near):
        if rule.watch_only and near_rule_fires(text, f"near:{cid}:{i}", rule):
            reasons.append(f"pola '{rule.label}' → watch (bukan runbook)")
            return "watch"
    return "start"
