"""Gates never expire silently, end to end against the served runbooks and a real Prefect timeout:
the team and the deciders are warned before it, Prefect itself ends the run, the watcher records
the gate as expired and tells them once, `pasopati pending` and `status` say so, and `pasopati
reopen` continues the same incident at the same gate — nothing published or notified twice.

How the timeout is short here: `pasopati serve` reads PASOPATI_INPUT_TIMEOUT_SECONDS when it starts
and every run it serves suspends with it (tasks/gates.py). This test restarts the session's serve
process with a short value — as an operator would configure it — only while its own run reaches
the gate, and restarts it with the session's setting before anything else happens. Tests run one
at a time, so no other test's run suspends meanwhile; runs already waiting keep the deadline they
suspended with. Nothing is faked: the code path, Prefect's pause expiry and the watcher are the
real ones."""

from __future__ import annotations

import getpass
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from pasopati.decisions import rounds
from pasopati.decisions.gates import (
    GATE_FULL,
    GATE_HOLDING,
    GATE_VERIFICATION,
    pause_key,
)
from pasopati.publications.models import PublicationStatus
from pasopati.runs import run_name
from pasopati.watch import watch
from tests.channel_api import ChannelAPI
from tests.driver import (
    approve,
    pasopati,
    pasopati_fails,
    read_run,
    trigger,
    verify_with,
    wait_final,
    wait_for_gate,
)
from tests.notify_receivers import SMTPInbox
from tests.records import audit_events, records

if TYPE_CHECKING:
    from tests.conftest import Served

pytestmark = [pytest.mark.e2e]

SHORT = 45  # seconds: enough to approve the holding statement; the verification then times out
VARIABLE = "PASOPATI_INPUT_TIMEOUT_SECONDS"


@contextmanager
def input_timeout(served: Served, seconds: int) -> Iterator[None]:
    """`pasopati serve` restarted with PASOPATI_INPUT_TIMEOUT_SECONDS=seconds; afterwards (also on
    failure) restarted with the session's setting."""
    before = os.environ.get(VARIABLE)
    served.stop()
    os.environ[VARIABLE] = str(seconds)
    try:
        served.start()
        yield
    finally:
        served.stop()
        if before is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = before
        served.start()


