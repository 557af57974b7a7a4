"""No start is lost (issue 12): every run PASOPATI asks Prefect for is stored first, with the act
that needs it, then tried and retried until it starts — visible until then. A trigger for a crisis
already open is matched like an alert: named, and the operator chooses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

from pasopati.alerts import service as alerts
from pasopati.alerts.classify import load_rules
from pasopati.alerts.models import Alert
from pasopati.audit import service as audit
from pasopati.cli import app
from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Trigger
from pasopati.intake.pipeline import Intake
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.runs import deployment_name
from pasopati.settings import get_settings
from pasopati.starts import prefect as run_starts
from pasopati.starts import service as starts
from pasopati.starts.models import RunStart, StartStatus
from pasopati.time import utcnow
from tests.conftest import free_port

ESCAPE = "Tiga narapidana kabur dari Lapas Cipinang dini hari, petugas melakukan pengejaran"
FLOOD = "Banjir merendam blok hunian Lapas Makassar, ratusan warga binaan dievakuasi"
ROUTINE = "Lapas Sukamiskin menggelar lomba kebersihan blok hunian menyambut hari bakti"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


class DeadPrefect(run_starts.PrefectRuns):
    """The real Prefect client, pointed at a port nothing listens on: Prefect is down."""

    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{free_port()}/api"

    def create(self, start: RunStart) -> str:
        with temporary_settings({PREFECT_API_URL: self.url}):
            return super().create(start)


class TakingRuns:
    """A Prefect that takes every run, keyed like Prefect's idempotency key (the end-to-end tier
    runs the same requests against the real server: tests/test_run_starts_e2e.py)."""

    def __init__(self) -> None:
        self.runs: dict[str, str] = {}
        self.cancelled: list[str] = []

    def create(self, start: RunStart) -> str:
        return self.runs.setdefault(start.id, str(uuid.uuid4()))

    def cancel(self, flow_run_id: str, message: str) -> None:
        self.cancelled.append(flow_run_id)


def batch(intake: Intake, *texts: str) -> list:  # type: ignore[type-arg]
    items = [Alert(text=t, source="meltwater") for t in texts]
    return intake.receive(items, "meltwater", [json.dumps(i.model_dump(mode="json")) for i in items])


def test_prefect_down_during_intake_loses_no_alert_and_the_runs_start_once_it_is_back(db: Database, cat: Catalog) -> None:
    """The reported fault: an incident with no run, a 500, the rest of the batch never stored, and a
    re-sent batch attached to the run-less incident — for 72 hours nothing started or showed it."""
    intake = Intake(db, cat, load_rules(), DeadPrefect(), get_settings())
    first = batch(intake, ESCAPE, ROUTINE, FLOOD)
    assert [o.status for o in first] == ["started", "ignored", "started"], [(o.status, o.reasons) for o in first]
    escape, _, flood = first
    for outcome in (escape, flood):
        assert outcome.start_status is StartStatus.PENDING and outcome.flow_run_id is None
        assert any("ConnectError" in r and f"pasopati starts retry {outcome.start_id}" in r for r in outcome.reasons), outcome.reasons
    stored_alerts = alerts.find(db)
    assert len(stored_alerts) == 3  # every item of the batch is stored
    assert all(a.fingerprint for a in stored_alerts)  # once, at receipt: later alerts compare with it, never recompute it
    waiting = starts.unstarted(db)
    assert {s.incident_id for s in waiting} == {escape.incident_id, flood.incident_id}
    assert all(s.attempts == 1 and "Connection refused" in (s.last_error or "") for s in waiting)

    again = batch(intake, ESCAPE, ROUTINE, FLOOD)  # the sender re-sends the whole batch
    assert [o.status for o in again] == ["duplicate", "ignored", "duplicate"]
    assert [o.incident_id for o in again] == [escape.incident_id, None, flood.incident_id]
    assert len(starts.unstarted(db)) == 2  # still the two requests, still shown

    assert run_starts.drain(db, TakingRuns()) == []  # nothing is due before its backoff has passed
    prefect = TakingRuns()
    for start in waiting:
        starts.retry(db, start.id, by="sistem:uji")
    drained = run_starts.drain(db, prefect)
    assert {s.status for s in drained} == {StartStatus.STARTED} and starts.unstarted(db) == []
    for outcome in (escape, flood):
        incident = incidents.get(db, outcome.incident_id)
        (start,) = starts.of_incident(db, outcome.incident_id)
        assert incident is not None and incident.flow_run_id == start.flow_run_id == prefect.runs[start.id]
        alert = alerts.get(db, outcome.alert_id)
        assert alert is not None and alert.flow_run_id == start.flow_run_id  # the alert learns its run
    assert run_starts.drain(db, prefect) == [] and len(prefect.runs) == 2
    kinds = [e.kind for e in audit.events(db) if e.kind.startswith("run_start.")]
    assert kinds.count("run_start.requested") == 2 and kinds.count("run_start.attempt_failed") == 2
    assert kinds.count("run_start.started") == 2


def test_a_failed_attempt_waits_longer_each_time_up_to_the_cap(db: Database, cat: Catalog) -> None:
    start = request(db, cat)
    settings = get_settings()
    now = utcnow()
    waits = []
    for _ in range(12):
        failed = starts.attempt_failed(db, start.id, "ConnectError: refused", permanent=False, now=now)
        assert failed.status is StartStatus.PENDING
        waits.append((failed.next_attempt_at - now).total_seconds())
    assert settings.start_retry_seconds * 0.5 <= waits[0] <= settings.start_retry_seconds
    assert waits[4] > waits[0]  # doubling (jittered between half and whole)
    assert max(waits) <= settings.start_retry_max_seconds and waits[-1] >= settings.start_retry_max_seconds * 0.5


def test_a_start_prefect_refuses_is_failed_shown_with_its_retry_command_and_retried_on_request(db: Database, cat: Catalog) -> None:
    start = request(db, cat)
    failed = starts.attempt_failed(db, start.id, "PrefectHTTPStatusError: 422 Unprocessable Entity", permanent=True)
    assert failed.status is StartStatus.FAILED
    assert starts.due(db, utcnow() + timedelta(days=1)) == []  # never retried on its own
    with stored(db):
        listed = CliRunner().invoke(app, ["starts"])
    assert listed.exit_code == 0, listed.output
    assert f"{start.id}  failed" in listed.output and "422 Unprocessable" in listed.output
    assert f"pasopati starts retry {start.id}" in listed.output
    again = starts.retry(db, start.id, by="sistem:cli")
    assert again.status is StartStatus.PENDING and starts.due(db) == [again]


def test_concurrent_attempts_of_one_request_make_one_run(db: Database, cat: Catalog) -> None:
    start = request(db, cat)
    prefect = TakingRuns()
    results = [run_starts.attempt(db, start, prefect) for _ in range(3)]
    assert len({r.flow_run_id for r in results}) == 1 and len(prefect.runs) == 1
    assert starts.get(db, start.id).attempts == 1  # the later ones found it started


def test_an_escalation_cancels_the_released_run_before_the_higher_one_starts(db: Database, cat: Catalog) -> None:
    prefect = TakingRuns()
    intake = Intake(db, cat, load_rules(), prefect, get_settings())
    (first,) = batch(intake, "Seorang warga binaan Lapas Banyuasin dilaporkan kabur saat kerja bakti")
    (worse,) = batch(intake, "Dua petugas tewas dalam kerusuhan dan pelarian massal di Lapas Banyuasin; Komisi XIII DPR minta penjelasan")
    assert first.status == "started" and worse.status == "escalated", (first.reasons, worse.reasons)
    assert prefect.cancelled == [first.flow_run_id] and worse.flow_run_id not in (None, first.flow_run_id)
    incident = incidents.get(db, first.incident_id)
    assert incident is not None and (incident.severity.value, incident.flow_run_id) == (worse.severity, worse.flow_run_id)


# Operator triggers go through the same matching ------------------------------------------------------
def test_a_second_report_of_an_open_crisis_is_refused_naming_it_and_the_three_choices_work(db: Database, cat: Catalog) -> None:
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    report = Trigger(unit="Lapas Cipinang", summary="Dua napi kabur dari Lapas Cipinang", source="cli")
    first = incidents.build(plan, report, cat.roster)
    since = utcnow() - incidents.correlation_window()
    starts.open_and_request(db, first, report, deployment_name(plan.category, plan.severity), by="sistem:cli", beside_since=since)

    twin = incidents.build(plan, report, cat.roster)
    with pytest.raises(incidents.OpenIncidentExists, match=f"incident {first.id} is open for Lapas Kelas I Cipinang"):
        starts.open_and_request(db, twin, report, deployment_name(plan.category, plan.severity), by="sistem:cli", beside_since=since)
    assert incidents.get(db, twin.id) is None and len(starts.of_incident(db, first.id)) == 1

    kept = incidents.attach_report(db, first.id, report.model_copy(update={"summary": "Satu napi sudah tertangkap"}), by="sistem:cli")
    assert kept.id == first.id
    (event,) = [e for e in audit.events(db) if e.kind == "incident.report_attached"]
    assert event.incident_id == first.id and event.details["summary"] == "Satu napi sudah tertangkap"

    separate = report.model_copy(update={"new_incident_reason": "kejadian lain: perkelahian di blok B, bukan pelarian"})
    other = incidents.build(plan, separate, cat.roster)
    starts.open_and_request(db, other, separate, deployment_name(plan.category, plan.severity), by="sistem:cli", beside_since=since)
    opened = next(e for e in audit.events(db) if e.kind == "incident.opened" and e.incident_id == other.id)
    assert opened.details["opened_beside"] == {"incident_id": first.id, "reason": "kejadian lain: perkelahian di blok B, bukan pelarian"}

    berat = cat.plan("keamanan-ketertiban", Severity.BERAT)
    escalated, start = starts.escalate_and_request(db, first.id, Severity.BERAT, deployment_name(berat.category, berat.severity),
                                                   report, by="sistem:cli", reason="operator: napi bersenjata")
    assert escalated.severity is Severity.BERAT and start.deployment == "krisis-keamanan-ketertiban/berat"


def test_a_prefect_ui_trigger_for_an_open_crisis_is_refused_by_the_run_itself(db: Database, cat: Catalog) -> None:
    plan = cat.plan("kesehatan", Severity.RINGAN)
    report = Trigger(unit="Rutan Salemba", summary="Warga binaan meninggal di klinik", source="ui")
    live = incidents.open_for_run(db, plan, report, cat.roster, str(uuid.uuid4()), None)
    with pytest.raises(incidents.RunRefused, match=f"incident {live.id} is open for Rutan"):
        incidents.open_for_run(db, plan, report, cat.roster, str(uuid.uuid4()), None)
    (refused,) = [e for e in audit.events(db) if e.kind == "run.refused"]
    assert refused.incident_id == live.id
    apart = report.model_copy(update={"new_incident_reason": "korban lain, hari berbeda"})
    assert incidents.open_for_run(db, plan, apart, cat.roster, str(uuid.uuid4()), None).id != live.id


def request(db: Database, cat: Catalog) -> RunStart:
    plan = cat.plan("bencana-alam", Severity.SEDANG)
    report = Trigger(unit="Lapas Nabire", summary="Gempa merusak tembok Lapas Nabire", source="cli",
                     new_incident_reason="uji: krisis tersendiri")
    incident = incidents.build(plan, report, cat.roster)
    return starts.open_and_request(db, incident, report, deployment_name(plan.category, plan.severity), by="sistem:cli")


@contextmanager
def stored(db: Database) -> Iterator[None]:
    """The CLI reads this test's store, as `PASOPATI_DATABASE_URL` points an operator's CLI at it."""
    from pasopati.db import reset_cache

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PASOPATI_DATABASE_URL", db.url)
        get_settings.cache_clear()
        reset_cache()
        try:
            yield
        finally:
            get_settings.cache_clear()
            reset_cache()


class Recovering:
    """Prefect down, then back: a real client at a dead port until ``recover``."""

    def __init__(self) -> None:
        self.now: run_starts.Runs = DeadPrefect()

    def recover(self, runs: run_starts.Runs) -> None:
        self.now = runs

    def create(self, start: RunStart) -> str:
        return self.now.create(start)

    def cancel(self, flow_run_id: str, message: str) -> None:
        self.now.cancel(flow_run_id, message)


def test_the_intake_service_retries_a_waiting_start_by_itself(db: Database, cat: Catalog) -> None:
    import time

    from fastapi.testclient import TestClient

    from pasopati.intake.app import create_app
    from pasopati.intake.auth import Credentials

    prefect = Recovering()
    settings = get_settings().model_copy(update={"start_retry_seconds": 0.2, "start_retry_max_seconds": 0.4})
    intake = Intake(db, cat, load_rules(), prefect, settings)
    creds = Credentials(tokens={"meltwater": "rahasia-uji"}, hmac_keys={})
    with pytest.MonkeyPatch.context() as patch, TestClient(create_app(intake, creds)) as client:
        patch.setattr("pasopati.starts.service.get_settings", lambda: settings)
        answer = client.post("/alerts", json={"text": ESCAPE}, headers={"Authorization": "Bearer rahasia-uji",
                                                                         "X-Pasopati-Source": "meltwater"})
        assert answer.status_code == 202, answer.text
        (outcome,) = answer.json()["outcomes"]
        assert outcome["status"] == "started" and outcome["start_status"] == "pending"
        taking = TakingRuns()
        prefect.recover(taking)
        deadline = time.monotonic() + 20
        while starts.get(db, outcome["start_id"]).status is not StartStatus.STARTED:
            assert time.monotonic() < deadline, starts.get(db, outcome["start_id"])
            time.sleep(0.1)
    incident = incidents.get(db, outcome["incident_id"])
    assert incident is not None and incident.flow_run_id == taking.runs[outcome["start_id"]]


def test_an_escalation_while_the_first_run_waits_to_start_leaves_one_run_for_the_higher_severity(db: Database, cat: Catalog) -> None:
    """Adversarial review: opened at ringan and escalated while Prefect was down, the stale ringan
    request started first and took the incident; the sedang run was then refused and so was the
    ringan one (severity never goes down): an escalated crisis with no run. Now the escalation
    supersedes the request that has not started."""
    ringan = cat.plan("kesehatan", Severity.RINGAN)
    report = Trigger(unit="Lapas Pangkalpinang", summary="Tiga warga binaan diare", source="cli",
                     new_incident_reason="uji: krisis tersendiri")
    incident = incidents.build(ringan, report, cat.roster)
    first = run_starts.attempt(db, starts.open_and_request(db, incident, report, deployment_name("kesehatan", Severity.RINGAN),
                                                           by="sistem:cli"), DeadPrefect())
    assert first.status is StartStatus.PENDING
    _, higher = starts.escalate_and_request(db, incident.id, Severity.SEDANG, deployment_name("kesehatan", Severity.SEDANG), report,
                                            by="sistem:cli", reason="diare massal")
    assert starts.get(db, first.id).status is StartStatus.SUPERSEDED and starts.unstarted(db) == [higher]
    prefect = TakingRuns()
    assert run_starts.attempt(db, starts.get(db, first.id), prefect).status is StartStatus.SUPERSEDED and prefect.runs == {}
    done = run_starts.attempt(db, higher, prefect)
    assert done.status is StartStatus.STARTED
    carried = incidents.get(db, incident.id)
    assert carried is not None and (carried.severity, carried.flow_run_id) == (Severity.SEDANG, done.flow_run_id)


def test_a_request_superseded_while_prefect_creates_its_run_has_that_run_cancelled(db: Database, cat: Catalog) -> None:
    start = request(db, cat)

    class EscalatedMeanwhile(TakingRuns):
        def create(self, start: RunStart) -> str:
            run = super().create(start)
            starts.escalate_and_request(db, start.incident_id, Severity.BERAT, deployment_name("bencana-alam", Severity.BERAT),
                                        Trigger.model_validate(start.parameters["trigger"]), by="sistem:uji", reason="gempa susulan")
            return run

    prefect = EscalatedMeanwhile()
    done = run_starts.attempt(db, start, prefect)
    assert done.status is StartStatus.SUPERSEDED and prefect.cancelled == [prefect.runs[start.id]]
    incident = incidents.get(db, start.incident_id)
    assert incident is not None and incident.flow_run_id is None  # the late run never carries it


def test_a_request_whose_incident_was_closed_is_abandoned_not_started(db: Database, cat: Catalog) -> None:
    start = request(db, cat)
    incidents.close(db, start.incident_id, by="Operator Uji", reason="laporan keliru", flow_run_id=None)
    prefect = TakingRuns()
    done = run_starts.attempt(db, start, prefect)
    assert done.status is StartStatus.ABANDONED and "closed" in (done.last_error or "") and prefect.runs == {}
    assert starts.unstarted(db) == []


def test_attach_and_escalate_take_only_the_same_units_incident_of_that_category(db: Database, cat: Catalog) -> None:
    """Adversarial review: a kesehatan report at Lapas Makassar was attached to a keamanan incident at
    Lapas Cipinang, and an escalation of another unit's incident went through."""
    plan = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    report = Trigger(unit="Lapas Cipinang", summary="Dua napi kabur dari Lapas Cipinang", source="cli")
    cipinang = incidents.build(plan, report, cat.roster)
    starts.open_and_request(db, cipinang, report, deployment_name(plan.category, plan.severity), by="sistem:cli")
    runner = CliRunner()
    with stored(db):
        other = ["trigger", "--category", "kesehatan", "--severity", "ringan", "--unit", "Lapas Makassar", "--summary", "Diare"]
        attached = runner.invoke(app, [*other, "--attach", cipinang.id])
        raised = runner.invoke(app, ["trigger", "--category", "keamanan-ketertiban", "--severity", "berat", "--unit",
                                     "Lapas Makassar", "--summary", "Napi bersenjata", "--escalate", cipinang.id])
    for result in (attached, raised):
        assert result.exit_code == 2, result.output
        assert f"incident {cipinang.id} is Lapas Kelas I Cipinang · keamanan-ketertiban" in " ".join(result.output.split())
    assert not [e for e in audit.events(db) if e.kind in {"incident.report_attached", "incident.escalated"}]
    unchanged = incidents.get(db, cipinang.id)
    assert unchanged is not None and unchanged.severity is Severity.SEDANG


