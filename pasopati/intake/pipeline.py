"""What happens to each alert: store it, classify it, correlate it with the open incidents, and
start, attach, escalate or keep it as a watch item.

Escalation (documented decision): the incident stays one incident; its current run is cancelled
with the reason and the higher-severity runbook starts for the *same* incident. What was already
published stays published; the new run re-assembles the larger team and asks the higher approval
authority for its own statements. So there is never more than one live run per crisis.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Protocol

from pydantic import BaseModel

from pasopati.alerts import Alert, AlertRecord, AlertStatus
from pasopati.catalog import Catalog
from pasopati.classify import Classification, Rules, classify, fingerprint, similarity
from pasopati.models import Incident, Trigger, utcnow
from pasopati.runbook import Severity
from pasopati.settings import Settings
from pasopati.store import Store


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
    def __init__(self, store: Store, catalog: Catalog, rules: Rules, runs: RunStarter, settings: Settings):
        self.store, self.catalog, self.rules, self.runs, self.settings = store, catalog, rules, runs, settings
        # One decision at a time: two alerts about the same escape must not both find "no incident".
        self._lock = threading.Lock()

    def reject(self, raw: str, source: str, reason: str) -> str:
        """Keep a body that could not be read as alerts, with the reason, for a replay after a fix."""
        record = AlertRecord(
            id=str(uuid.uuid4()), received_at=utcnow(), source=source, raw=raw, status="rejected", reason=reason
        )
        self.store.save_alert(record)
        return record.id

    def receive(self, alerts: list[Alert], source: str, raws: list[str]) -> list[Outcome]:
        outcomes = []
        for alert, raw in zip(alerts, raws, strict=True):
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

    def replay(self, record: AlertRecord, alert: Alert) -> Outcome:
        return self.process(record.model_copy(update={"status": "received", "reason": None}), alert)

    def process(self, record: AlertRecord, alert: Alert) -> Outcome:
        # Intake is the store's only alert writer and decides one alert at a time: no two alerts
        # about one escape both find "no incident", and SQLite never makes writers wait on each other.
        with self._lock:
            try:
                outcome = self._decide(record, alert)
            except Exception:
                self.store.save_alert(record)  # whatever failed, what was received is kept
                raise
            self.store.save_alert(
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
                )
            )
        return outcome

    def _decide(self, record: AlertRecord, alert: Alert) -> Outcome:
        roster = self.catalog.roster
        now = utcnow()
        result = classify(alert, self.rules, roster)
        if result.unit and result.category:
            repeats = self.store.count_incidents(result.unit, now - timedelta(days=90))
            active = self.store.active_incident(result.unit, result.category, now - self.window)
            if repeats - (1 if active else 0) > 0:
                result = classify(alert, self.rules, roster, repeats_in_90_days=repeats)
        else:
            active = None
        base = dict(
            alert_id=record.id,
            category=result.category,
            severity=result.severity,
            unit=result.unit,
            reasons=list(result.reasons),
        )
        if active is not None:
            return self._correlate(record, alert, result, active, base)
        if result.action == "ignore":
            return Outcome(status="ignored", **base)
        if result.action == "watch" or not (result.unit and result.category and result.severity):
            if result.action == "start":
                base["reasons"].append("no unit recognised: kept for an analyst to triage")
            return Outcome(status="watch", **base)
        return self._start(record, alert, result, base)

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.settings.correlation_window_hours)

    def _start(self, record: AlertRecord, alert: Alert, result: Classification, base: dict) -> Outcome:  # type: ignore[type-arg]
        from tasks.incident import build_incident  # the same construction the runbook's first task uses

        assert result.category and result.severity and result.unit
        self.store.save_alert(record)  # stored before the call to Prefect, which may fail
        trigger = self._trigger(alert, result.unit)
        plan = self.catalog.plan(result.category, result.severity)
        incident = build_incident(plan, trigger)
        self.store.save_incident(incident)
        flow_run_id = self.runs.start(result.category, Severity(result.severity), trigger.model_copy(update={"incident_id": incident.id}))
        # Known before the run's first task records it: the next alert must find the live run.
        self.store.update_incident(incident.model_copy(update={"flow_run_id": flow_run_id}))
        return Outcome(status="started", incident_id=incident.id, flow_run_id=flow_run_id, **base)

    def _correlate(self, record: AlertRecord, alert: Alert, result: Classification, active: Incident, base: dict) -> Outcome:  # type: ignore[type-arg]
        self.store.touch_incident(active.id)
        base = {**base, "incident_id": active.id, "flow_run_id": active.flow_run_id}
        if result.severity and Severity(result.severity).rank > active.severity.rank:
            self.store.save_alert(record)  # stored before the calls to Prefect, which may fail
            return self._escalate(alert, result, active, base)
        earlier = self.store.alerts(incident_id=active.id)
        if record.url and any(a.url == record.url for a in earlier):
            return Outcome(status="duplicate", **{**base, "reasons": [*base["reasons"], "same URL as an earlier alert"]})
        mine = fingerprint(alert.full_text)
        best = max((similarity(mine, fingerprint(a.text or "")) for a in earlier), default=0.0)
        if best >= self.settings.near_duplicate_similarity:
            note = f"near-duplicate of an earlier alert (similarity {best:.2f})"
            return Outcome(status="duplicate", **{**base, "reasons": [*base["reasons"], note]})
        return Outcome(status="attached", **base)

    def _escalate(self, alert: Alert, result: Classification, active: Incident, base: dict) -> Outcome:  # type: ignore[type-arg]
        assert result.severity
        severity = Severity(result.severity)
        message = f"escalated from {active.severity.value} to {severity.value} by alert {base['alert_id']}"
        if active.flow_run_id:
            self.runs.cancel(active.flow_run_id, message)
        trigger = self._trigger(alert, active.unit_id).model_copy(update={"incident_id": active.id, "summary": active.summary})
        flow_run_id = self.runs.start(active.category, severity, trigger)
        self.store.update_incident(active.model_copy(update={"severity": severity, "flow_run_id": flow_run_id}))
        reasons = [*base["reasons"], message]
        return Outcome(status="escalated", **{**base, "flow_run_id": flow_run_id, "severity": severity.value, "reasons": reasons})

    @staticmethod
    def _trigger(alert: Alert, unit_id: str) -> Trigger:
        summary = (alert.title or alert.text).strip()[:300]
        return Trigger(
            unit=unit_id,
            summary=summary,
            reported_by=alert.source,
            source="alert",
            confirmed=False,  # a media report is a claim to verify, not a confirmed fact
            detected_at=utcnow(),
        )
