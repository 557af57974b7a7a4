"""Near-duplicates across outlets: ``fingerprint`` (normalised word shingles) and ``similarity`` (Jaccard)."""

from __future__ import annotations

from pasopati.alerts.classify.loading import default_rules
from pasopati.alerts.classify.matcher import CompiledRules, compiled
from pasopati.alerts.classify.schema import Rules


def shingles(comp: CompiledRules, stems: list[str]) -> frozenset[str]:
    """Word shingles of the stems, stopwords and punctuation dropped: the fingerprint of an analysed text."""
    words = [t for t in stems if t[0].isalnum() and t not in comp.stopwords]
    k = comp.rules.fingerprint.shingle
    if len(words) < k:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + k]) for i in range(len(words) - k + 1))


def fingerprint(text: str, rules: Rules | None = None) -> frozenset[str]:
    """Normalised word shingles (stems, stopwords dropped) for near-duplicate detection."""
    comp = compiled(rules or default_rules())
    return shingles(comp, comp.analyse(text).stems)


def similarity(a: frozenset[str] | str, b: frozenset[str] | str) -> float:
    """Jaccard similarity of two fingerprints (texts are fingerprinted first); 0.0 when both are empty."""
    fa = fingerprint(a) if isinstance(a, str) else a
    fb = fingerprint(b) if isinstance(b, str) else b
    union = len(fa | fb)
    return len(fa & fb) / union if union else 0.0
