"""The phrases the rules ask the matcher to find: each with its field path (for error reports), its
match group and its payload (a weight, a severity, or a marker)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pasopati.alerts.classify.schema import Rules


def rule_terms(rules: Rules) -> Iterable[tuple[str, str, str, Any]]:
    """(field path, term, group, payload) for every phrase the matcher must find."""
    for term, weight in rules.relevance.terms.items():
        yield f"relevance.terms.{term}", term, "rel", weight
    for term, weight in rules.dampeners.items():
        yield f"dampeners.{term}", term, "damp", weight
    for term in rules.watch_only:
        yield "watch_only", term, "wonly", None
    for term in rules.watch_only_except:
        yield "watch_only_except", term, "wonly", "except"
    for noun in rules.numbers.people:
        yield "numbers.people", noun, "people", None
    for word in rules.numbers.harm:
        yield "numbers.harm", word, "harm", None
    for word in rules.numbers.occupancy:
        yield "numbers.occupancy", word, "occupancy", None
    for cid, cat in rules.categories.items():
        base = f"categories.{cid}"
        for term, weight in cat.terms.items():
            yield f"{base}.terms.{term}", term, f"cat:{cid}", weight
        for term, weight in cat.outcomes.items():
            yield f"{base}.outcomes.{term}", term, f"out:{cid}", weight
        for term, weight in cat.media.items():
            yield f"{base}.media.{term}", term, f"media:{cid}", weight
        for severity, terms in cat.floors.items():
            for term in terms:
                yield f"{base}.floors.{severity.value}", term, f"floor:{cid}", severity
        for i, rule in enumerate(cat.near):
            for side, terms in (("a", rule.first), ("b", rule.then), ("u", rule.unless)):
                for term in terms:
                    yield f"{base}.near[{i}]", term, f"near:{cid}:{i}:{side}", None
    esc = rules.severity.escalations
    for term in esc.kematian.terms:
        yield "severity.escalations.kematian.terms", term, "death", None
    for term in esc.cakupan.outlets:
        yield "severity.escalations.cakupan.outlets", term, "outlet", None
    for term in esc.cakupan.terms:
        yield "severity.escalations.cakupan.terms", term, "trend", None
    for term in esc.perhatian.terms:
        yield "severity.escalations.perhatian.terms", term, "attention", None
    for term in esc.berulang.terms:
        yield "severity.escalations.berulang.terms", term, "repeat", None
