"""Presidio ``EntityRecognizer``s for the rules a bare pattern cannot decide: phone numbers
(Google's libphonenumber) and 16-digit numbers (NIK / KK / NPWP by label and Dukcapil layout), and
``RegexEntityRecognizer``, the base of the health and people recognizers."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
import regex as re
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from pasopati.privacy.patterns import PROVINCES
from pasopati.privacy.recognizers import LANGUAGE, STRONG

Span = tuple[int, int]


@dataclass(frozen=True)
class Rx:
    """A compiled pattern for ``entity``; ``check(match, text)`` returns the span to report (by
    default the pattern's ``group``) or None to drop the match."""

    entity: str
    regex: re.Pattern[str]
    group: int | str = 0
    check: Callable[[re.Match[str], str, int | str], Span | None] | None = None


class RegexEntityRecognizer(EntityRecognizer):
    """Runs its ``Rx`` list over the text; each kept match becomes a result scoring ``STRONG``."""

    def __init__(self, name: str, patterns: list[Rx]) -> None:
        self.patterns = patterns
        super().__init__(
            supported_entities=sorted({p.entity for p in patterns}),
            name=name,
            supported_language=LANGUAGE,
        )

    def load(self) -> None:  # nothing to load: the patterns are compiled at import
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for rx in self.patterns:
            if entities and rx.entity not in entities:
                continue
            for match in rx.regex.finditer(text):
                span = (
                    rx.check(match, text, rx.group)
                    if rx.check
                    else match.span(rx.group)
                )
                if span and span[0] < span[1]:
                    results.append(_result(self, rx.entity, span))
        return results


def _result(
    recognizer: EntityRecognizer, entity: str, span: Span, score: float = STRONG
) -> RecognizerResult:
    return RecognizerResult(
        entity,
        span[0],
        span[1],
        score,
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: recognizer.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
        },
    )


# -- phones -----------------------------------------------------------------------------------------
class PhoneRecognizer(EntityRecognizer):
    """Every Indonesian telephone form (08xx, +62, 62-8xx, (021) 1234567, 0361 123456) that
    libphonenumber's matcher finds valid for region ID; dates, times and counts are not valid numbers."""

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["PHONE"],
            name="pasopati_phone",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:  # phonenumbers loads its metadata lazily
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        matcher = phonenumbers.PhoneNumberMatcher(
            text, "ID", leniency=phonenumbers.Leniency.VALID
        )
        return [_result(self, "PHONE", (m.start, m.end)) for m in matcher]


def same_phone(a: str, b: str) -> bool:
    """True when both strings parse (region ID) to the same telephone number."""
    try:
        return phonenumbers.parse(a, "ID") == phonenumbers.parse(b, "ID")
    except phonenumbers.NumberParseException:
        return False


# -- 16-digit numbers -------------------------------------------------------------------------------
# Sixteen digits with at most two separators between any two (spaces, dots, dashes, slashes: what
# people type and what survives pasopati.texts.plain); a NIK split any other way is still a NIK.
SIXTEEN = re.compile(r"(?<![\d])(?<!\d[ ./\u2013-])\d(?:[ ./\u2013-]{0,2}\d){15}(?![\d]|[ ./\u2013-]{1,2}\d)")
LABEL = re.compile(
    r"\b(?P<label>nik|e-?ktp|ktp|nomor\s+induk\s+kependudukan|kk|kartu\s+keluarga|npwp)(?:\s*\((?:nik|kk|ktp|npwp)\))?"
    r"(?:\s*(?:nomor|no\.?|number|:|=|#|-))*\s*$",
    re.IGNORECASE,
)


def nik_shaped(digits: str) -> bool:
    """The Dukcapil layout: province (a known code), regency and district (not 00), birth date
    DDMMYY (women: DD + 40), serial (not 0000)."""
    if (
        int(digits[:2]) not in PROVINCES
        or digits[2:4] == "00"
        or digits[4:6] == "00"
        or digits[12:] == "0000"
    ):
        return False
    day, month, year = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    day = day - 40 if day > 40 else day
    if not 1 <= month <= 12 or day < 1:
        return False
    return any(
        day <= calendar.monthrange(century + year, month)[1] for century in (1900, 2000)
    )


class IdNumberRecognizer(EntityRecognizer):
    """A 16-digit number (spaces, dots or dashes allowed) is what its label says — KK after
    "KK"/"kartu keluarga", NPWP after "NPWP", NIK after "NIK"/"KTP" — and unlabelled, a NIK when it
    has the NIK layout. Other 16-digit numbers are left alone."""

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["NIK", "KK", "NPWP"],
            name="pasopati_id_number",
            supported_language=LANGUAGE,
        )

    def load(self) -> None:  # nothing to load
        pass

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for match in SIXTEEN.finditer(text):
            label = LABEL.search(text[max(0, match.start() - 40) : match.start()])
            kind = (label["label"].lower() if label else "").replace(" ", "")
            if kind in ("kk", "kartukeluarga"):
                entity = "KK"
            elif kind == "npwp":
                entity = "NPWP"
            elif kind or nik_shaped(re.sub(r"\D", "", match[0])):
                entity = "NIK"
            else:
                continue
            results.append(_result(self, entity, match.span()))
        return results
