"""The Presidio ``AnalyzerEngine`` the scanner runs on, built once per process.

No spaCy model is loaded or downloaded: ``BlankNlpEngine`` tokenises with a blank Indonesian spaCy
pipeline (rules only, shipped inside the spacy package) and gives each token's lower-cased text as its
lemma, which is all Presidio's context enhancer needs to find context words ("rekening", "BPJS") in
the five words before a match. Named-entity recognition is not used: every rule is a recognizer of
this package.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any

from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

from pasopati.privacy.entities import IdNumberRecognizer, PhoneRecognizer
from pasopati.privacy.health import health_recognizer
from pasopati.privacy.people import child_recognizer, person_recognizer
from pasopati.privacy.recognizers import LANGUAGE, THRESHOLD, pattern_recognizers


class BlankNlpEngine(NlpEngine):
    """Tokens from ``spacy.blank("id")``; lemma = lower-cased token; no entities."""

    def __init__(self) -> None:
        self.nlp: Any = None

    def load(self) -> None:
        import spacy  # imported here: it is the slow part of building the engine

        self.nlp = spacy.blank(LANGUAGE)

    def is_loaded(self) -> bool:
        return self.nlp is not None

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        doc = self.nlp(text)
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[t.idx for t in doc],
            lemmas=[t.lower_ for t in doc],
            nlp_engine=self,
            language=language,
            scores=[],
        )

    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        **kwargs: Any,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        return bool(self.nlp.vocab[word].is_stop)

    def is_punct(self, word: str, language: str) -> bool:
        return bool(self.nlp.vocab[word].is_punct)

    def get_supported_entities(self) -> list[str]:
        return []

    def get_supported_languages(self) -> list[str]:
        return [LANGUAGE]


def build_analyzer() -> AnalyzerEngine:
    """A new engine with every rule's recognizer (a second or two: spaCy's import dominates)."""
    recognizers = [
        *pattern_recognizers(),
        PhoneRecognizer(),
        IdNumberRecognizer(),
        health_recognizer(),
        child_recognizer(),
        person_recognizer(),
    ]
    registry = RecognizerRegistry(
        recognizers=recognizers, supported_languages=[LANGUAGE]
    )
    # whole_word: a context word must be a whole token ("kis" must not fire inside "krisis")
    enhancer = LemmaContextAwareEnhancer(
        context_prefix_count=5,
        context_suffix_count=0,
        context_matching_mode="whole_word",
    )
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=BlankNlpEngine(),
        supported_languages=[LANGUAGE],
        default_score_threshold=THRESHOLD,
        context_aware_enhancer=enhancer,
    )


_engine: AnalyzerEngine | None = None
_lock = threading.Lock()


def analyzer() -> AnalyzerEngine:
    """The process's engine, built on first use (thread-safe; analysis itself keeps no state)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = build_analyzer()
    return _engine
