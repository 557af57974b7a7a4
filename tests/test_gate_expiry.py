"""Gates never expire silently — the rules, on SQLite and PostgreSQL, without a Prefect server: a
round Prefect's pause timeout ended is recorded as expired once (one audit event, one notification
per person), `pending` lists it from the store with the command that continues it, the warning
before the timeout goes out once per round, and a reopen is refused where it has nothing to
continue. The Prefect side (a real timeout, the watcher, `pasopati reopen`): test_gate_expiry_e2e.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Failed, Running, State

from pasopati import runs, watch
from pasopati.audit import service as audit
from pasopati.db import Database
from pasopati.decisions import rounds, steps
from pasopati.decisions.gates import GATE_HOLDING, GATE_VERIFICATION, pause_key
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Trigger
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.runs import Pending
from pasopati.team import service as team_service
from pasopati.team.delivery import Delivery
from pasopati.time import utcnow
from tests.test_store import UNIT, authority, opened

TIMED_OUT = "The flow was paused and never resumed."


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Deliveries (contact, title) instead of apprise: the rules here are about who is told how often."""
    out: list[tuple[str, str]] = []

    def deliver(messages: list[tuple[str, str, str]]) -> list[Delivery]:
        out.extend((contact, title) for contact, title, _ in messages)
        return [Delivery(contact=contact, ok=True) for contact, _, _ in messages]

    monkeypatch.setattr(team_service, "send_many", deliver)
    return out


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Prefect runs the watcher marks "Kedaluwarsa" (no server here)."""
    out: list[str] = []
    monkeypatch.setattr(runs, "mark_expired", lambda flow_run, gate, key: out.append(str(flow_run.id)))
    return out


def crisis(db: Database, cat: Catalog, severity: Severity = Severity.SEDANG) -> Incident:
    """An incident carried by its first run, its team assembled (as the runbook does)."""
    incident = opened(db, cat, "keamanan-ketertiban", severity)
    team_service.assemble(db, incident, cat.plan(incident.category, incident.severity), cat)
    return incident


def wait_at(db: Database, incident: Incident, gate: str) -> rounds.Round:
    """The round the run opens before it suspends at ``gate``."""
    key = steps.open_step(db, incident, gate).key
    assert key is not None
    (row,) = [r for r in rounds.open_rounds(db, [incident.id]) if r.pause_key == key]
    return row


def run_of(incident: Incident, state: State[Any], name: str = "keamanan-ketertiban · sedang") -> FlowRun:
    return FlowRun(id=uuid.UUID(incident.flow_run_id), name=name, flow_id=uuid.uuid4(), state=state)


def expired_events(db: Database, incident: Incident) -> list[Any]:
    return [e for e in audit.events(db, incident_id=incident.id) if e.kind == "gate.expired"]


def test_a_round_expires_once_and_the_gate_waits_again_in_a_new_round(db: Database, cat: Catalog) -> None:
    incident = crisis(db, cat)
    waited = wait_at(db, incident, GATE_VERIFICATION)
    when = utcnow()
    args: dict[str, Any] = {"when": when, "actor": watch.WATCHER, "flow_run_id": incident.flow_run_id}

    assert rounds.expire(db, incident, waited.pause_key, **args)
    assert not rounds.expire(db, incident, waited.pause_key, **args), "a second watcher pass records nothing"
    (event,) = expired_events(db, incident)
    assert event.actor == "sistem:pantau-tenggat"
    assert event.details["pause_key"] == GATE_VERIFICATION and event.details["run"] == incident.flow_run_id
    (row,) = rounds.expired(db, flow_run_id=incident.flow_run_id)
    assert (row.outcome, row.closed_at) == (rounds.EXPIRED, when)
    assert rounds.open_rounds(db, [incident.id]) == []
    # The next wait at the gate (the reopened run's) is a new round at a fresh pause key.
    assert steps.open_step(db, incident, GATE_VERIFICATION).key == pause_key(GATE_VERIFICATION, 2)
    # A round that was decided, or never existed, is not "expired" afterwards.
    assert not rounds.expire(db, incident, "persetujuan-awal-ke-9", **args)
    assert len(expired_events(db, incident)) == 1


def test_the_watcher_records_only_runs_prefect_timed_out(db: Database, cat: Catalog, sent: list, marked: list,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    timed_out, completed, running, later, suspended = (crisis(db, cat) for _ in range(5))
    for incident in (timed_out, completed, running, suspended):
        wait_at(db, incident, GATE_VERIFICATION)
    ended_before = utcnow()
    wait_at(db, later, GATE_VERIFICATION)  # opened after its run ended: not a wait that run timed out at
    states = {
        timed_out.flow_run_id: Failed(message=TIMED_OUT),
        completed.flow_run_id: Completed(name="Selesai"),
        running.flow_run_id: Running(),
        later.flow_run_id: Failed(message=TIMED_OUT, timestamp=ended_before - timedelta(seconds=1)),
    }
    asked: list[list[str]] = []

    def read_runs(ids: list[str]) -> dict[str, FlowRun]:
        asked.append(ids)
        return {i: FlowRun(id=uuid.UUID(i), name=i, flow_id=uuid.uuid4(), state=states[i]) for i in ids}

    monkeypatch.setattr(runs, "read_runs", read_runs)
    open_now = incidents.open_incidents(db)

    recorded = watch.expire_gates(db, cat, open_now, {str(suspended.flow_run_id)}, utcnow(), None)

    assert recorded == [f"{timed_out.id} {GATE_VERIFICATION}"]
    assert len(asked) == 1 and suspended.flow_run_id not in asked[0], "one Prefect call; a suspended run costs none"
    assert marked == [timed_out.flow_run_id]
    assert [len(expired_events(db, i)) for i in (timed_out, completed, running, later, suspended)] == [1, 0, 0, 0, 0]
    assert watch.expire_gates(db, cat, incidents.open_incidents(db), {str(suspended.flow_run_id)}, utcnow(), None) == []


def test_an_expired_gate_is_told_once_and_pending_lists_it_until_reopened(db: Database, cat: Catalog, sent: list, marked: list) -> None:
    incident = crisis(db, cat)
    waited = wait_at(db, incident, GATE_HOLDING)
    flow_run = run_of(incident, Failed(message=TIMED_OUT))

    assert watch.record_expiry(db, cat, incident, waited, flow_run, utcnow(), None)
    assert not watch.record_expiry(db, cat, incident, waited, flow_run, utcnow(), None)

    told = [n for n in team_service.notifications(db, incident.id) if n.key.startswith("gerbang-kedaluwarsa:")]
    team = team_service.team(db, incident.id, incident.severity)
    assert team is not None
    members = {m.name for m in team.members if m.name and not m.informed_only}
    assert sorted(n.person for n in told) == sorted(members | set(authority(cat, incident))), "the team and the deciders, once each"
    assert {n.key for n in told} == {f"gerbang-kedaluwarsa:sedang:{GATE_HOLDING}"}
    assert len(sent) == len(told) and all("kedaluwarsa" in title for _, title in sent)

    (item,) = runs.expired_gates(db)
    assert (item.flow_run_id, item.gate, item.key) == (incident.flow_run_id, GATE_HOLDING, GATE_HOLDING)
    assert item.expired_at is not None and f"pasopati reopen {incident.flow_run_id}" in item.waiting_for
    assert runs.expired_round(db, flow_run, incident).pause_key == GATE_HOLDING

    # The operator reopens: recorded, then a new run of the same severity carries the incident.
    incidents.reopen(db, incident.id, str(incident.flow_run_id), gate=GATE_HOLDING, pause_key=GATE_HOLDING, by="operator:uji")
    (event,) = [e for e in audit.events(db, incident_id=incident.id) if e.kind == "incident.reopened"]
    assert (event.actor, event.details["expired_run"]) == ("operator:uji", incident.flow_run_id)
    plan = cat.plan(incident.category, incident.severity)
    trigger = Trigger(unit=UNIT, summary=incident.summary, source="cli", incident_id=incident.id)
    new_run = str(uuid.uuid4())
    carried = incidents.open_for_run(db, plan, trigger, cat.roster, new_run, None, is_live=lambda run: False)
    assert carried.flow_run_id == new_run
    assert runs.expired_gates(db) == [], "continued: no longer waiting for an operator"
    with pytest.raises(incidents.IncidentConflict, match=f"carried by run {new_run}"):
        incidents.reopen(db, incident.id, str(incident.flow_run_id), gate=GATE_HOLDING, pause_key=GATE_HOLDING, by="operator:uji")
    # Nobody is told again: the old round's key stays taken; the new round waits at a new key.
    assert len([n for n in team_service.notifications(db, incident.id) if n.key.startswith("gerbang-kedaluwarsa:")]) == len(told)


def test_the_warning_goes_out_once_in_the_last_stretch_of_the_wait(db: Database, cat: Catalog, sent: list) -> None:
    week, interval = timedelta(days=7), timedelta(seconds=60)
    assert watch.expiry_margin(week, interval) == timedelta(hours=1)
    assert watch.expiry_margin(timedelta(hours=5), interval) == timedelta(minutes=30)
    assert watch.expiry_margin(timedelta(minutes=5), interval) == interval, "never shorter than one watcher pass"

    incident = crisis(db, cat)
    waited = wait_at(db, incident, GATE_VERIFICATION)
    since = waited.opened_at
    item = Pending(run="r", flow_run_id=str(incident.flow_run_id), gate=GATE_VERIFICATION, key=waited.pause_key,
                   category=incident.category, severity=incident.severity.value, unit=incident.unit_name,
                   waiting_for="verifier (TKK)", since=since, expires_at=since + week)

    assert not watch.warn_expiring(db, cat, incident, item, since + timedelta(days=6, hours=22), None)
    assert watch.warn_expiring(db, cat, incident, item, since + week - timedelta(minutes=30), None)
    assert not watch.warn_expiring(db, cat, incident, item, since + week - timedelta(minutes=5), None), "once per round"
    assert not watch.warn_expiring(db, cat, incident, item, since + week + timedelta(seconds=1), None)
    told = [n for n in team_service.notifications(db, incident.id) if n.key.startswith("gerbang-segera-kedaluwarsa:")]
    assert {n.key for n in told} == {f"gerbang-segera-kedaluwarsa:sedang:{waited.pause_key}"}
    assert len({n.person for n in told}) == len(told) == len(sent)
    # The next round at the gate (after a refusal or a reopen) is warned about again, once.
    later = item.model_copy(update={"key": pause_key(GATE_VERIFICATION, 2)})
    assert watch.warn_expiring(db, cat, incident, later, since + week - timedelta(minutes=30), None)


@pytest.mark.parametrize(
    ("state", "says"),
    [
        (Running(), "is not over (Running): only a run whose gate expired can be reopened"),
        (Completed(name="Selesai", message="Selesai — 3 publikasi terkirim"), "ended Selesai (Selesai — 3 publikasi terkirim)"),
        (Completed(name="Ditolak", message="Ditolak — pernyataan awal ditolak"), "ended Ditolak"),
        (Failed(message="2 publication(s) failed"), "no gate of it expired: retry it from the Prefect UI instead"),
        (Failed(message=TIMED_OUT), "the watcher has not recorded it yet"),
    ],
)
def test_reopen_refuses_a_run_with_nothing_to_continue_in_one_line(db: Database, cat: Catalog, state: State[Any], says: str) -> None:
    incident = crisis(db, cat)
    wait_at(db, incident, GATE_HOLDING)
    with pytest.raises(runs.RunLookupError) as refused:
        runs.expired_round(db, run_of(incident, state), incident)
    assert says in str(refused.value) and "\n" not in str(refused.value)


def test_a_closed_incident_is_not_reopened(db: Database, cat: Catalog, sent: list, marked: list) -> None:
    incident = crisis(db, cat)
    waited = wait_at(db, incident, GATE_HOLDING)
    assert watch.record_expiry(db, cat, incident, waited, run_of(incident, Failed(message=TIMED_OUT)), utcnow(), None)
    incidents.close(db, incident.id, by="Operator Uji", reason="selesai", flow_run_id=None)
    assert runs.expired_gates(db) == []
    with pytest.raises(incidents.IncidentConflict, match="was closed"):
        incidents.reopen(db, incident.id, str(incident.flow_run_id), gate=GATE_HOLDING, pause_key=GATE_HOLDING, by="operator:uji")
    assert not [e for e in audit.events(db, incident_id=incident.id) if e.kind == "incident.reopened"]


def test_times_in_the_store_are_the_moment_prefect_ended_the_run(db: Database, cat: Catalog, sent: list, marked: list) -> None:
    incident = crisis(db, cat)
    waited = wait_at(db, incident, GATE_HOLDING)
    ended = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert watch.record_expiry(db, cat, incident, waited, run_of(incident, Failed(message=TIMED_OUT, timestamp=ended)),
                               ended + timedelta(minutes=1), None)
    (row,) = rounds.expired(db, incident_ids=[incident.id])
    assert row.closed_at == ended
