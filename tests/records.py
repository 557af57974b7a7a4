"""What the store holds, read through the domain services (tests read; only services write)."""

from __future__ import annotations

from typing import Any

from pasopati.alerts import service as alerts
from pasopati.audit import service as audit
from pasopati.audit.models import AuditEvent
from pasopati.db import Database, get_database
from pasopati.decisions import service as decisions
from pasopati.drafts import service as drafts
from pasopati.evaluations import service as evaluations
from pasopati.facts import service as facts
from pasopati.incidents import service as incidents
from pasopati.publications import service as publications
from pasopati.team import service as team


class Records:
    def __init__(self, db: Database):
        self.db = db

    def incident(self, incident_id: str) -> Any:
        return incidents.get(self.db, incident_id)

    def incident_for_run(self, flow_run_id: str) -> Any:
        return incidents.for_run(self.db, flow_run_id)

    def decisions(self, incident_id: str) -> Any:
        return decisions.decisions(self.db, incident_id)

    def drafts(self, incident_id: str, severity: str | None = None, *, latest: bool = False) -> Any:
        return drafts.list_drafts(self.db, incident_id, severity, latest=latest)

    def draft(self, draft_id: str) -> Any:
        return drafts.get(self.db, draft_id)

    def approvers_of(self, draft: Any) -> set[str]:
        return decisions.approvers(self.db, draft)

    def publications(self, incident_id: str) -> Any:
        return publications.publications(self.db, incident_id)

    def facts(self, incident_id: str) -> Any:
        return facts.history(self.db, incident_id)

    def team(self, incident_id: str, severity: str) -> Any:
        return team.team(self.db, incident_id, severity)

    def notifications(self, incident_id: str) -> Any:
        return team.notifications(self.db, incident_id)

    def acknowledgements(self, incident_id: str) -> Any:
        return team.acknowledgements(self.db, incident_id)

    def escalations(self, incident_id: str) -> Any:
        return incidents.escalations(self.db, incident_id)

    def stages(self, incident_id: str) -> Any:
        return incidents.stages(self.db, incident_id)

    def evaluation(self, incident_id: str) -> Any:
        return evaluations.get(self.db, incident_id)

    def alert(self, alert_id: str) -> Any:
        return alerts.get(self.db, alert_id)

    def alerts(self, **filters: Any) -> Any:
        return alerts.find(self.db, **filters)


def records() -> Records:
    return Records(get_database())


def audit_events(incident_id: str) -> list[AuditEvent]:
    return audit.events(get_database(), incident_id=incident_id)


def published(db: Database, incident: Any, draft: Any, channel: str, cat: Any, location: str) -> Any:
    """Record ``draft`` as published on ``channel`` at ``location`` through the publication service's
    own steps (claim, write-ahead, receipt, summary), without calling a channel."""
    from pasopati.publications.channels import Receipt
    from pasopati.publications.models import DeliveryStatus
    from pasopati.publications.owner import me

    publication, draft, rows = publications.claim(db, incident, draft.id, draft.content_hash, channel, cat, [("", 0)])
    (taken,) = publications.write_ahead(db, [rows[0].id], me())
    publications.record_outcome(db, taken, DeliveryStatus.SENT, owner=me(), receipt=Receipt(location=location))
    return publications.summarise(db, incident, publication.id, draft)
