"""Tokens: the token pattern and the clean-ups before it (hashtags, thousands, currency, dates and times),
a phrase ``Hit``, and the ``AnalysedText`` every rule reads (forms, stems, hits, negations, entities)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pasopati.alerts.entities import Entities

# Tokenisation is code, not data: the words themselves all live in the rules file. Punctuation is
# kept as a token: "," may join a list under one negator, other marks end a clause.
TOKEN_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*|[,.;:!?()\[\]\"“”]")
COMMA, STOP = ",", "."
THOUSANDS_RE = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
# "Rp50 ribu" → "rp 50 ribu": the currency becomes its own token (a money mention is a rule word).
CURRENCY_RE = re.compile(r"\brp\.?\s?(?=\d)")
# Dates "(26/2)" and times "14.30" are never counts of people: "(9/3). Korban" is not "12 korban".
DATE_TIME_RE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}[.:]\d{2}\b(?!\.\d)")
HASHTAG_RE = re.compile(r"#\w+")
CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


class Hit(NamedTuple):
    """One phrase found in a text: its token span, the rule's term and payload (a weight, a severity, a marker)."""

    start: int
    end: int
    term: str
    payload: Any


@dataclass
class AnalysedText:
    """One text as every rule reads it: tokens, their forms and stems, phrase hits, negated positions, entities."""

    surface: list[str]
    forms: list[tuple[str, ...]]  # written, without -nya/-lah, Sastrawi stem: a term matches any of them
    stems: list[str]
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    negated: dict[int, str] = field(default_factory=dict)  # token position → the negator governing it
    entities: Entities = field(default_factory=Entities)
    counts: list[tuple[int, int, int]] | None = None  # harmed counts, computed once (see counts.py)
    count_harms: dict[int, frozenset[str]] = field(default_factory=dict)  # count position → its clause's harm words
