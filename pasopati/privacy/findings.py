"""What a scan reports: one ``Finding`` per piece of personal data, and the rule table it cites.

Each rule names the article of law that keeps the data out of a public statement:

* UU PDP 27/2022 Pasal 4 — personal data: ayat (3) general data (names, identity numbers, contact and
  address data combined to identify a person), ayat (2) specific data (a. health, d. criminal records,
  e. children's data, f. personal financial data).
* UU SPPA 11/2012 Pasal 19 — a child's identity (name, school, address, face, anything that reveals
  who the child is) must not be published in printed or electronic media.
* UU KIP 14/2008 Pasal 17 — public information exempt from disclosure (huruf h: personal secrets);
  here the incident's non-public facts.

``overridable`` is False where no approver may publish the data anyway: the identity of a child
(UU SPPA Pasal 19 allows no exception) and the NIK / KK numbers, which identify a person outright.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

PDP = "UU PDP 27/2022 Pasal 4"
SPPA = "UU SPPA 11/2012 Pasal 19"
KIP = "UU KIP 14/2008 Pasal 17"


@dataclass(frozen=True)
class Rule:
    """One kind of personal data: its stable id, the law it cites, whether an approver may override
    it, and its rank when two findings claim the same characters (lower wins)."""

    id: str
    law: str
    overridable: bool
    rank: int
    what: str


_TABLE = [
    Rule(
        "child_identity",
        SPPA,
        False,
        0,
        "a child's name, initials with an age, school or village",
    ),
    Rule("nik", PDP, False, 1, "Nomor Induk Kependudukan (16 digits, Dukcapil layout)"),
    Rule("kk", PDP, False, 2, "Kartu Keluarga number (16 digits after a KK label)"),
    Rule(
        "npwp",
        PDP,
        True,
        3,
        "taxpayer number (15 digits 99.999.999.9-999.999, or 16 after 'NPWP')",
    ),
    Rule("bpjs", PDP, True, 4, "BPJS / KIS card number (13 digits after a BPJS label)"),
    Rule(
        "bank_account",
        PDP,
        True,
        5,
        "bank account number (after 'rekening' or a bank's name)",
    ),
    Rule(
        "inmate_register",
        KIP,
        True,
        6,
        "an inmate's register number (B.I-123/2024, 'No. Reg.')",
    ),
    Rule("email", PDP, True, 7, "e-mail address"),
    Rule(
        "phone",
        PDP,
        True,
        8,
        "telephone number (any Indonesian form, via phonenumbers)",
    ),
    Rule("date_of_birth", PDP, True, 9, "date (and place) of birth after a birth cue"),
    Rule("plate", PDP, True, 10, "vehicle registration plate (B 1234 XYZ)"),
    Rule("health", PDP, True, 11, "health data: HIV status, a diagnosis, 'mengidap …'"),
    Rule("address", PDP, True, 12, "street, RT/RW, housing estate or village address"),
    Rule(
        "private_name",
        KIP,
        True,
        13,
        "a name or identifier from the incident's non-public facts",
    ),
]
RULES: dict[str, Rule] = {rule.id: rule for rule in _TABLE}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a text: ``text == source[start:end]``."""

    rule: str
    law: str
    text: str
    start: int
    end: int
    overridable: bool

    @classmethod
    def of(cls, rule: str, source: str, start: int, end: int) -> Finding:
        """The finding of ``rule`` over ``source[start:end]``; KeyError for an unknown rule."""
        spec = RULES[rule]
        return cls(rule, spec.law, source[start:end], start, end, spec.overridable)

    def as_dict(self) -> dict[str, object]:
        """``{"rule", "law", "text", "start", "end", "overridable"}`` — JSON-ready."""
        return asdict(self)
