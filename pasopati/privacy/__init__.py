"""The personal-data gate: finds personal data in public statements and team notifications before
approval, after edits and right before publishing.

Rules and the law each cites are in ``pasopati.privacy.findings`` (UU PDP 27/2022 Pasal 4,
UU SPPA 11/2012 Pasal 19, UU KIP 14/2008 Pasal 17). The engine is Microsoft Presidio's analyzer with
this package's recognizers and no spaCy model (``pasopati.privacy.engine``). A leaf package: it
imports nothing else from ``pasopati``.
"""

from pasopati.privacy.findings import RULES, Finding, Rule
from pasopati.privacy.patterns import is_initials
from pasopati.privacy.scan import scan
from pasopati.privacy.terms import private_terms_from

__all__ = ["RULES", "Finding", "Rule", "is_initials", "private_terms_from", "scan"]
