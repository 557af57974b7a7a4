"""What a reviewer is told about each draft before deciding: its personal-data findings
(pasopati.drafts.privacy_check) and its coherence problems (pasopati.drafts.coherence), as they
would stand if it went out now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pasopati.db import Database
from pasopati.drafts.coherence import Problem, draft_problems
from pasopati.drafts.models import Draft
from pasopati.drafts.privacy_check import draft_findings
from pasopati.facts.models import Fact
from pasopati.facts.service import history
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.privacy import Finding
from pasopati.time import utcnow


@dataclass(frozen=True)
class Review:
    """One draft's findings and problems; ``clean`` when there are neither."""

    findings: list[Finding]
    problems: list[Problem]

    @property
    def clean(self) -> bool:
        return not self.findings and not self.problems

    def lines(self) -> list[str]:
        """One line per finding or problem, for a terminal (Indonesian, like the refusals)."""
        return [
            *(f'! data pribadi: {f.rule} "{f.text}" pada posisi {f.start} ({f.law}'
              f'{"" if f.overridable else ", tidak dapat dikecualikan"})' for f in self.findings),
            *(f'! {p.rule}: "{p.text}" pada posisi {p.start}: {p.detail}' for p in self.problems),
        ]

    def as_dict(self) -> dict[str, object]:
        return {"privacy": [f.as_dict() for f in self.findings], "problems": [p.as_dict() for p in self.problems]}


def review_of(draft: Draft, incident: Incident, facts: list[Fact], cat: Catalog, now: datetime) -> Review:
    """``draft`` checked against every version of the incident's ``facts``, as if issued at ``now``."""
    plan = cat.plan(incident.category, draft.severity)
    return Review(findings=draft_findings(draft, incident, facts, cat.roster), problems=draft_problems(draft, incident, plan, facts, now))


def reviews(db: Database, incident: Incident, drafts: list[Draft], cat: Catalog) -> dict[str, Review]:
    """Draft id → Review, for drafts of one incident, as of now."""
    facts, now = history(db, incident.id), utcnow()
    return {d.id: review_of(d, incident, facts, cat, now) for d in drafts}
