"""Presidio ``PatternRecognizer``s: one per rule that a pattern (plus context words) decides.

A pattern's score is what it is worth alone; the engine keeps results scoring at least
``THRESHOLD``. Patterns too weak alone (13 digits for BPJS, 15 for NPWP, 8–18 for a bank account)
score ``WEAK`` and pass only when Presidio's context enhancer finds one of the recognizer's context
words among the five words before the number (+0.35).
"""

from __future__ import annotations

import regex as re
from presidio_analyzer import Pattern, PatternRecognizer

from pasopati.privacy.patterns import (
    BIRTH_CUE,
    CAP,
    DATE,
    HOUSE_NO,
    NOT_PLATE_SUFFIX,
    PLACE_CUE,
    PLACE_NAME,
    PLATE_AREAS,
    STREET_NAME,
)

LANGUAGE = "id"
THRESHOLD = 0.5
WEAK = 0.2
STRONG = 0.9
CASED = re.MULTILINE  # capitals carry meaning (plates, street names): no IGNORECASE
UNCASED = re.MULTILINE | re.IGNORECASE


def _recognizer(
    entity: str,
    patterns: list[Pattern],
    *,
    context: list[str] | None = None,
    flags: int = UNCASED,
) -> PatternRecognizer:
    return PatternRecognizer(
        supported_entity=entity,
        name=f"pasopati_{entity.lower()}",
        supported_language=LANGUAGE,
        patterns=patterns,
        context=context,
        global_regex_flags=flags,
    )