def test_with_two_crises_open_at_one_unit_an_alert_joins_the_one_it_is_about(db: Database, cat: Catalog) -> None:
    """New-user trial: an escape alert escalated the separate fight incident the operator had opened
    at the same unit (`--new --reason`), because it was the most recently active."""
    intake = Intake(db, cat, load_rules(), TakingRuns(), get_settings())
    plan = cat.plan("keamanan-ketertiban", Severity.BERAT)
    since = utcnow() - incidents.correlation_window()
    escape_report = Trigger(unit="Lapas Cipinang", summary="Tiga warga binaan kabur dari blok B", source="cli")
    escape = incidents.build(plan, escape_report, cat.roster)
    starts.open_and_request(db, escape, escape_report, deployment_name(plan.category, plan.severity), by="sistem:cli",
                            beside_since=since)
    fight_report = Trigger(unit="Lapas Cipinang", summary="Perkelahian antar WBP di blok D", source="cli",
                           new_incident_reason="peristiwa berbeda: perkelahian, bukan pelarian")
    sedang = cat.plan("keamanan-ketertiban", Severity.SEDANG)
    fight = incidents.build(sedang, fight_report, cat.roster)
    starts.open_and_request(db, fight, fight_report, deployment_name(sedang.category, sedang.severity), by="sistem:cli",
                            beside_since=since)
    (outcome,) = batch(intake, "Tiga narapidana kabur dari Lapas Cipinang dini hari tadi")
    assert outcome.incident_id == escape.id, (outcome.status, outcome.reasons)
    untouched = incidents.get(db, fight.id)
    assert untouched is not None and untouched.severity is Severity.SEDANG


