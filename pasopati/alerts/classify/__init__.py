"""Classify monitoring alerts into crisis category, severity, unit and Kanwil — explainably.

The rules are data (``runbooks/classification.yaml``, schema in ``schema``, read by ``loading``): entity
forms, keywords with weights, severity floors and the DOMAIN.md escalations. The order of work (the
issue's fixes), run by ``classifier.classify``:

1. entities first (``pasopati.alerts.entities``): facility and Kanwil names in the original-case
   title + text are recognised, resolved through a ``UnitDirectory`` and masked, so that a name
   ("Lapas Narkotika", the city Serang) never scores as an event (``locate``);
2. the remaining words are matched by their written form or their Sastrawi stem (bounded: cached,
   only tokens that can reach a rule word, a per-alert budget) (``matcher``, ``tokens``);
3. negation governs its whole coordinated phrase up to a clause boundary (``matcher``);
4. the EVENT decides the category; death words ("outcomes") only decide it when no event does,
   and raise the severity (``categorise``, ``severity``);
5. counts of people only count when they are harmed (kabur, tewas, luka …), never occupancy (``counts``);
6. one thing is counted once: a term inside a longer matched term, synonyms (hp/ponsel), and the
   medium (video, unggahan, beredar: at most ``media_at_most``, so it never outweighs the event)
   (``categorise``);
7. a crisis word the headline denies ("Bukan Kabur") stays denied where the lede repeats it (``classifier``).

Every rule that fires is reported as a human-readable reason. ``fingerprint``/``similarity`` support
near-duplicate detection across outlets (``fingerprints``); ``classify_stream`` is the CLI's (``stream``).

Imports flow one way, never back: ``tokens``, ``schema`` and ``result`` import nothing of the package;
``rule_terms`` → ``matcher`` → (``loading``, ``locate``, ``counts``) → ``categorise`` → ``severity``;
``loading`` → ``fingerprints``; all of them → ``classifier`` → ``stream``. This module only re-exports,
so that callers keep importing from ``pasopati.alerts.classify``.
"""

from __future__ import annotations

from pasopati.alerts.classify.classifier import classify
from pasopati.alerts.classify.fingerprints import fingerprint, similarity
from pasopati.alerts.classify.loading import (
    RULES_FILE,
    RulesError,
    default_rules,
    load_rules,
)
from pasopati.alerts.classify.matcher import STEM_CACHE_LIMIT, VERBAL_PREFIXES
from pasopati.alerts.classify.result import Action, Classification
from pasopati.alerts.classify.schema import (
    AttentionEscalation,
    Category,
    CoverageEscalation,
    DeathEscalation,
    Escalations,
    FingerprintRules,
    Morphology,
    NearRule,
    Negation,
    Numbers,
    PeopleFloor,
    Relevance,
    RepeatEscalation,
    Rules,
    SeverityRules,
    Thresholds,
    ViralFloor,
)
from pasopati.alerts.classify.stream import STREAM_FIELDS, classify_stream
from pasopati.alerts.classify.tokens import (
    CAMEL_RE,
    COMMA,
    CURRENCY_RE,
    DATE_TIME_RE,
    HASHTAG_RE,
    STOP,
    THOUSANDS_RE,
    TOKEN_RE,
    Hit,
)

__all__ = [
    "CAMEL_RE",
    "COMMA",
    "CURRENCY_RE",
    "DATE_TIME_RE",
    "HASHTAG_RE",
    "RULES_FILE",
    "STEM_CACHE_LIMIT",
    "STOP",
    "STREAM_FIELDS",
    "THOUSANDS_RE",
    "TOKEN_RE",
    "VERBAL_PREFIXES",
    "Action",
    "AttentionEscalation",
    "Category",
    "Classification",
    "CoverageEscalation",
    "DeathEscalation",
    "Escalations",
    "FingerprintRules",
    "Hit",
    "Morphology",
    "NearRule",
    "Negation",
    "Numbers",
    "PeopleFloor",
    "Relevance",
    "RepeatEscalation",
    "Rules",
    "RulesError",
    "SeverityRules",
    "Thresholds",
    "ViralFloor",
    "classify",
    "classify_stream",
    "default_rules",
    "fingerprint",
    "load_rules",
    "similarity",
]
