"""Run integrity end to end, on the session's Prefect server with the deployments served: runs that
contradict their deployment or would take over a live incident end refused, audited, and the live
run is untouched; the escalation path still hands an incident upward."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from pasopati.alerts.classify import load_rules
from pasopati.alerts.models import Alert
from pasopati.audit import service as audit
from pasopati.db import get_database
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Trigger
from pasopati.intake.pipeline import Intake
from pasopati.plan.catalog import catalog
from pasopati.settings import get_settings
from pasopati.starts.prefect import PrefectRuns
from tests.driver import read_run, trigger, wait_final, wait_for_gate

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("served")]


def start(deployment: str, parameters: dict[str, Any]) -> FlowRun:
    """`prefect deployment run DEPLOYMENT --param …` through the API; returns the final run."""
    run = run_deployment(deployment, parameters=parameters, timeout=180)
    assert run.state is not None and run.state.is_final(), f"{run.name} not final: {run.state}"
    return run


def refused_events(flow_run_id: UUID) -> list[Any]:
    return [e for e in audit.events(get_database()) if e.kind == "run.refused" and e.flow_run_id == str(flow_run_id)]


def stop(run_id: UUID) -> None:
    PrefectRuns().cancel(str(run_id), "test over")


def test_a_severity_parameter_contradicting_its_deployment_ends_refused_without_an_incident() -> None:
    summary = "Video sel mewah viral, uji parameter tingkat"
    request = Trigger(unit="Rutan Salemba", summary=summary, source="ui")
    run = start("krisis-opini-publik/ringan", {"severity": "luar-biasa", "trigger": request.model_dump(mode="json")})
    assert run.state.is_failed(), run.state  # type: ignore[union-attr]
    assert "parameter 'severity' is 'luar-biasa'" in (run.state.message or "")  # type: ignore[union-attr]
    assert "krisis-opini-publik/ringan runs 'ringan'" in (run.state.message or "")  # type: ignore[union-attr]
    db = get_database()
    assert incidents.for_run(db, str(run.id)) is None
    assert not [s for s in incidents.search(db, category="opini-publik") if s.incident.summary == summary]
    (event,) = refused_events(run.id)
    assert (event.actor, event.incident_id, event.details["claimed"], event.details["deployment_severity"]) == (
        "sistem:runbook", None, "luar-biasa", "ringan")
    assert not any(tag.startswith("tingkat:luar-biasa") for tag in read_run(run.id).tags)


def test_a_run_pointed_at_a_live_incident_is_refused_and_the_live_run_keeps_waiting() -> None:
    """The reported fault: a ringan run started with a live luar-biasa incident's id took it over."""
    live = trigger("opini-publik", "luar-biasa", "Rutan Pondok Bambu", "Video sel mewah viral di media sosial nasional")
    try:
        wait_for_gate(live, GATE_HOLDING, timeout=120)
        db = get_database()
        incident = incidents.for_run(db, str(live))
        assert incident is not None and incident.severity.value == "luar-biasa"
        takeover = Trigger(unit="Rutan Pondok Bambu", summary="Video sel mewah viral", source="ui", incident_id=incident.id)

        lower = start("krisis-opini-publik/ringan", {"trigger": takeover.model_dump(mode="json")})
        assert lower.state.is_failed() and "never goes down" in (lower.state.message or ""), lower.state  # type: ignore[union-attr]
        second = start("krisis-opini-publik/luar-biasa", {"trigger": takeover.model_dump(mode="json")})
        assert second.state.is_failed() and f"is live under run {live}" in (second.state.message or ""), second.state  # type: ignore[union-attr]

        for refused in (lower, second):
            (event,) = refused_events(refused.id)
            assert (event.actor, event.incident_id) == ("sistem:runbook", incident.id)
            assert incidents.for_run(db, str(refused.id)) is None
        after = incidents.get(db, incident.id)
        assert after is not None and (after.severity.value, after.flow_run_id) == ("luar-biasa", str(live))
        assert incidents.runs_of(db, incident.id) == [str(live)]
        assert wait_for_gate(live, GATE_HOLDING, timeout=10).state.is_paused()  # type: ignore[union-attr]
    finally:
        stop(live)


def test_the_escalation_path_still_hands_the_incident_upward() -> None:
    intake = Intake(get_database(), catalog(), load_rules(), PrefectRuns(), get_settings())

    def post(text: str, **fields: Any) -> Any:
        alert = Alert(text=text, **fields)
        (outcome,) = intake.receive([alert], "manual", [alert.model_dump_json()])
        return outcome

    first = post("Seorang warga binaan Lapas Sukamiskin dilaporkan kabur saat kerja bakti")
    assert first.status == "started", first
    worse = post("Dua petugas tewas dalam kerusuhan dan pelarian massal di Lapas Sukamiskin; Komisi XIII DPR minta penjelasan",
                 reach=2_000_000)
    assert worse.status == "escalated" and worse.incident_id == first.incident_id, worse
    try:
        wait_for_gate(UUID(worse.flow_run_id), GATE_HOLDING, timeout=120)  # carried, not refused
        incident = incidents.get(get_database(), first.incident_id)
        assert incident is not None and (incident.severity.value, incident.flow_run_id) == (worse.severity, worse.flow_run_id)
        old = wait_final(UUID(first.flow_run_id), timeout=60)
        assert old.state is not None and old.state.is_final() and not old.state.is_completed()
        events = audit.events(get_database(), incident_id=first.incident_id)
        assert [e.details["to"] for e in events if e.kind == "incident.escalated"] == [worse.severity]
        # The cancelled run, had it already started, was refused the escalated incident; the new one was not.
        assert {e.flow_run_id for e in events if e.kind == "run.refused"} <= {first.flow_run_id}
    finally:
        stop(UUID(worse.flow_run_id))