def test_an_operators_trigger_while_prefect_is_down_opens_the_incident_and_keeps_its_run_requested(db: Database, cat: Catalog) -> None:
    """The plain `pasopati trigger` opened nothing and failed when Prefect was down; now it is one act
    (incident and request), like an alert, and the request waits visibly until a retry starts it."""
    args = ["trigger", "--category", "bencana-alam", "--severity", "sedang", "--unit", "Lapas Makassar",
            "--summary", "Banjir merendam blok hunian Lapas Makassar"]
    with stored(db), temporary_settings({PREFECT_API_URL: DeadPrefect().url}):
        result = CliRunner().invoke(app, args)
        listed = CliRunner().invoke(app, ["starts"])
    assert result.exit_code == 3, result.output
    (start,) = starts.unstarted(db)
    assert f"incident {start.incident_id} opened; its run did not start yet" in result.output
    assert f"pasopati starts retry {start.id}" in result.output and start.id in listed.output
    incident = incidents.get(db, start.incident_id)
    assert incident is not None and incident.flow_run_id is None and incident.unit_id == "lapas-makassar"
    assert {"upt:Lapas Kelas I Makassar", "kategori:bencana-alam", "tingkat:sedang", "sumber:cli"} <= set(start.tags)
    assert start.parameters["trigger"]["incident_id"] == incident.id  # the run carries this incident, never opens another

    prefect = TakingRuns()
    done = run_starts.attempt(db, starts.retry(db, start.id, by="sistem:uji"), prefect)  # Prefect is back
    assert done.status is StartStatus.STARTED and incidents.get(db, incident.id).flow_run_id == done.flow_run_id  # type: ignore[union-attr]
    with stored(db), temporary_settings({PREFECT_API_URL: DeadPrefect().url}):
        again = CliRunner().invoke(app, args)  # the same crisis reported again is matched, not opened twice
    assert again.exit_code == 2 and f"--attach {incident.id}" in again.output, again.output
