"""Publishing that goes wrong, end to end against the served runbooks (issue 11): a holding statement
that reached no channel stops its run at "Tidak terbit" until `pasopati publish retry` sends it and
continues the incident; a run whose processes were killed while a post was in flight is found by
the watcher, its delivery made ambiguous (a webhook cannot be asked), and an operator finishes it
with `publish resolve` and `publish retry`. Asserted at the receivers (the outbox folder, the channel
API): nothing reaches the public twice."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from pasopati.decisions import rounds
from pasopati.decisions.gates import GATE_HOLDING, GATE_VERIFICATION
from pasopati.incidents.models import Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import MessageType
from pasopati.publications.models import RUN_NOT_PUBLISHED, PublicationStatus
from tests.driver import (
    Script,
    approve,
    approver_for,
    code,
    drive,
    gate_of,
    pasopati,
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
    finally:
        blocker.unlink(missing_ok=True)

    by = approver_for(run_id)
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