class PlateRecognizer(PatternRecognizer):
    """Vehicle plates "B 1234 XYZ": the area code must be one of Perpol 7/2021's, the letters after
    the number must not be a unit ("B 3 WBP" is a cell block and a count), and a plate written
    without spaces has two digits or more ("P2U", the main gate post, is no plate)."""

    SHAPE = re.compile(r"([A-Z]{1,2})\s?\d{1,4}\s?([A-Z]{1,3})")

    def __init__(self) -> None:
        pattern = Pattern(
            "plate", r"(?<![\w.])[A-Z]{1,2}\s?\d{1,4}\s?[A-Z]{1,3}(?![\w])", 0.6
        )
        super().__init__(
            supported_entity="PLATE",
            name="pasopati_plate",
            supported_language=LANGUAGE,
            patterns=[pattern],  # strong enough alone: no context words needed
            global_regex_flags=CASED,
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        shape = self.SHAPE.fullmatch(pattern_text)
        glued_short = not any(c.isspace() for c in pattern_text) and sum(c.isdigit() for c in pattern_text) < 2
        return bool(shape) and shape[1] in PLATE_AREAS and shape[2] not in NOT_PLATE_SUFFIX and not glued_short


class BankAccountRecognizer(PatternRecognizer):
    """8–18 digits in groups, after 'rekening' / 'rek.' / a bank's name; never a rupiah amount."""

    def __init__(self) -> None:
        pattern = Pattern(
            "digits",
            r"(?<![\w.,/-])(?<!\d\s)(?<!(?:Rp|IDR|USD)\.?\s?)\d{2,}(?:[ .-]\d+){0,5}(?![\w/-]|[.,]\d)",
            WEAK,
        )
        context = [
            "rekening",
            "rek",
            "norek",
            "bank",
            "bri",
            "bni",
            "bca",
            "mandiri",
            "btn",
            "bsi",
            "cimb",
            "danamon",
            "permata",
            "account",
            "acct",
        ]
        super().__init__(
            supported_entity="BANK_ACCOUNT",
            name="pasopati_bank_account",
            supported_language=LANGUAGE,
            patterns=[pattern],
            context=context,
            global_regex_flags=UNCASED,
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = sum(c.isdigit() for c in pattern_text)
        return None if 8 <= digits <= 18 else False

    def invalidate_result(self, pattern_text: str) -> bool | None:
        # 10.000.000 is an amount of money, not an account
        return bool(re.fullmatch(r"\d{1,3}(?:\.\d{3})+", pattern_text))


def pattern_recognizers() -> list[PatternRecognizer]:
    """The pattern-based rules: email, npwp, bpjs, bank_account, plate, inmate_register,
    date_of_birth, address."""
    email = _recognizer(
        "EMAIL",
        [
            Pattern(
                "email",
                r"(?<![\w.+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])",
                STRONG,
            )
        ],
    )
    npwp = _recognizer(
        "NPWP",
        [
            Pattern(
                "npwp15",
                r"(?<!\d)\d{2}\.\d{3}\.\d{3}\.\d[-.]\d{3}\.\d{3}(?!\d)",
                STRONG,
            ),
            Pattern("npwp15 bare", r"(?<![\d.-])\d{15}(?![\d])", WEAK),
        ],
        context=["npwp", "pajak", "taxpayer"],
    )
    bpjs = _recognizer(
        "BPJS",
        [
            Pattern(
                "bpjs13",
                r"(?<![\d.-])(?<!\d\s)\d(?:[ .-]?\d){12}(?![\d]|[ .-]\d)",
                WEAK,
            ),
            # BPJS Ketenagakerjaan (KPJ) numbers have 11 digits
            Pattern(
                "bpjs11",
                r"(?<![\d.-])(?<!\d\s)\d(?:[ .-]?\d){10}(?![\d]|[ .-]\d)",
                WEAK,
            ),
        ],
        context=[
            "bpjs",
            "kis",
            "jkn",
            "askes",
            "jamsostek",
            "bpjamsostek",
            "ketenagakerjaan",
            "kpj",
        ],
    )
    register = _recognizer(
        "INMATE_REGISTER",
        [
            # A register class (A I … B III, AII, B.IIa) then number/year: "B.I-123/2024", "AII 456/2023"
            Pattern(
                "register class",
                r"(?<![\w.])[AB]\s?\.?\s?(?:IV|I{1,3})[ab]?\s?[-.]?\s?\d{1,6}\s?/\s?(?:19|20)\d{2}(?!\d)",
                STRONG,
            ),
            Pattern(
                "register label",
                # Bounded gaps in the look-behind: an unbounded \s* made a run of spaces quadratic (16 s for 2 000).
                r"(?<=(?i:\bno(?:mor)?\.?\s{0,3}reg(?:istrasi|ister)?\.?|\bregist(?:ration|er)\s{1,3}(?:number|no\.?))"
                r"\s{0,3}[:.]?\s{0,3})(?:[A-Z]{1,4}[.\- ]?){0,3}\d+(?:[./-]+[A-Za-z]*\d+)*",
                STRONG,
            ),
        ],
        flags=CASED,
    )
    birth = _recognizer(
        "DATE_OF_BIRTH",
        [
            Pattern(
                "birth date",
                rf"(?<={BIRTH_CUE}(?:\s{{0,3}}[:,]\s{{0,3}}|\s{{1,3}})(?:(?:pada\s{{1,3}})?(?:tanggal|tgl\.?)\s{{1,3}}|pada\s{{1,3}}|on\s{{1,3}})?){DATE}",
                STRONG,
            ),
            Pattern(
                "birth place and date",
                # Look-behind gaps are bounded: unbounded ones made a long run of spaces quadratic.
                rf"(?<={BIRTH_CUE}(?:\s{{0,3}}[:,]\s{{0,3}}|\s{{1,3}}(?:di|in)\s{{1,3}})|{PLACE_CUE}\s{{0,3}}[:,]?\s{{0,3}}){CAP}[\w'-]+(?:\s+{CAP}[\w'-]+){{0,2}}"
                rf",?\s+(?:(?:pada\s+)?(?:tanggal|tgl\.?)\s+|pada\s+|on\s+)?{DATE}",
                STRONG,
            ),
            Pattern(
                "birth year",
                r"(?<=\b(?:lahir|kelahiran|born)\s{1,3}(?:(?:pada\s{1,3})?tahun\s{1,3}|in\s{1,3})?)(?:19|20)\d{2}(?!\d)",
                0.7,
            ),
        ],
    )
    address = _recognizer(
        "ADDRESS",
        [
            Pattern(
                "street",
                rf"(?<![\w])(?:(?<![\d.,:/])\d{{1,4}}[A-Z]?\s+(?=J))?(?:(?i:jln?)\.?\s*|J[Ll][Nn]?\.?\s*|Jalan\s+(?!Tol\b)|(?i:gg)\.?\s*|Gang\s+){STREET_NAME}{HOUSE_NO}?",
                0.8,
            ),
            Pattern(
                "rt rw",
                r"\bRT\.?\s*:?\s*\d{1,3}\s*[/,]?\s*RW\.?\s*:?\s*\d{1,3}\b|\bRT\s*/\s*RW\s*:?\s*\d{1,3}\s*/\s*\d{1,3}\b",
                0.8,
            ),
            Pattern("rt or rw", r"\b(?:RT|RW)\.?\s?\d{1,3}\b", 0.6),
            # "Blok" is an address only inside a housing estate: a prison's "Blok B" is not
            Pattern(
                "estate",
                rf"\b(?:Perum(?:ahan|nas)?\.?|Komp(?:lek|leks)?\.?|Griya|Cluster)\s+{STREET_NAME}"
                rf"(?:\s+Blok\s+[A-Z]{{1,2}}\d{{0,3}})?{HOUSE_NO}",
                0.8,
            ),
            Pattern(
                "estate name",
                rf"\bPerum(?:ahan|nas)?\.?\s+{STREET_NAME}(?:\s+Blok\s+[A-Z]{{1,2}}\d{{0,3}})?",
                0.7,
            ),
            Pattern(
                "village",
                rf"\b(?:[Dd]usun|[Dd]esa|[Kk]elurahan|Kel\.|[Kk]ampung|[Dd]ukuh)\s+{PLACE_NAME}",
                0.6,
            ),
            Pattern(
                "english street",
                r"\b(?:\d{1,5}\s+)?(?:[A-Z][a-z]+\s+){1,3}(?:Street|Road|Avenue|Lane|Boulevard)\b",
                0.7,
            ),
        ],
        flags=CASED,
    )
    return [
        email,
        npwp,
        bpjs,
        BankAccountRecognizer(),
        PlateRecognizer(),
        register,
        birth,
        address,
    ]
