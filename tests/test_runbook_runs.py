"""End to end, on a real Prefect server with the deployments served by ``pasopati serve``: each
runbook suspends at its gates (holding no process) and operators move it on through run input."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client

from pasopati.decisions.gates import GATE_HOLDING
from pasopati.incidents.models import Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import MessageType, Severity
from pasopati.publications.models import PublicationStatus
from tests.channel_api import ChannelAPI
from tests.conftest import WEBHOOK_CHANNEL
from tests.driver import (
    Script,
    approver_for,
    code,
    decide_fails,
    drive,
    gate_of,
    pasopati,
    pasopati_fails,
    read_run,
    reject,
    trigger,
    verify_with,
)
from tests.driver import wait_for_gate as drive_until_gate
from tests.records import audit_events, records

UNITS = ["Lapas Cipinang", "Rutan Salemba", "Rutan Pondok Bambu", "Lapas Banyuasin", "Lapas Pangkalpinang", "Lapas Nabire"]
SUMMARIES = {
    "keamanan-ketertiban": "Tiga warga binaan kabur dari blok hunian",
    "kesehatan": "Seorang warga binaan meninggal dunia di klinik",
    "opini-publik": "Video sel mewah viral di media sosial",
    "tata-kelola-integritas": "Dugaan pungutan liar pada layanan kunjungan",
    "bencana-alam": "Gempa mengguncang dan merusak tembok pembatas",
}


def incident_for(run_id: UUID):  # type: ignore[no-untyped-def]
    incident = records().incident_for_run(str(run_id))
    assert incident is not None, f"no incident recorded for run {run_id}"
    return incident


def run_artifacts(run_id: UUID) -> list:  # type: ignore[type-arg]
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))


def outbox_files(data_dir: Path, incident_id: str) -> list[Path]:
    return sorted((data_dir / "outbox" / incident_id).glob("*.*"))  # .txt, and .html for the website


@pytest.mark.both_stores
@pytest.mark.usefixtures("served")
def test_every_category_and_severity_runs_end_to_end(data_dir: Path, channel_api: ChannelAPI) -> None:
    """Every runbook cell, end to end. The suite runs the e2e tier on a SQLite and on a PostgreSQL
    store; the 20 cells are split between the two (a checkerboard: each tier runs every category
    and every severity), so each cell runs once per suite and the suite stays short."""
    all_cells = [(c, s) for c in catalog().categories for s in Severity]
    assert len(all_cells) == 20
    half = 1 if os.environ.get("PASOPATI_TEST_STORE") == "postgresql" else 0
    cells = [(c, s) for i, (c, s) in enumerate(all_cells) if (i // len(Severity) + i % len(Severity)) % 2 == half]
    assert {c for c, _ in cells} == set(catalog().categories) and {s for _, s in cells} == set(Severity)
    runs = {
        trigger(category, severity.value, UNITS[i % len(UNITS)], SUMMARIES[category], "kapan=24 November 2026 dini hari"): Script(
            verification=verify_with("tindakan=Koordinasi dengan aparat setempat sedang berlangsung")
        )
        for i, (category, severity) in enumerate(cells)
    }
    final = drive(runs, timeout=360)

    store = records()
    for (category, severity), run_id in zip(cells, runs):
        run = final[run_id]
        assert run.state.is_completed(), f"{category}/{severity.value}: {run.state.name} {run.state.message}"
        incident = incident_for(run_id)
        assert (incident.category, incident.severity) == (category, severity)
        assert {f"kategori:{category}", f"tingkat:{severity.value}", f"upt:{incident.unit_name}", f"kanwil:{incident.kanwil_name}"} <= set(run.tags)

        # Every stage was reached, in order.
        stages = store.stages(incident.id)
        assert list(stages) and set(stages) == set(Stage), f"{category}/{severity.value}: {sorted(stages)}"
        assert sorted(stages, key=lambda s: stages[s]) == list(Stage)

        # One publication per (draft, channel), all sent, each channel as the runbook says.
        plan = catalog().plan(category, severity).plan
        expected = {(m.type, lang, ch) for m in plan.messages for lang in m.languages for ch in m.channels}
        drafts = {d.id: d for d in store.drafts(incident.id)}
        publications = store.publications(incident.id)
        assert {(drafts[p.draft_id].message_type, drafts[p.draft_id].language, p.channel) for p in publications} == expected
        assert all(p.status is PublicationStatus.SENT for p in publications)
        webhook = channel_api.for_incident(incident.id)
        assert len(webhook) == sum(1 for _, _, ch in expected if ch == WEBHOOK_CHANNEL)
        assert len({r["key"] for r in webhook}) == len(webhook), "a message reached the channel API twice"
        assert len(outbox_files(data_dir, incident.id)) == sum(1 for _, _, ch in expected if ch != WEBHOOK_CHANNEL)

        # The trigger's summary is a claim: the holding statement says a report is being verified, in prose.
        holding = next(d for d in drafts.values() if d.message_type is MessageType.HOLDING_STATEMENT and d.language == "id")
        assert SUMMARIES[category] not in holding.body and "sedang kami verifikasi" in holding.body
        assert "belum dapat dikonfirmasi" not in holding.body and "Kami masih memastikan" in holding.body
        full = {MessageType.PRESS_RELEASE, MessageType.CLARIFICATION}  # opini-publik answers a rumour with a clarification
        release = next(d for d in drafts.values() if d.message_type in full and d.language == "id")
        assert "Koordinasi dengan aparat setempat sedang berlangsung" in release.body

        # The UI shows the stage in a progress artifact, the evaluation as table + markdown, and the
        # audit timeline; the run is named readably and its final state says what happened.
        artifacts = run_artifacts(run_id)
        progress = next(a for a in artifacts if a.type == "progress")
        markdown = [a.data for a in artifacts if a.type == "markdown"]
        assert progress.data == 100 and {"progress", "table", "markdown"} <= {a.type for a in artifacts}
        assert any("Evaluasi pascakrisis" in m for m in markdown) and any(f"Lini masa audit: {SUMMARIES[category]}" in m for m in markdown)
        assert run.name.startswith(f"{category} · {severity.value} · {incident.unit_name} · ")
        assert run.state.name == "Selesai" and "menit sejak terdeteksi" in (run.state.message or "")

        evaluation = store.evaluation(incident.id)
        assert evaluation is not None and evaluation.outcome == "published"
        assert evaluation.publications_sent == len(expected) and evaluation.publications_failed == 0
        assert [t.stage for t in evaluation.timings] == list(Stage)


@pytest.mark.usefixtures("served")
def test_rejected_holding_statement_publishes_nothing(data_dir: Path, channel_api: ChannelAPI) -> None:
    run_id = trigger("keamanan-ketertiban", "berat", "Lapas Cipinang", "Kerusuhan di blok hunian")
    final = drive({run_id: Script(holding=reject, verification=None, full=None)})
    state = final[run_id].state
    assert state.is_completed() and state.name == "Ditolak" and "pernyataan awal ditolak" in (state.message or ""), "never a plain green Completed"
    incident = incident_for(run_id)
    store = records()
    assert store.publications(incident.id) == []
    assert outbox_files(data_dir, incident.id) == [] and channel_api.for_incident(incident.id) == []
    decisions = store.decisions(incident.id)
    assert [(d.gate, d.verdict.value, d.reason) for d in decisions] == [(GATE_HOLDING, "reject", "belum layak terbit")]
    assert store.evaluation(incident.id).outcome == "rejected"  # type: ignore[union-attr]


@pytest.mark.usefixtures("served")
def test_rejected_full_statement_publishes_only_the_approved_holding(data_dir: Path, channel_api: ChannelAPI) -> None:
    run_id = trigger("kesehatan", "sedang", "Rutan Salemba", "Keracunan makanan massal")
    final = drive({run_id: Script(full=reject)})
    assert final[run_id].state.name == "Ditolak" and "hanya pernyataan awal yang terbit" in (final[run_id].state.message or "")
    incident = incident_for(run_id)
    drafts = {d.id: d for d in records().drafts(incident.id)}
    published_types = {drafts[p.draft_id].message_type for p in records().publications(incident.id)}
    assert published_types == {MessageType.HOLDING_STATEMENT}


@pytest.mark.usefixtures("served")
def test_unverified_items_never_invented(data_dir: Path) -> None:
    """Nothing verified beyond the trigger: the texts state no fact, name the open questions, and
    never turn the reporter's claim into one."""
    run_id = trigger("bencana-alam", "sedang", "Lapas Pangkalpinang", "Banjir merendam area dapur")
    drive({run_id: Script(verification=verify_with())})
    incident = incident_for(run_id)
    plan = catalog().plan("bencana-alam", "sedang")
    release = next(d for d in records().drafts(incident.id) if d.message_type is MessageType.PRESS_RELEASE)
    asks = [plan.item(i).ask.id for i in plan.first_questions]  # type: ignore[union-attr]
    assert "Banjir merendam area dapur" not in release.body and release.fact_versions == {}
    assert f"Kami masih memastikan {asks[0]}" in release.body and "menurut" not in release.body


