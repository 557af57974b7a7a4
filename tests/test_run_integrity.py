"""Run integrity, store-level, on SQLite and PostgreSQL: a run's severity is its deployment's, one
live run per crisis, and an incident changes hands only through the escalation path, which only
goes up. Every refusal is audited; the refused act changes nothing else."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from pasopati.alerts.classify import load_rules
from pasopati.alerts.models import Alert
from pasopati.audit import service as audit
from pasopati.audit.models import AuditEvent
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Trigger
from pasopati.intake.pipeline import Intake
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.runs import FLOW_PREFIX
from pasopati.settings import get_settings
from pasopati.starts.models import RunStart

CATEGORY = "opini-publik"
FLOW = f"krisis-{CATEGORY}"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def trigger(incident_id: str | None = None) -> Trigger:
    return Trigger(unit="Lapas Cipinang", summary="Video sel mewah viral di media sosial", reported_by="Operator Uji",
                   source="ui", incident_id=incident_id, new_incident_reason=None if incident_id else "uji: krisis tersendiri")


def run_of(db: Database, cat: Catalog, severity: Severity, incident_id: str | None = None, *,
           run: str | None = None, live: Callable[[str], bool] = lambda _: True) -> Incident:
    plan = cat.plan(CATEGORY, severity)
    return incidents.open_for_run(db, plan, trigger(incident_id), cat.roster, run or str(uuid.uuid4()), None, is_live=live)


def refusals(db: Database) -> list[AuditEvent]:
    return [e for e in audit.events(db) if e.kind in {"run.refused", "incident.escalation_refused"}]


def snapshot(db: Database, incident_id: str) -> tuple[Any, ...]:
    """What a refusal must leave untouched: the incident, its runs."""
    return incidents.get(db, incident_id), incidents.runs_of(db, incident_id)


# Runs cannot contradict their deployment -----------------------------------------------------------
def test_a_severity_parameter_contradicting_the_deployment_is_refused_before_any_incident(db: Database) -> None:
    run = str(uuid.uuid4())
    with pytest.raises(incidents.RunRefused, match=r"parameter 'severity' is 'luar-biasa'.*krisis-opini-publik/ringan runs 'ringan'"):
        incidents.admit(db, run, Severity.LUAR_BIASA, f"{FLOW}/ringan", trigger())
    (event,) = refusals(db)
    assert (event.kind, event.actor, event.incident_id, event.flow_run_id) == ("run.refused", "sistem:runbook", None, run)
    assert event.details["parameter"] == "severity" and event.details["claimed"] == "luar-biasa"
    assert event.details["deployment"] == f"{FLOW}/ringan" and event.details["deployment_severity"] == "ringan"
    assert incidents.open_incidents(db) == [] and incidents.for_run(db, run) is None


def test_the_deployments_own_severity_or_no_deployment_is_admitted(db: Database, cat: Catalog) -> None:
    incidents.admit(db, str(uuid.uuid4()), Severity.RINGAN, f"{FLOW}/ringan", trigger())
    incidents.admit(db, str(uuid.uuid4()), Severity.BERAT, None, trigger())  # the flow called directly
    with pytest.raises(incidents.RunRefused, match="is not named after a severity"):
        incidents.admit(db, str(uuid.uuid4()), Severity.RINGAN, f"{FLOW}/uji", trigger())
    assert [e.details["deployment"] for e in refusals(db)] == [f"{FLOW}/uji"]
    # A resumed run that still carries its incident is admitted again.
    run = str(uuid.uuid4())
    run_of(db, cat, Severity.SEDANG, run=run)
    incidents.admit(db, run, Severity.SEDANG, f"{FLOW}/sedang", trigger())


# No takeover ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("owner_live", [True, False])
def test_a_lower_severity_run_never_carries_an_incident(db: Database, cat: Catalog, owner_live: bool) -> None:
    """The reported fault: a ringan run named a live luar-biasa incident and took it over."""
    owner = str(uuid.uuid4())
    crisis = run_of(db, cat, Severity.LUAR_BIASA, run=owner)
    before = snapshot(db, crisis.id)
    ringan = str(uuid.uuid4())
    with pytest.raises(incidents.RunRefused, match="is luar-biasa; a ringan run may not carry it .*never goes down"):
        run_of(db, cat, Severity.RINGAN, crisis.id, run=ringan, live=lambda _: owner_live)
    assert snapshot(db, crisis.id) == before and incidents.for_run(db, ringan) is None
    (event,) = refusals(db)
    assert (event.kind, event.actor, event.incident_id, event.flow_run_id) == ("run.refused", "sistem:runbook", crisis.id, ringan)
    expected = {"claimed_incident": crisis.id, "severity": "ringan", "incident_severity": "luar-biasa", "owner_run": owner}
    assert expected.items() <= event.details.items()


@pytest.mark.parametrize("severity", [Severity.SEDANG, Severity.LUAR_BIASA])
def test_a_second_live_run_is_refused_whatever_its_severity(db: Database, cat: Catalog, severity: Severity) -> None:
    """Equal or higher: while another run is live on the incident, only the escalation path moves it."""
    owner = str(uuid.uuid4())
    crisis = run_of(db, cat, Severity.SEDANG, run=owner)
    before = snapshot(db, crisis.id)
    asked: list[str] = []
    with pytest.raises(incidents.RunRefused, match=f"is live under run {owner} .*never two live runs"):
        run_of(db, cat, severity, crisis.id, live=lambda run: asked.append(run) or True)
    assert asked == [owner] and snapshot(db, crisis.id) == before
    assert [e.details["owner_run"] for e in refusals(db)] == [owner]


def test_an_incident_whose_run_ended_may_be_carried_at_its_severity_or_higher(db: Database, cat: Catalog) -> None:
    crisis = run_of(db, cat, Severity.SEDANG)
    again = run_of(db, cat, Severity.SEDANG, crisis.id, live=lambda _: False)
    assert again.id == crisis.id and again.severity is Severity.SEDANG
    higher_run = str(uuid.uuid4())
    higher = run_of(db, cat, Severity.BERAT, crisis.id, run=higher_run, live=lambda _: False)
    assert (higher.severity, higher.flow_run_id) == (Severity.BERAT, higher_run)
    started = [e.details for e in audit.events(db, incident_id=crisis.id) if e.kind == "run.started"]
    assert [d.get("severity_before") for d in started] == [None, None, "sedang"]
    with pytest.raises(incidents.RunRefused, match="never goes down"):
        run_of(db, cat, Severity.SEDANG, crisis.id, live=lambda _: False)
    assert incidents.get(db, crisis.id).severity is Severity.BERAT  # type: ignore[union-attr]


def test_unknown_other_category_or_closed_incidents_are_refused_and_audited(db: Database, cat: Catalog) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(incidents.RunRefused, match="not a opini-publik incident"):
        run_of(db, cat, Severity.RINGAN, missing)
    other = incidents.open_for_run(db, cat.plan("kesehatan", Severity.RINGAN), trigger(), cat.roster, str(uuid.uuid4()), None)
    with pytest.raises(incidents.RunRefused, match="not a opini-publik incident"):
        run_of(db, cat, Severity.RINGAN, other.id, live=lambda _: False)
    crisis = run_of(db, cat, Severity.RINGAN)
    incidents.close(db, crisis.id, by="Kepala Humas", reason="selesai", flow_run_id=crisis.flow_run_id)
    with pytest.raises(incidents.RunRefused, match="was closed"):
        run_of(db, cat, Severity.BERAT, crisis.id, live=lambda _: False)
    assert [(e.incident_id, e.details["claimed_incident"]) for e in refusals(db)] == [
        (None, missing), (other.id, other.id), (crisis.id, crisis.id)
    ]


def test_an_incident_intake_opened_takes_its_first_run_and_no_second(db: Database, cat: Catalog) -> None:
    plan = cat.plan(CATEGORY, Severity.SEDANG)
    fresh = incidents.build(plan, trigger(), cat.roster)
    incidents.open_incident(db, fresh, trigger())
    first = str(uuid.uuid4())
    assert run_of(db, cat, Severity.SEDANG, fresh.id, run=first).flow_run_id == first
    with pytest.raises(incidents.RunRefused, match="never two live runs"):
        run_of(db, cat, Severity.SEDANG, fresh.id)
    with db.write() as session:  # intake learns its run late: it never takes the incident from its owner
        assert incidents.set_run(session, fresh.id, first) is True
        assert incidents.set_run(session, fresh.id, str(uuid.uuid4())) is False
    assert incidents.get(db, fresh.id).flow_run_id == first  # type: ignore[union-attr]


# The escalation path: only up, one live run ---------------------------------------------------------
def test_escalation_goes_up_releases_the_run_and_the_old_run_is_superseded(db: Database, cat: Catalog) -> None:
    old = str(uuid.uuid4())
    crisis = run_of(db, cat, Severity.SEDANG, run=old)
    escalated, released = incidents.escalate(db, crisis.id, Severity.BERAT, alert_id="a-1", reason="uji")
    assert (escalated.severity, escalated.flow_run_id, released) == (Severity.BERAT, None, old)
    # The run escalation starts carries it even while the released run is still being cancelled.
    new = str(uuid.uuid4())
    assert run_of(db, cat, Severity.BERAT, crisis.id, run=new).flow_run_id == new
    # The released run, resumed or retried, no longer carries it.
    with pytest.raises(incidents.RunRefused, match=f"carried by run {new}; this run no longer carries it"):
        incidents.admit(db, old, Severity.SEDANG, f"{FLOW}/sedang", trigger())
    with pytest.raises(incidents.RunRefused, match="no longer carries it"):
        run_of(db, cat, Severity.SEDANG, run=old)
    kinds = [e.kind for e in audit.events(db, incident_id=crisis.id)]
    assert kinds[-4:] == ["incident.escalated", "run.started", "run.refused", "run.refused"]
    assert incidents.get(db, crisis.id).flow_run_id == new  # type: ignore[union-attr]


@pytest.mark.parametrize("severity", [Severity.SEDANG, Severity.RINGAN])
def test_escalation_to_an_equal_or_lower_severity_is_refused(db: Database, cat: Catalog, severity: Severity) -> None:
    crisis = run_of(db, cat, Severity.SEDANG)
    before = snapshot(db, crisis.id)
    with pytest.raises(incidents.RunRefused, match="escalation only goes up"):
        incidents.escalate(db, crisis.id, severity, alert_id="a-2", reason="uji")
    assert snapshot(db, crisis.id) == before
    (event,) = refusals(db)
    assert (event.kind, event.incident_id, event.details["from"], event.details["to"]) == (
        "incident.escalation_refused", crisis.id, "sedang", severity.value)


class FakeRuns:
    """Intake's RunStarter without Prefect: records what it was asked."""

    def __init__(self) -> None:
        self.started: list[tuple[str, Severity, Trigger, str]] = []
        self.cancelled: list[str] = []

    def create(self, start: RunStart) -> str:
        run = str(uuid.uuid4())
        category, severity = start.deployment.removeprefix(FLOW_PREFIX).split("/")
        self.started.append((category, Severity(severity), Trigger.model_validate(start.parameters["trigger"]), run))
        return run

    def cancel(self, flow_run_id: str, message: str) -> None:
        self.cancelled.append(flow_run_id)


