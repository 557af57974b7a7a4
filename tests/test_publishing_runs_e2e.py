"""Publishing that goes wrong, end to end against the served runbooks (issue 11): a holding statement
that reached no channel stops its run at "Tidak terbit" until `pasopati publish retry` sends it and
continues the incident; a run whose processes were killed while a post was in flight is found by
the watcher, its delivery made ambiguous (a webhook cannot be asked), and an operator finishes it
with `publish resolve` and `publish retry`. Asserted at the receivers (the outbox folder, the channel
API): nothing reaches the public twice."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from uuid import UUID

import pytest

from pasopati.decisions import rounds
from pasopati.decisions.gates import GATE_HOLDING, GATE_VERIFICATION
from pasopati.incidents.models import Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import MessageType
from pasopati.publications.models import (
    RUN_NOT_PUBLISHED,
    DeliveryStatus,
    PublicationStatus,
)
from pasopati.publications.service import deliveries
from tests.driver import (
    Script,
    approve,
    approver_for,
    code,
    drive,
    gate_of,
    pasopati,
    pasopati_fails,
    read_run,
    trigger,
    wait_final,
    wait_for_gate,
)
from tests.records import audit_events, records

pytestmark = pytest.mark.e2e


def incident_for(run_id: UUID):  # type: ignore[no-untyped-def]
    incident = records().incident_for_run(str(run_id))
    assert incident is not None, f"no incident recorded for run {run_id}"
    return incident


def outbox_files(data_dir: Path, incident_id: str) -> list[Path]:
    folder = data_dir / "outbox" / incident_id
    return sorted(folder.glob("*.*")) if folder.is_dir() else []


@pytest.mark.usefixtures("served")
def test_a_holding_statement_that_reached_no_channel_stops_the_run_until_publish_retry_sends_it(data_dir: Path) -> None:
    """Sedang: the holding statement goes to two outbox channels (akun-kanwil, akun-upt). The
    incident's outbox folder cannot be made (a file stands where it belongs, as a full or broken
    share would leave it): neither channel takes it, the run stops at "Tidak terbit" naming both
    and never reaches verification; `pending` says to retry. Once the folder can be written, a
    proven `publish retry` sends each message once and a new run of the incident goes on to
    verification and to the end, nothing published twice."""
    plan = catalog().plan("tata-kelola-integritas", "sedang").plan
    (holding_plan,) = [m for m in plan.messages if m.type is MessageType.HOLDING_STATEMENT]
    channels = set(holding_plan.channels)
    assert channels == {"akun-kanwil", "akun-upt"}, "the cell this test needs: a holding statement on outbox channels only"

    run_id = trigger("tata-kelola-integritas", "sedang", "Lapas Banyuasin", "Dugaan pungli layanan kunjungan")
    wait_for_gate(run_id, GATE_HOLDING)
    incident = incident_for(run_id)
    blocker = data_dir / "outbox" / incident.id
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")  # the outbox cannot create the incident's folder: Unavailable, retried, failed
    try:
        approve(run_id)
        run = wait_final(run_id, timeout=120)
        state = run.state
        assert state is not None and state.is_failed() and state.name == RUN_NOT_PUBLISHED, (state.name, state.message)
        assert all(channel in (state.message or "") for channel in channels), state.message
        assert f"pasopati publish retry {run_id}" in (state.message or "")
        store = records()
        holding = store.publications(incident.id)
        assert {p.channel for p in holding} == channels and all(p.status is PublicationStatus.FAILED for p in holding)
        assert all("cannot write" in (p.error or "") for p in holding), [p.error for p in holding]
        stages = store.stages(incident.id)
        assert Stage.HOLDING_APPROVED in stages and not {Stage.FIRST_PUBLICATION, Stage.VERIFIED} & set(stages), stages
        assert not [r for r in rounds.open_rounds(store.db, [incident.id]) if r.gate == GATE_VERIFICATION], \
            "a run whose holding statement reached nobody must not go on to verification"
        listed = [line for line in pasopati("pending").splitlines() if run.name in line]
        assert {c for c in channels if any(c in line for line in listed)} == channels, listed
        assert all(f"→ pasopati publish retry {run_id}" in line for line in listed), listed
        assert "not fully out" in pasopati("status", str(run_id))
        by = approver_for(run_id)
        out = pasopati("publish", "retry", str(run_id), "--by", by, "--code", code(by))  # the folder is still blocked
        assert f"still {RUN_NOT_PUBLISHED}" in out and "reached no channel yet" in out, out
        assert read_run(run_id).state.name == RUN_NOT_PUBLISHED and records().incident(incident.id).flow_run_id == str(run_id)
    finally:
        blocker.unlink(missing_ok=True)

    out = pasopati("publish", "retry", str(run_id), "--by", by, "--code", code(by))
    assert "continued by run" in out and "verification" in out, out
    assert all(p.status is PublicationStatus.SENT for p in records().publications(incident.id))
    assert len(outbox_files(data_dir, incident.id)) == len(channels), "each missing message sent once"

    continued = UUID(out.split("(")[-1].split(")")[0])
    assert continued != run_id
    wait_for_gate(continued, GATE_VERIFICATION, timeout=120)
    assert incident_for(continued).id == incident.id, "the same incident, carried by the new run"
    assert read_run(run_id).state.name == RUN_NOT_PUBLISHED, "the stopped run keeps its truthful state"
    assert len(outbox_files(data_dir, incident.id)) == len(channels), "the new run publishes nothing again"
    final = drive({continued: Script(holding=None)})
    assert final[continued].state.name == "Selesai", final[continued].state.message

    store = records()
    drafts = {d.id: d for d in store.drafts(incident.id)}
    publications = store.publications(incident.id)
    assert all(p.status is PublicationStatus.SENT for p in publications)
    expected = {(m.type, lang, ch) for m in plan.messages for lang in m.languages for ch in m.channels}
    assert {(drafts[p.draft_id].message_type, drafts[p.draft_id].language, p.channel) for p in publications} == expected
    assert len(outbox_files(data_dir, incident.id)) == len(expected), "one file per message and channel: nothing twice"
    sent = [e for e in audit_events(incident.id) if e.kind == "publication.sent"]
    assert len({e.details["publication_id"] for e in sent}) == len(sent) == len(expected)
    assert gate_of(read_run(continued)) is None


def process_tree(root: int) -> list[int]:
    """``root`` and every process descending from it (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, ppid = int(stat.parent.name), int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        tree.append(pid)
        todo += children.get(pid, [])
    return tree


@pytest.mark.both_stores
def test_a_run_killed_mid_publish_is_found_settled_and_finished_without_a_second_post(served, channel_api) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: the serving process, its forkserver and the run's process are killed while the
    webhook holds the run's post (stored, not yet answered). The publication stays ``sending`` and
    the run Running — `pending` lists it; after a restart of the stack the watcher finds it: the
    webhook cannot be asked, so the delivery becomes ambiguous (nothing is sent) and the run is
    marked Crashed saying how to finish. An operator who saw the post resolves it as sent (proven),
    which continues the incident with a new run; `publish retry` has nothing left to send; the new
    run goes to the end, and the receiver holds exactly one copy of each message."""
    from prefect.deployments import run_deployment

    from tests.conftest import WEBHOOK_CHANNEL

    plan = catalog().plan("kesehatan", "berat").plan
    (holding_plan,) = [m for m in plan.messages if m.type is MessageType.HOLDING_STATEMENT]
    assert WEBHOOK_CHANNEL in holding_plan.channels and holding_plan.languages == ["id"]
    others = set(holding_plan.channels) - {WEBHOOK_CHANNEL}

    run_id = trigger("kesehatan", "berat", "Lapas Makassar", "Keracunan makanan di dapur umum")
    wait_for_gate(run_id, GATE_HOLDING)
    incident = incident_for(run_id)
    store = records()
    killed: list[int] = []

    def kill_the_stack(post: dict) -> None:  # type: ignore[type-arg]
        if post["incident_id"] != incident.id or killed:
            return
        # The other channels post alongside (outbox): let them finish, so that only this post is in flight.
        deadline = time.monotonic() + 30
        while {p.channel for p in store.publications(incident.id) if p.status is PublicationStatus.SENT} != others:
            assert time.monotonic() < deadline, "the other channels did not publish"
            time.sleep(0.1)
        victims = process_tree(served.process.pid)  # serve, its forkserver, the run's process (and any other run)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        killed.extend(victims)

    channel_api.after_store = kill_the_stack
    try:
        approve(run_id)
        deadline = time.monotonic() + 90
        while not killed:
            assert time.monotonic() < deadline, "the webhook never received the holding statement"
            time.sleep(0.2)
    finally:
        channel_api.after_store = None
    assert len(killed) >= 3, killed  # serve, forkserver, the run
    assert len(channel_api.for_incident(incident.id)) == 1, "the post arrived; its answer never did"

    (stuck,) = [p for p in store.publications(incident.id) if p.channel == WEBHOOK_CHANNEL]
    assert stuck.status is PublicationStatus.SENDING
    (delivery,) = deliveries(store.db, stuck.id)
    assert delivery.status is DeliveryStatus.SENDING and int((delivery.owner or "").split(":")[1]) in killed
    run = read_run(run_id)
    assert run.state is not None and run.state.is_running(), "nobody is left to say the run ended"
    listed = [line for line in pasopati("pending").splitlines() if run.name in line and WEBHOOK_CHANNEL in line]
    assert len(listed) == 1, "a publication left sending is not invisible to `pending`"

    served.restart()
    # The watcher as served (the scheduled one may come first: the outcome is the same).
    watcher = run_deployment("pantau-tenggat/terjadwal", timeout=120)
    assert watcher.state is not None and watcher.state.is_completed(), watcher.state
    (settled,) = [p for p in store.publications(incident.id) if p.channel == WEBHOOK_CHANNEL]
    assert settled.status is PublicationStatus.AMBIGUOUS, settled
    (delivery,) = deliveries(store.db, settled.id)
    assert delivery.status is DeliveryStatus.AMBIGUOUS and "cannot be asked" in (delivery.error or ""), delivery.error
    assert all(p.status is PublicationStatus.SENT for p in store.publications(incident.id) if p.channel in others)
    crashed = read_run(run_id).state
    assert crashed is not None and crashed.is_crashed(), crashed
    assert f"pasopati publish retry {run_id}" in (crashed.message or ""), crashed.message
    assert len(channel_api.for_incident(incident.id)) == 1, "the watcher sends nothing"
    listed = [line for line in pasopati("pending").splitlines() if run.name in line and WEBHOOK_CHANNEL in line]
    assert len(listed) == 1 and f"→ pasopati publish resolve {run_id}" in listed[0], listed

    # Nothing resends an ambiguous delivery unasked; the operator looks at the channel and says where the post is.
    (post,) = channel_api.for_incident(incident.id)
    where = f"{channel_api.url}/{channel_api.received.index(post) + 1}"
    by = approver_for(run_id)
    out = pasopati("publish", "resolve", str(run_id), "--by", by, "--code", code(by), "--channel", WEBHOOK_CHANNEL,
                   "--sent", where, "--reason", "terlihat di akun resmi")
    assert "continued by run" in out, out
    (resolved,) = [p for p in store.publications(incident.id) if p.channel == WEBHOOK_CHANNEL]
    assert resolved.status is PublicationStatus.SENT and resolved.location == where
    (event,) = [e for e in audit_events(incident.id) if e.kind == "publication.resolved"]
    assert event.actor == by and event.details["sent"] is True and event.details["proof"]
    assert "nothing" in pasopati_fails("publish", "retry", str(run_id), "--by", by, "--code", code(by))
    assert len(channel_api.for_incident(incident.id)) == 1

    continued = UUID(out.split("(")[-1].split(")")[0])
    # Its press release posts on the channel the killed run held a Prefect concurrency slot of: that
    # slot is freed when its lease expires (tasks/publishing.CHANNEL_LEASE_SECONDS: 60 s; Prefect's
    # default 300 s held the run about 4.5 minutes here, the whole run takes about 40 s now).
    final = drive({continued: Script(holding=None)}, timeout=180)
    assert final[continued].state.name == "Selesai", final[continued].state.message
    assert read_run(run_id).state.is_crashed(), "the killed run keeps its truthful state"
    publications = store.publications(incident.id)
    assert all(p.status is PublicationStatus.SENT for p in publications)
    expected = sum(1 for m in plan.messages for _ in m.languages for ch in m.channels if ch == WEBHOOK_CHANNEL)
    webhook = channel_api.for_incident(incident.id)
    assert len(webhook) == expected and len({r["key"] for r in webhook}) == expected, "each message reached the channel once"