def eventually(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    """The served watcher may be the one recording it, a moment behind this test's pass."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.3)


def notified(incident_id: str, prefix: str) -> list[tuple[str, str]]:
    return sorted((n.key, n.person) for n in records().notifications(incident_id) if n.key.startswith(prefix))


def test_an_expired_gate_is_told_recorded_listed_and_reopened_where_it_stopped(
    served: Served, team_inbox: SMTPInbox, channel_api: ChannelAPI
) -> None:
    store = records()
    with input_timeout(served, SHORT):
        run_id = trigger("keamanan-ketertiban", "sedang", "Lapas Kelas I Cipinang", "Satu warga binaan kabur dari blok C")
        wait_for_gate(run_id, GATE_HOLDING)
        approve(run_id)
        waiting = wait_for_gate(run_id, GATE_VERIFICATION)
        state = waiting.state
        assert state is not None and state.state_details.pause_timeout is not None
        wait = state.state_details.pause_timeout - state.timestamp
        assert timedelta(seconds=SHORT - 5) <= wait <= timedelta(seconds=SHORT + 5), "the setting reached suspend_flow_run"
        incident = store.incident_for_run(str(run_id))

        # Before Prefect's timeout: the team and the deciders are told once when it ends, and how to go on.
        watch()
        watch()
        warned = notified(incident.id, "gerbang-segera-kedaluwarsa:")
        assert warned and {k for k, _ in warned} == {f"gerbang-segera-kedaluwarsa:sedang:{GATE_VERIFICATION}"}
        assert len({p for _, p in warned}) == len(warned), "once per person"
    # The session's setting is back; the waiting run keeps the deadline it suspended with.

    published = {p.id: p for p in store.publications(incident.id)}
    assert published and all(p.status is PublicationStatus.SENT for p in published.values()), "the holding statement went out"
    sent_to_channel = len(channel_api.for_incident(incident.id))
    failed = wait_final(run_id, timeout=SHORT + 60)
    assert failed.state is not None and failed.state.is_failed() and "never resumed" in (failed.state.message or ""), failed.state

    # The watcher (this pass, or the served one's) records it once and tells everyone once.
    watch()
    watch()
    (expired,) = rounds.expired(store.db, flow_run_id=str(run_id))
    assert (expired.gate, expired.pause_key) == (GATE_VERIFICATION, GATE_VERIFICATION)
    (event,) = [e for e in audit_events(incident.id) if e.kind == "gate.expired"]
    assert event.actor == "sistem:pantau-tenggat" and event.details["run"] == str(run_id)
    told = notified(incident.id, "gerbang-kedaluwarsa:")
    assert [p for _, p in told] == [p for _, p in warned], "the same people, once each"
    eventually(lambda: any(f"Gerbang {GATE_VERIFICATION} kedaluwarsa" in m.subject for m in team_inbox.messages), "the mail")
    eventually(lambda: read_run(run_id).state.name == "Kedaluwarsa", "the run marked in Prefect")  # type: ignore[union-attr]

    listed = [line for line in pasopati("pending").splitlines() if str(run_id) in line]
    assert len(listed) == 1 and f"{GATE_VERIFICATION} EXPIRED" in listed[0] and f"pasopati reopen {run_id}" in listed[0], listed
    status = pasopati("status", str(run_id))
    assert f"EXPIRED   {GATE_VERIFICATION}" in status and f"continue  pasopati reopen {run_id}" in status, status
    assert "its gate expired" in pasopati_fails("verify", str(run_id), "--by", "X Y", "--code", "123456", "--source", "SDP",
                                                "--set", "kapan=kemarin")
    notifications_before = sorted((n.key, n.person) for n in store.notifications(incident.id))
    decisions_before = len(store.decisions(incident.id))

    # Reopen: the same incident, the same deployment, waiting at the same gate in a new round.
    output = pasopati("reopen", str(run_id))
    match = re.search(r"/runs/flow-run/([0-9a-f-]{36})", output)
    assert match and "reopened" in output, output
    new_id = UUID(match.group(1))
    wait_for_gate(new_id, pause_key(GATE_VERIFICATION, 2))
    assert store.incident_for_run(str(new_id)).id == incident.id
    assert read_run(new_id).name == run_name(store.incident(incident.id))
    assert read_run(run_id).name.endswith(f"· kedaluwarsa di {GATE_VERIFICATION}")
    (reopened,) = [e for e in audit_events(incident.id) if e.kind == "incident.reopened"]
    assert reopened.actor == f"operator:{getpass.getuser()}" and reopened.details["expired_run"] == str(run_id)
    assert sorted((n.key, n.person) for n in store.notifications(incident.id)) == notifications_before, "nobody notified again"
    assert {p.id: (p.status, p.attempts, p.published_at) for p in store.publications(incident.id)} == {
        p.id: (p.status, p.attempts, p.published_at) for p in published.values()}, "nothing published again"
    assert len(channel_api.for_incident(incident.id)) == sent_to_channel
    assert len(store.decisions(incident.id)) == decisions_before
    assert not [line for line in pasopati("pending").splitlines() if "EXPIRED" in line and str(run_id) in line]
    assert "was continued already" in pasopati_fails("reopen", str(run_id))

    # The gate is decided as usual and the run completes; the holding statement went out once.
    verify_with("kapan=Senin, 24 November 2026 pukul 02.00 WIB")(new_id)
    wait_for_gate(new_id, GATE_FULL)
    approve(new_id)
    final = wait_final(new_id, timeout=120)
    assert final.state is not None and final.state.is_completed() and final.state.name == "Selesai", final.state
    keys = [r["key"] for r in channel_api.for_incident(incident.id)]
    assert len(keys) == len(set(keys)), "each draft × channel posted once"
    pubs = store.publications(incident.id)
    assert len({(p.draft_id, p.channel) for p in pubs}) == len(pubs) and all(p.status is PublicationStatus.SENT for p in pubs)
    assert "ended Selesai" in pasopati_fails("reopen", str(new_id))
