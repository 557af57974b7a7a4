"""What a reviewer is told about each draft before deciding: its personal-data findings
(pasopati.drafts.privacy_check) and its coherence problems (pasopati.drafts.coherence), as they
would stand if it went out now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pasopati.db import Database
from pasopati.drafts.coherence import Problem, draft_problems
from pasopati.drafts.context import wording
from pasopati.drafts.models import Draft
from pasopati.drafts.privacy_check import draft_findings
from pasopati.facts.models import Fact
from pasopati.facts.service import history
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.privacy import Finding
from pasopati.time import utcnow


@dataclass(frozen=True)
class Review:
    """One draft's findings and problems; ``clean`` when there are neither. ``untranslated``: the
    verified facts an English draft leaves out for want of English words; ``stale``: facts with a newer
    version than the draft was written from ("kapan v1 → v2"). Both are notes, not refusals."""

    findings: list[Finding]
    problems: list[Problem]
    untranslated: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings and not self.problems

    def lines(self) -> list[str]:
        """One line per finding or problem, for a terminal (Indonesian, like the refusals)."""
        return [
            *(f'! data pribadi: {f.rule} "{f.text}" pada posisi {f.start} ({f.law}'
              f'{"" if f.overridable else ", tidak dapat dikecualikan"})' for f in self.findings),
            *(f'! {p.rule}: "{p.text}" pada posisi {p.start}: {p.detail}' for p in self.problems),
            *([(f"· belum ada terjemahan Inggris untuk: {', '.join(self.untranslated)} (teks Inggris merujuk ke versi"
                " Indonesia; tambahkan dengan --set-en ITEM=VALUE)")] if self.untranslated else []),
            *([(f"· fakta berubah sejak draf ini ditulis: {', '.join(self.stale)} (request-changes lalu revise menyusunnya"
                " ulang dari fakta terkini)")] if self.stale else []),
        ]

    def as_dict(self) -> dict[str, object]:
        return {"privacy": [f.as_dict() for f in self.findings], "problems": [p.as_dict() for p in self.problems],
                "untranslated": self.untranslated, "stale": self.stale}


def review_of(draft: Draft, incident: Incident, facts: list[Fact], cat: Catalog, now: datetime) -> Review:
    """``draft`` checked against every version of the incident's ``facts``, as if issued at ``now``."""
    plan = cat.plan(incident.category, draft.severity)
    return Review(findings=draft_findings(draft, incident, facts, cat.roster), problems=draft_problems(draft, incident, plan, facts, now),
                  untranslated=untranslated(draft, plan, facts), stale=stale(draft, facts))


def stale(draft: Draft, facts: list[Fact]) -> list[str]:
    """"item vN → vM" for each fact ``draft`` was written from that has a newer version in ``facts``."""
    latest = {f.item_id: f.version for f in facts}
    return [f"{item} v{version} → v{latest[item]}" for item, version in sorted(draft.fact_versions.items())
            if latest.get(item, version) > version]


def untranslated(draft: Draft, plan: RunbookPlan, facts: list[Fact]) -> list[str]:
    """Item ids of the current public facts an English ``draft`` cannot state (pasopati.drafts.context.wording)."""
    if draft.language != "en":
        return []
    latest = {f.item_id: f for f in facts}  # ``facts`` by version: the last one per item is current
    return [item.id for item in plan.checklist
            if item.public and (fact := latest.get(item.id)) is not None and fact.value and wording(fact, item, "en") is None]


def reviews(db: Database, incident: Incident, drafts: list[Draft], cat: Catalog) -> dict[str, Review]:
    """Draft id → Review, for drafts of one incident, as of now."""
    facts, now = history(db, incident.id), utcnow()
    return {d.id: review_of(d, incident, facts, cat, now) for d in drafts}
