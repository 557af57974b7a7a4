"""What happens to each alert: store it, classify it, correlate it with the open incidents, and
start, attach, escalate or keep it as a watch item.

Escalation (documented decision): the incident stays one incident; the store raises it (only ever
up) and releases its run, that run is cancelled with the reason and the higher-severity runbook
starts for the *same* incident. What was already published stays published; the new run
re-assembles the larger team and asks the higher approval authority for its own statements. So
there is never more than one live run per crisis (``pasopati.incidents.service`` refuses any other
run that names a live incident).
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Protocol

from pydantic import BaseModel

from pasopati.alerts import service as alerts
from pasopati.alerts.classify import (
    Classification,
    Rules,
    classify,
    fingerprint,
    similarity,
)
from pasopati.alerts.models import Alert, AlertRecord, AlertStatus
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Trigger
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import Severity
from pasopati.settings import Settings
from pasopati.time import utcnow


class RunStarter(Protocol):
    def start(self, category: str, severity: Severity, trigger: Trigger) -> str: ...

    def cancel(self, flow_run_id: str, message: str) -> None: ...


class Outcome(BaseModel):
    """What intake answers for each alert."""

    alert_id: str
    status: AlertStatus
    incident_id: str | None = None
    flow_run_id: str | None = None
    category: str | None = None
    severity: str | None = None
    unit: str | None = None
    reasons: list[str] = []


class Intake:
    def __init__(self, db: Database, catalog: Catalog, rules: Rules, runs: RunStarter, settings: Settings):
        self.db, self.catalog, self.rules, self.runs, self.settings = db, catalog, rules, runs, settings
        # One decision at a time: two alerts about the same escape must not both find "no incident".
        self._lock = threading.Lock()

    def reject(self, raw: str, source: str, reason: str) -> str:
        """Keep a body that could not be read as alerts, with the reason, for a replay after a fix."""
        return alerts.reject(self.db, raw, source, reason)

    def receive(self, items: list[Alert], source: str, raws: list[str]) -> list[Outcome]:
        outcomes = []
        for alert, raw in zip(items, raws, strict=True):
            record = AlertRecord(
                id=str(uuid.uuid4()),
                received_at=utcnow(),
                source=source,
                raw=raw,
                url=str(alert.url) if alert.url else None,
                status="received",
                text=alert.full_text,
            )
            outcomes.append(self.process(record, alert))
        return outcomes

    def replay(self, original: AlertRecord, alert: Alert, raw: str, source: str) -> Outcome:
        """A new record of ``alert`` (``raw`` as the caller sent it, or the original's), linked to
        ``original`` and attributed to ``source``, the caller: the original stays as received."""
        record = AlertRecord(id=str(uuid.uuid4()), received_at=utcnow(), source=source, raw=raw,
                             url=str(alert.url) if alert.url else None, status="received", text=alert.full_text,
                             replay_of=original.id)
        return self.process(record, alert)

    def process(self, record: AlertRecord, alert: Alert) -> Outcome:
        # Intake decides one alert at a time: no two alerts about one escape both find "no incident".
        with self._lock:
            alerts.receive(self.db, record)  # stored before anything else happens: nothing received is lost
            outcome, run_started = self._decide(record, alert)
            alerts.decide(
                self.db,
                record.model_copy(
                    update={
                        "status": outcome.status,
                        "incident_id": outcome.incident_id,
                        "flow_run_id": outcome.flow_run_id,
                        "unit_id": outcome.unit,
                        "category": outcome.category,
                        "severity": outcome.severity,
                        "reasons": outcome.reasons,
                    }
                ),
                run_started=run_started,
            )
        return outcome

    def _decide(self, record: AlertRecord, alert: Alert) -> tuple[Outcome, bool]:
        roster = self.catalog.roster
        now = utcnow()
        result = classify(alert, self.rules, roster)
        active, closed = None, []
        if result.unit and result.category:
            repeats = incidents.count_since(self.db, result.unit, now - timedelta(days=90))
            recent = incidents.recent_for(self.db, result.unit, result.category, now - self.window)
            active = next((i for i, is_closed in recent if not is_closed), None)
            closed = [i for i, is_closed in recent if is_closed]
            if repeats - (1 if active else 0) > 0:
                result = classify(alert, self.rules, roster, repeats_in_90_days=repeats)
        base = dict(
            alert_id=record.id,
            category=result.category,
            severity=result.severity,
            unit=result.unit,
            reasons=[*result.reasons, *alert.warnings],
        )
        if active is not None:
            outcome = self._correlate(record, alert, result, active, base)
            return outcome, outcome.status == "escalated"  # the incident learns its escalated run
        for done in closed:
            if (same := self._duplicate_of(record, alert, done)) is not None:
                # A re-sent or rewritten report of a crisis that was closed: kept with it, nothing reopened.
                note = f"{same} of closed incident {done.id}: kept with it, not reopened"
                return Outcome(status="duplicate", **{**base, "incident_id": done.id, "reasons": [*base["reasons"], note]}), False
        if closed:
            base["reasons"].append(f"insiden {closed[0].id} untuk unit dan kategori ini sudah ditutup: tidak dilampirkan padanya")
        if result.action == "ignore":
            return Outcome(status="ignored", **base), False
        if result.action == "watch" or not (result.unit and result.category and result.severity):
            if result.action == "start":
                base["reasons"].append("no unit recognised: kept for an analyst to triage")
            return Outcome(status="watch", **base), False
        return self._start(record, alert, result, base, follows=closed[0] if closed else None), True

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.settings.correlation_window_hours)

    def _start(self, record: AlertRecord, alert: Alert, result: Classification, base: dict, follows: Incident | None) -> Outcome:  # type: ignore[type-arg]
        assert result.category and result.severity and result.unit
        trigger = self._trigger(alert, result.unit, record.id)
        plan = self.catalog.plan(result.category, result.severity)
        incident = incidents.build(plan, trigger, self.catalog.roster).model_copy(update={"follows_id": follows.id if follows else None})
        incidents.open_incident(self.db, incident, trigger, reasons=base["reasons"])
        flow_run_id = self.runs.start(result.category, Severity(result.severity), trigger.model_copy(update={"incident_id": incident.id}))
        return Outcome(status="started", incident_id=incident.id, flow_run_id=flow_run_id, **base)

    def _correlate(self, record: AlertRecord, alert: Alert, result: Classification, active: Incident, base: dict) -> Outcome:  # type: ignore[type-arg]
        base = {**base, "incident_id": active.id, "flow_run_id": active.flow_run_id}
        if result.severity and Severity(result.severity).rank > active.severity.rank:
            return self._escalate(record, alert, result, active, base)
        if (same := self._duplicate_of(record, alert, active)) is not None:
            return Outcome(status="duplicate", **{**base, "reasons": [*base["reasons"], same]})
        return Outcome(status="attached", **base)

    def _duplicate_of(self, record: AlertRecord, alert: Alert, incident: Incident) -> str | None:
        """Why this alert repeats one already kept with ``incident`` (None: it does not)."""
        earlier = [a for a in alerts.find(self.db, incident_id=incident.id) if a.id != record.id]
        if record.url and any(a.url == record.url for a in earlier):
            return "same URL as an earlier alert"
        mine = fingerprint(alert.full_text)
        best = max((similarity(mine, fingerprint(a.text or "")) for a in earlier), default=0.0)
        if best >= self.settings.near_duplicate_similarity:
            return f"near-duplicate of an earlier alert (similarity {best:.2f})"
        return None

    def _escalate(self, record: AlertRecord, alert: Alert, result: Classification, active: Incident, base: dict) -> Outcome:  # type: ignore[type-arg]
        """Raise the incident (the store refuses anything but up), cancel the run it released, start
        the higher-severity run for the same incident; a refused escalation leaves the alert attached."""
        assert result.severity
        severity = Severity(result.severity)
        message = f"escalated from {active.severity.value} to {severity.value} by alert {base['alert_id']}"
        try:
            _, released = incidents.escalate(self.db, active.id, severity, alert_id=record.id, reason=message)
        except incidents.RunRefused as refused:
            return Outcome(status="attached", **{**base, "reasons": [*base["reasons"], str(refused)]})
        if released:
            self.runs.cancel(released, message)
        trigger = self._trigger(alert, active.unit_id, record.id).model_copy(update={"incident_id": active.id, "summary": active.summary})
        flow_run_id = self.runs.start(active.category, severity, trigger)
        reasons = [*base["reasons"], message]
        return Outcome(status="escalated", **{**base, "flow_run_id": flow_run_id, "severity": severity.value, "reasons": reasons})

    @staticmethod
    def _trigger(alert: Alert, unit_id: str, alert_id: str) -> Trigger:
        summary = (alert.title or alert.text).strip()[:300]
        return Trigger(
            unit=unit_id,
            summary=summary if len(summary) >= 3 else f"{summary} (alert)",
            reported_by=alert.source,
            source="alert",
            # Detected when it was published (deadlines count from it), never later than now.
            detected_at=min(alert.published_at, utcnow()) if alert.published_at and alert.published_at.tzinfo else utcnow(),
            alert_ids=[alert_id],
        )