@pytest.mark.usefixtures("served")
def test_channel_down_fails_only_itself_and_publish_retry_sends_only_what_is_missing(channel_api: ChannelAPI) -> None:
    """The webhook channel is down during the berat run: the other channels get their messages, the
    run ends "Sebagian terbit" naming the channel; once the channel is back, `pasopati publish retry`
    (proven) sends each missing message once, nothing twice, and the run ends "Selesai"."""
    channel_api.down = True
    try:
        run_id = trigger("opini-publik", "berat", "Lapas Nabire", "Hoaks pelarian massal beredar")
        final = drive({run_id: Script()})
    finally:
        channel_api.down = False
    run = final[run_id]
    assert run.state.is_failed() and run.state.name == "Sebagian terbit" and WEBHOOK_CHANNEL in (run.state.message or "")
    incident = incident_for(run_id)
    store = records()
    failed = [p for p in store.publications(incident.id) if p.status is PublicationStatus.FAILED]
    assert failed and {p.channel for p in failed} == {WEBHOOK_CHANNEL}
    assert "503" in (failed[0].error or "")
    sent_before = {p.id for p in store.publications(incident.id) if p.status is PublicationStatus.SENT}
    assert channel_api.for_incident(incident.id) == []
    assert "publish retry" in pasopati("pending") and WEBHOOK_CHANNEL in pasopati("publish", "list", str(run_id))

    by = approver_for(run_id)
    assert "refused" in pasopati_fails("publish", "retry", str(run_id), "--by", by, "--code", "000000")
    out = pasopati("publish", "retry", str(run_id), "--by", by, "--code", code(by))
    assert "Selesai" in out and WEBHOOK_CHANNEL in out
    assert read_run(run_id).state.name == "Selesai"
    publications = store.publications(incident.id)
    assert all(p.status is PublicationStatus.SENT for p in publications)
    assert sent_before < {p.id for p in publications}
    webhook = channel_api.for_incident(incident.id)
    assert len(webhook) == len(failed) and len({r["key"] for r in webhook}) == len(webhook)
    assert "nothing" in pasopati_fails("publish", "retry", str(run_id), "--by", by, "--code", code(by))
    assert len(channel_api.for_incident(incident.id)) == len(failed)


