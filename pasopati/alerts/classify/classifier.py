"""``classify``: the one function that runs the order of work (the package docstring) on one alert —
entities, relevance, category, action, severity — and the headline's denials it applies first."""

from __future__ import annotations

from pasopati.alerts.classify.categorise import (
    category_scores,
    choose_action,
    is_concrete_incident,
    is_relevant,
    low_reach,
    watch_only,
)
from pasopati.alerts.classify.fingerprints import shingles
from pasopati.alerts.classify.locate import expand_unit_hashtags, locate, unit_check
from pasopati.alerts.classify.matcher import CompiledRules, compiled, roster_directory
from pasopati.alerts.classify.result import Classification
from pasopati.alerts.classify.schema import Rules
from pasopati.alerts.classify.severity import assess_severity
from pasopati.alerts.classify.tokens import AnalysedText
from pasopati.alerts.entities import UnitDirectory, normalise, recognise
from pasopati.alerts.models import Alert
from pasopati.plan.roster import Roster


def classify(
    alert: Alert,
    rules: Rules,
    roster: Roster,
    *,
    repeats_in_90_days: int = 0,
    directory: UnitDirectory | None = None,
) -> Classification:
    """Entities → relevance gate → category scores → action → severity (base, floors, escalations).

    ``directory`` resolves UPT mentions (default: the roster; later the gazetteer)."""
    comp = compiled(rules)
    assert comp.recogniser is not None
    directory = directory or roster_directory(comp, roster)
    known = lambda place: directory.place_kanwil(place) is not None  # noqa: E731
    title, body = (expand_unit_hashtags(comp, normalise(t), directory) for t in (alert.title or "", alert.text))
    full = f"{title}. {body}" if title else body
    entities = recognise(full, comp.recogniser, known, unit_check(directory), len(title))
    text = comp.analyse(entities.masked)
    text.entities = entities
    if title:
        _title_denials(comp, text, len(comp.words(entities.masked[: entities.masked_split])))
    reasons: list[str] = []
    place = locate(comp, alert, entities, directory, reasons, len(title), full)
    relevant = is_relevant(comp, text, place, reasons)
    result = dict(
        relevant=relevant,
        unit=place.unit,
        facility=place.facility,
        kanwil=place.kanwil,
        normalized_text=" ".join(t for t in text.stems if t[0].isalnum()),
        fingerprint=shingles(comp, text.stems),
    )
    if not relevant:
        return Classification(action="ignore", reasons=reasons, **result)

    scored = category_scores(comp, text)
    reasons += scored.reasons
    order = list(rules.categories)
    top = max(order, key=lambda c: (scored.scores[c], -order.index(c)))
    score = scored.scores[top]
    action = choose_action(comp, text, score, place, reasons)
    if action == "start":
        action = watch_only(comp, text, top, reasons)
    if action == "start":
        action = low_reach(comp, alert, reasons)
    if action == "start" and place.unconfirmed:
        reasons.append(f"unit {place.unit} hanya dari kolom unit pengirim, tidak dari teks → watch (bukan runbook)")
        action = "watch"
    if action == "ignore":
        return Classification(action=action, score=score, reasons=reasons, **result)
    severity = None
    category = top if score >= rules.thresholds.watch else None
    # a crisis, or a watched concrete incident: its severity is known even when nobody is named
    if score >= rules.thresholds.start or (category is not None and is_concrete_incident(comp, text, top, reasons)):
        severity = assess_severity(comp, alert, text, top, repeats_in_90_days, reasons)
    return Classification(category=category, severity=severity, action=action, score=score, reasons=reasons, **result)


def _title_denials(comp: CompiledRules, text: AnalysedText, title_end: int) -> None:
    """A headline that denies a crisis word ("Bukan Kabur, …", "Tegaskan Tahanan Tidak Kabur") denies it for
    the whole alert: the lede repeats the claim it corrects ("meluruskan kabar bahwa seorang napi kabur").
    Only words of at least the start weight: "tidak dirujuk" is a complaint, not a denial."""
    if not comp.rules.negation.title_denies:
        return
    denied: dict[str, str] = {}
    start = comp.rules.thresholds.start
    for group, hits in text.hits.items():
        if group.startswith(("cat:", "out:")):  # a crisis word (weight ≥ start): "kabur", not "dirujuk"
            for h in hits:
                if h.payload >= start and h.start < title_end and h.start in text.negated:
                    denied.setdefault(h.term, text.negated[h.start])
    if not denied:
        return
    # a denied death ("Bantah Ada Tahanan Meninggal") denies every death word of the lede ("foto jenazah")
    death_denied = next((denied[h.term] for h in text.hits.get("death", ()) if h.term in denied), None)
    for group, hits in text.hits.items():
        if group.startswith(("cat:", "floor:", "out:")) or group == "death":
            for h in hits:
                if h.start >= title_end and h.start not in text.negated and (h.term in denied or (group == "death" and death_denied)):
                    denied.setdefault(h.term, death_denied or "")
                    for p in range(h.start, h.end):
                        text.negated[p] = f"{denied[h.term]} (judul)"