def test_intake_escalates_through_the_store_first_then_cancels_and_starts(db: Database, cat: Catalog) -> None:
    runs = FakeRuns()
    intake = Intake(db, cat, load_rules(), runs, get_settings())

    def post(alert: Alert) -> Any:
        (outcome,) = intake.receive([alert], "manual", [json.dumps(alert.model_dump(mode="json"))])
        return outcome

    first = post(Alert(text="Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti"))
    assert first.status == "started"
    worse = post(Alert(text="Dua petugas tewas dalam kerusuhan dan pelarian massal di Lapas Banyuasin; Komisi XIII DPR "
                            "minta penjelasan", reach=2_000_000))
    assert worse.status == "escalated" and Severity(worse.severity).rank > Severity(first.severity).rank
    assert runs.cancelled == [first.flow_run_id]
    (_, severity, escalation_trigger, new_run) = runs.started[-1]
    assert (escalation_trigger.incident_id, severity.value, new_run) == (first.incident_id, worse.severity, worse.flow_run_id)
    incident = incidents.get(db, first.incident_id)
    assert incident is not None and (incident.severity.value, incident.flow_run_id) == (worse.severity, worse.flow_run_id)
    # The escalated run carries it; the cancelled one never again.
    plan = cat.plan(incident.category, incident.severity)
    assert incidents.open_for_run(db, plan, escalation_trigger, cat.roster, new_run, None).flow_run_id == new_run
