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
from collections.abc import Iterable
from datetime import datetime, timedelta

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
from pasopati.audit.service import system
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Trigger
from pasopati.plan.catalog import Catalog
from pasopati.plan.gazetteer import default_gazetteer
from pasopati.plan.roster import Unit
from pasopati.plan.runbook import Severity
from pasopati.runs import deployment_name, start_labels
from pasopati.settings import Settings
from pasopati.starts import prefect as run_starts
from pasopati.starts import service as starts
from pasopati.starts.models import RunStart, StartStatus
from pasopati.time import utcnow

INTAKE = system("intake")


def _words(shingles: Iterable[str]) -> frozenset[str]:
    return frozenset(word for shingle in shingles for word in shingle.split())


def now_minus(span: timedelta) -> datetime:
    return utcnow() - span

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
    start_id: str | None = None
    start_status: StartStatus | None = None


class Intake:
    def __init__(self, db: Database, catalog: Catalog, rules: Rules, runs: run_starts.Runs, settings: Settings):
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
                fingerprint=sorted(fingerprint(alert.full_text, self.rules)),
            )
            outcomes.append(self.process(record, alert))
        return outcomes

    def replay(self, original: AlertRecord, alert: Alert, raw: str, source: str) -> Outcome:
        """A new record of ``alert`` (``raw`` as the caller sent it, or the original's), linked to
        ``original`` and attributed to ``source``, the caller: the original stays as received."""
        record = AlertRecord(id=str(uuid.uuid4()), received_at=utcnow(), source=source, raw=raw,
                             url=str(alert.url) if alert.url else None, status="received", text=alert.full_text,
                             replay_of=original.id, fingerprint=sorted(fingerprint(alert.full_text, self.rules)))
        return self.process(record, alert)

    def process(self, record: AlertRecord, alert: Alert) -> Outcome:
        # Intake decides one alert at a time: no two alerts about one escape both find "no incident".
        with self._lock:
            alerts.receive(self.db, record)  # stored before anything else happens: nothing received is lost
            outcome, start = self._decide(record, alert)
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
            )
        if start is None:
            return outcome
        # The run is asked for outside the lock: a slow or absent Prefect holds no other alert back.
        start = run_starts.attempt(self.db, start, self.runs)
        return self._with_start(outcome, start)

    def _with_start(self, outcome: Outcome, start: RunStart) -> Outcome:
        update: dict[str, object] = {"start_id": start.id, "start_status": start.status}
        if start.status is StartStatus.STARTED:
            update["flow_run_id"] = start.flow_run_id
        else:
            every = self.settings.start_retry_seconds
            update["reasons"] = [*outcome.reasons, f"run not started yet ({start.last_error}): retried from {every:g} s on,"
                                 f" shown by `pasopati starts`; `{start.retry_command}` tries it now"]
        return outcome.model_copy(update=update)

    def _decide(self, record: AlertRecord, alert: Alert) -> tuple[Outcome, RunStart | None]:
        roster = self.catalog.roster
        now = utcnow()
        units = default_gazetteer()  # every UPT, not only the roster's: unit and Kanwil are recognised anywhere
        result = classify(alert, self.rules, roster, directory=units)
        # Where the crisis is: its UPT, or for an event across a Kanwil's UPTs the Kanwil office.
        where = result.unit or result.kanwil
        active, closed = None, []
        if where and result.category:
            repeats = incidents.count_since(self.db, where, now - timedelta(days=90))
            recent = incidents.recent_for(self.db, where, result.category, now - self.window)
            active = self._closest([i for i, is_closed in recent if not is_closed], record)
            closed = [i for i, is_closed in recent if is_closed]
            if active is None and (region := self._open_across_kanwil(where, result.category, now)) is not None:
                active = region  # one of the UPTs of an event already open across its Kanwil
            if repeats - (1 if active else 0) > 0:
                result = classify(alert, self.rules, roster, repeats_in_90_days=repeats, directory=units)
        base = dict(
            alert_id=record.id,
            category=result.category,
            severity=result.severity,
            unit=where,
            reasons=[*result.reasons, *alert.warnings],
        )
        if active is not None:
            return self._correlate(record, alert, result, active, base)
        for done in closed:
            if (same := self._duplicate_of(record, alert, done)) is not None:
                # A re-sent or rewritten report of a crisis that was closed: kept with it, nothing reopened.
                note = f"{same} of closed incident {done.id}: kept with it, not reopened"
                return Outcome(status="duplicate", **{**base, "incident_id": done.id, "reasons": [*base["reasons"], note]}), None
        if closed:
            base["reasons"].append(f"insiden {closed[0].id} untuk unit dan kategori ini sudah ditutup: tidak dilampirkan padanya")
        if result.action == "ignore":
            return Outcome(status="ignored", **base), None
        unit = roster.find_unit(where) if where else None
        if result.action == "watch" or not (unit and result.category and result.severity) or not roster.has_team(unit):
            if result.action == "start":
                base["reasons"].append(self._why_not_started(result, unit))
            return Outcome(status="watch", **base), None
        return self._start(record, alert, result, unit.id, base, follows=closed[0] if closed else None)

    def _closest(self, open_ones: list[Incident], record: AlertRecord) -> Incident | None:
        """The open incident this alert is about. Two can be open at one unit and category (an
        operator opened a separate one with a reason): the one whose summary and alerts share most
        of this alert's words; the most recently active when none does."""
        if len(open_ones) <= 1:
            return open_ones[0] if open_ones else None
        mine = _words(record.fingerprint or ())

        def likeness(incident: Incident) -> float:
            kept = [a.fingerprint for a in alerts.fingerprints_of(self.db, incident.id)]
            # single words, not the near-duplicate shingles: a short summary shares words, rarely pairs
            return max((similarity(mine, _words(f)) for f in [fingerprint(incident.summary, self.rules), *kept]), default=0.0)

        scores = [likeness(i) for i in open_ones]  # open_ones is most recently active first: ties keep it
        return open_ones[scores.index(max(scores))]

    def _open_across_kanwil(self, unit_id: str, category: str, now: datetime) -> Incident | None:
        unit = self.catalog.roster.find_unit(unit_id)
        if unit is None or unit.type == "kanwil":
            return None
        recent = incidents.recent_for(self.db, unit.kanwil, category, now - self.window)
        return next((i for i, is_closed in recent if not is_closed), None)

    @staticmethod
    def _why_not_started(result: Classification, unit: Unit | None) -> str:
        """A crisis the classifier would start that nobody can run yet: kept as a watch item, saying why."""
        if unit is not None:
            return (f"crisis at {unit.name} ({unit.kanwil}): roster.yaml has no team there nor at its Kanwil, so no"
                    " runbook starts by itself — kept for the Media Center")
        if result.unit or result.kanwil:
            return f"crisis at {result.facility or result.unit or result.kanwil}: not a unit PASOPATI knows — kept for an analyst"
        return "no unit recognised: kept for an analyst to triage"

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.settings.correlation_window_hours)

    def _start(self, record: AlertRecord, alert: Alert, result: Classification, unit_id: str, base: dict,  # type: ignore[type-arg]
               follows: Incident | None) -> tuple[Outcome, RunStart]:
        """Open the incident and store the request for its run (one act); the run is asked for next."""
        assert result.category and result.severity
        trigger = self._trigger(alert, unit_id, record.id)
        plan = self.catalog.plan(result.category, result.severity)
        incident = incidents.build(plan, trigger, self.catalog.roster).model_copy(update={"follows_id": follows.id if follows else None})
        try:
            start = starts.open_and_request(self.db, incident, trigger, deployment_name(plan.category, plan.severity), by=INTAKE,
                                            reasons=base["reasons"], **start_labels(incident, "alert"),
                                            alert_id=record.id, beside_since=now_minus(self.window))
        except incidents.OpenIncidentExists as exists:  # an operator opened it since this alert was matched
            return self._correlate(record, alert, result, exists.incident, base)
        return Outcome(status="started", incident_id=incident.id, **base), start

    def _correlate(self, record: AlertRecord, alert: Alert, result: Classification, active: Incident, base: dict) -> tuple[Outcome, RunStart | None]:  # type: ignore[type-arg]
        base = {**base, "incident_id": active.id, "flow_run_id": active.flow_run_id}
        if result.severity and Severity(result.severity).rank > active.severity.rank:
            return self._escalate(record, alert, result, active, base)
        if (same := self._duplicate_of(record, alert, active)) is not None:
            return Outcome(status="duplicate", **{**base, "reasons": [*base["reasons"], same]}), None
        return Outcome(status="attached", **base), None

    def _duplicate_of(self, record: AlertRecord, alert: Alert, incident: Incident) -> str | None:
        """Why this alert repeats one already kept with ``incident`` (None: it does not)."""
        earlier = [a for a in alerts.fingerprints_of(self.db, incident.id) if a.id != record.id]
        if record.url and any(a.url == record.url for a in earlier):
            return "same URL as an earlier alert"
        # Stored at receipt: a long alert about an incident is never fingerprinted again (issue 12).
        mine = frozenset(record.fingerprint or ())
        best = max((similarity(mine, frozenset(a.fingerprint)) for a in earlier), default=0.0)
        if best >= self.settings.near_duplicate_similarity:
            return f"near-duplicate of an earlier alert (similarity {best:.2f})"
        return None

    def _escalate(self, record: AlertRecord, alert: Alert, result: Classification, active: Incident, base: dict) -> tuple[Outcome, RunStart | None]:  # type: ignore[type-arg]
        """Raise the incident (the store refuses anything but up) and request the higher-severity run
        for the same incident, the run it released to be cancelled first (one act); a refused
        escalation leaves the alert attached."""
        assert result.severity
        severity = Severity(result.severity)
        message = f"escalated from {active.severity.value} to {severity.value} by alert {base['alert_id']}"
        trigger = self._trigger(alert, active.unit_id, record.id).model_copy(update={"incident_id": active.id, "summary": active.summary})
        try:
            escalated, start = starts.escalate_and_request(
                self.db, active.id, severity, deployment_name(active.category, severity), trigger, by=INTAKE, reason=message,
                alert_id=record.id, **start_labels(active.model_copy(update={"severity": severity}), "alert"))
        except incidents.RunRefused as refused:
            return Outcome(status="attached", **{**base, "reasons": [*base["reasons"], str(refused)]}), None
        reasons = [*base["reasons"], message]
        return Outcome(status="escalated", **{**base, "flow_run_id": None, "severity": severity.value, "reasons": reasons}), start

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
