"""The personal-data gate applied to drafts (pasopati.privacy; UU PDP 27/2022 Pasal 4, UU SPPA 11/2012
Pasal 19, UU KIP 14/2008 Pasal 17): every public text is checked when drafted, when edited, when
approved and right before it is published. A finding blocks: the text is edited, or an authorised
approver overrides it with a recorded reason — never for a child's identity, a NIK or a KK."""

from __future__ import annotations

import re

from pasopati.drafts.models import Draft
from pasopati.drafts.rendering import INTERNAL_MESSAGES
from pasopati.facts.models import Fact
from pasopati.incidents.models import Incident
from pasopati.plan.roster import Roster
from pasopati.privacy import Finding, is_initials, private_terms_from, scan
from pasopati.privacy.names import names_in, place_words
from pasopati.texts import TextRefused, plain


def findings_in(text: str, incident: Incident, facts: list[Fact], roster: Roster) -> list[Finding]:
    """Personal data in ``text``: the rules of pasopati.privacy plus the names and numbers in the
    incident's own non-public facts and the personal names in its public ones
    (pasopati.privacy.names.names_in; the roster's places and officials are no leak); the Humas desks'
    office contacts are institutional."""
    # Initials a verified public item states (the officers' in inisial_petugas: DOMAIN.md, initials only)
    # were verified to be said; a full name never is, wherever it was typed.
    public = [f.value for f in facts if f.value and f.public]
    said = " ".join(public)
    private = [t for t in private_terms_from(f.value for f in facts if f.value and not f.public)
               if not (is_initials(t) and re.search(rf"(?<!\w){re.escape(t)}(?!\w)", said))]
    child = incident.unit_type == "lpka"
    officials = {p.name for p in roster.people}  # named in their office (the spokesperson): no leak
    private += [n for value in public for n in names_in(value, _places(roster), child_unit=child) if n not in officials]
    return scan(text, private_terms=private, allow=roster.institution_contacts(), child_unit=child)


def _places(roster: Roster) -> frozenset[str]:
    return place_words(roster.place_names())


def draft_findings(draft: Draft, incident: Incident, facts: list[Fact], roster: Roster) -> list[Finding]:
    """Findings of a public draft (the internal situation report may hold personal data: it is never published)."""
    return [] if draft.message_type in INTERNAL_MESSAGES else findings_in(draft.body, incident, facts, roster)


def reason_given(override: str) -> bool:
    """Whether ``override`` is a reason a reader of the record can read: at least two words of
    letters, eight letters in all (invisible characters, one letter or punctuation are no reason)."""
    try:
        words = re.findall(r"[^\W\d_]{2,}", plain(override))
    except TextRefused:
        return False
    return len(words) >= 2 and sum(map(len, words)) >= 8


def blocking(findings: list[Finding], override: str) -> list[Finding]:
    """What still blocks: every finding without a readable override reason; with one, those no override lifts."""
    lifted = reason_given(override)
    return [f for f in findings if not (lifted and f.overridable)]


def describe(findings: list[Finding]) -> str:
    """'nik "3174…" pada posisi 120 (UU PDP 27/2022 Pasal 4, tidak dapat dikecualikan); …'."""
    return "; ".join(
        f'{f.rule} "{f.text}" pada posisi {f.start} ({f.law}{"" if f.overridable else ", tidak dapat dikecualikan"})' for f in findings
    )

