"""The verification gate: wait until a proven member of the crisis team verifies the facts.

Like the approval loop, each pass asks the store where the gate stands; a refused submission
(unproven, not on the team) is recorded and the next round opens.
"""

from __future__ import annotations

from pasopati.facts.models import FactSet
from pasopati.incidents.models import Incident
from pasopati.plan.runbook import RunbookPlan
from tasks.gates import (
    await_verification,
    open_verification,
    record_verification,
    verified_facts,
)


def verified(incident: Incident, plan: RunbookPlan) -> FactSet:
    """The incident's facts once verification is done (unverified items stay as reported)."""
    while (key := open_verification(incident)) is not None:
        record_verification(incident, plan, key, await_verification(incident, plan, key))
    return verified_facts(incident)