@pytest.mark.usefixtures("served")
def test_cli_says_where_a_run_waits_and_refuses_the_wrong_gate() -> None:
    run_id = trigger("tata-kelola-integritas", "ringan", "Lapas Banyuasin", "Dugaan pungli kunjungan")
    deadline_run = drive_until_gate(run_id, GATE_HOLDING)
    output = pasopati_fails("verify", str(run_id), "--by", "X Y", "--code", "123456", "--source", "SDP", "--set", "kapan=kemarin")
    assert f"run {deadline_run.name} is waiting at '{GATE_HOLDING}'" in output
    assert "waiting   persetujuan-awal" in pasopati("status", str(run_id))
    listed = [line for line in pasopati("pending").splitlines() if deadline_run.name in line]
    assert len(listed) == 1 and "persetujuan-awal" in listed[0] and "tata-kelola-integritas/ringan" in listed[0]
    assert "Lapas Kelas IIA Banyuasin" in listed[0] and "→ Kepala UPT" in listed[0], listed
    # The approver reads exactly the drafts in the UI's resume form description.
    from prefect.input.actions import read_flow_run_input
    from prefect.input.run_input import keyset_from_base_key

    from pasopati.decisions.gates import input_base_key

    description = read_flow_run_input(keyset_from_base_key(input_base_key(GATE_HOLDING))["description"], run_id)
    state = read_run(run_id).state
    assert state.name == "Menunggu-persetujuan-awal" and "Menunggu keputusan Kepala UPT" in (state.message or ""), state
    holding = next(d for d in records().drafts(incident_for(run_id).id) if d.message_type is MessageType.HOLDING_STATEMENT)
    assert holding.body.strip() in description and "— ringan" in description and "Severity." not in description
    output = decide_fails(run_id, "approve", "", "Humas Cipinang")  # not in the roster for this unit
    assert "tidak berwenang" in output and "Kepala UPT" in output
    refused = [d for d in records().decisions(incident_for(run_id).id) if not d.accepted]
    assert [(d.approver, d.gate) for d in refused] == [("Humas Cipinang", GATE_HOLDING)], "a refusal is recorded"
    assert gate_of(read_run(run_id)) == GATE_HOLDING, "a refused input must leave the run waiting"
    drive({run_id: Script(full=reject)})


@pytest.mark.usefixtures("served")
def test_trigger_refuses_unknown_unit_and_items() -> None:
    assert "unknown unit 'Lapas Atlantis'" in pasopati_fails(
        "trigger", "--category", "kesehatan", "--severity", "ringan", "--unit", "Lapas Atlantis", "--summary", "abc"
    )
    assert "unknown checklist item(s) ['jumlah_naga']" in pasopati_fails(
        "trigger", "--category", "kesehatan", "--severity", "ringan", "--unit", "Lapas Cipinang", "--summary", "abc", "--fact", "jumlah_naga=3"
    )
    assert "unknown category 'banjir-bandang'" in pasopati_fails(
        "trigger", "--category", "banjir-bandang", "--severity", "ringan", "--unit", "Lapas Cipinang", "--summary", "abc"
    )


def test_a_suspended_run_survives_a_restart_of_the_serving_process(served) -> None:  # type: ignore[no-untyped-def]
    """Waiting holds no process: stop `pasopati serve` while a run waits for approval, start it
    again, approve, and the run completes as if nothing happened."""
    run_id = trigger("kesehatan", "berat", "Lapas Makassar", "Keracunan makanan di dapur umum")
    drive_until_gate(run_id, GATE_HOLDING)
    served.stop()
    assert gate_of(read_run(run_id)) == GATE_HOLDING, "the suspended run must not depend on the serving process"
    served.start()
    final = drive({run_id: Script()})
    assert final[run_id].state.is_completed(), final[run_id].state.message
    incident = incident_for(run_id)
    assert records().evaluation(incident.id).outcome == "published"  # type: ignore[union-attr]
    assert len(records().decisions(incident.id)) == 2


def test_publish_refuses_a_draft_without_approval(channels_file: Path, channel_api: ChannelAPI) -> None:
    """The gate holds at the publish task itself, not only in the flow's control flow."""
    from pasopati.db import get_database
    from pasopati.decisions.gates import GATE_HOLDING
    from pasopati.decisions.models import Verdict
    from tasks.publishing import NotApproved, publish
    from tests.people import Authenticators, decide
    from tests.test_store import authority, opened, stored_draft

    db, cat = get_database(), catalog()
    inc = opened(db, cat, "opini-publik", Severity.SEDANG)
    draft = stored_draft(db, inc, body="Belum disetujui", channels=[WEBHOOK_CHANNEL], message_type=MessageType.PRESS_RELEASE)
    with pytest.raises(NotApproved):
        publish.fn(inc, draft.id, WEBHOOK_CHANNEL)
    # An approval of a different text does not cover this one either.
    other = draft.model_copy(update={"body": "Teks lain yang disetujui"})
    plan = cat.plan(inc.category, inc.severity)
    assert decide(db, Authenticators(db), inc, plan, GATE_HOLDING, [other], Verdict.APPROVE, authority(cat, inc)[0]).accepted
    with pytest.raises(NotApproved):
        publish.fn(inc, draft.id, WEBHOOK_CHANNEL)
    assert records().publications(inc.id) == [] and channel_api.for_incident(inc.id) == []
    refused = [e for e in audit_events(inc.id) if e.kind == "publication.refused"]
    assert len(refused) == 2, "each refused attempt is in the audit log"
