"""End to end: the audit timeline of a full luar-biasa crisis — a refusal, an edit, a channel that
fails, a correction — matches what the run did, record for record, in the CLI and in the Prefect UI;
the chain verifies against the anchors on the Prefect server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.flow_runs import resume_flow_run

from pasopati.audit.anchors import anchor_key, read_anchors, store_id
from pasopati.db import get_database
from pasopati.decisions.gates import (
    GATE_CORRECTION,
    GATE_FULL,
    GATE_HOLDING,
    GATE_VERIFICATION,
    pause_key,
)
from pasopati.decisions.models import Verdict
from pasopati.plan.runbook import MessageType
from pasopati.publications.models import PublicationStatus
from tests.channel_api import ChannelAPI
from tests.conftest import WEBHOOK_CHANNEL
from tests.driver import (
    approvers,
    code,
    decide,
    pasopati,
    read_run,
    trigger,
    verifier_for,
    verify_with,
    wait_final,
    wait_for_gate,
)
from tests.records import audit_events, records

pytestmark = pytest.mark.usefixtures("served")


@pytest.mark.both_stores
def test_a_luar_biasa_timeline_matches_what_the_run_did(tmp_path: Path, channel_api: ChannelAPI) -> None:
    run_id = trigger("keamanan-ketertiban", "luar-biasa", "Lapas Makassar", "Kerusuhan dan pembakaran blok hunian", "jumlah_wbp_terlibat=12 orang")
    wait_for_gate(run_id, GATE_HOLDING)
    first, second = approvers(run_id)
    store = records()
    incident = store.incident_for_run(str(run_id))
    assert read_run(run_id).name.startswith("keamanan-ketertiban · luar-biasa · Lapas Kelas I Makassar · ")
    assert read_run(run_id).name.endswith(" WITA"), "named in the unit's own time zone"

    # A refusal (through the Prefect API: the run itself refuses), an edit, then a channel outage.
    resume_flow_run(run_id, run_input={"verdict": "approve", "approver": "Galih Prakoso Aji", "reason": ""})
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 2))
    original = next(d for d in store.drafts(incident.id) if d.message_type is MessageType.HOLDING_STATEMENT and d.language == "id")
    edited_file = tmp_path / "holding.txt"
    edited_file.write_text(original.body.replace("PERNYATAAN AWAL", "PERNYATAAN AWAL MENTERI"), encoding="utf-8")
    decide(run_id, "edit", "judul diperjelas", first, "--text", f"holding_statement/id={edited_file}")
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 3))
    channel_api.down = True  # the webhook channel is down for the rest of this run
    try:
        decide(run_id, "approve", "setuju", second)
        wait_for_gate(run_id, GATE_VERIFICATION)
        verify_with("kapan=Selasa, 24 November 2026 pukul 14.00 WITA")(run_id)
        wait_for_gate(run_id, GATE_FULL)
        decide(run_id, "approve", "", first)
        wait_for_gate(run_id, pause_key(GATE_FULL, 2))
        decide(run_id, "approve", "", second)
        final = wait_final(run_id)
    finally:
        channel_api.down = False
    assert final.state.is_failed() and final.state.name == "Sebagian terbit" and WEBHOOK_CHANNEL in (final.state.message or "")

    # A correction after publication: flagged messages, a ralat through the same two approvals.
    verifier = verifier_for(run_id)
    output = pasopati("facts", str(run_id), "--by", verifier, "--code", code(verifier), "--source", "Kepala KPLP", "--set", "jumlah_wbp_terlibat=14 orang", "--ralat")
    correction_id = UUID(re.search(r"\(([0-9a-f-]{36})\)", output).group(1))  # type: ignore[union-attr]
    wait_for_gate(correction_id, GATE_CORRECTION)
    decide(correction_id, "approve", "", first)
    wait_for_gate(correction_id, pause_key(GATE_CORRECTION, 2))
    decide(correction_id, "approve", "", second)
    assert wait_final(correction_id).state.is_completed()

    # Record for record: every decision, fact version, draft and publication has its event.
    events = audit_events(incident.id)
    kinds = [e.kind for e in events]
    decided = [(e.actor, e.details["verdict"], e.details["accepted"], e.details["pause_key"]) for e in events if e.kind == "decision.recorded"]
    assert decided == [(d.approver, d.verdict.value, d.accepted, d.round_key) for d in store.decisions(incident.id)]
    assert ("Galih Prakoso Aji", "approve", False, GATE_HOLDING) in decided
    refusal = next(e for e in events if e.kind == "decision.recorded" and not e.details["accepted"])
    assert refusal.details["via"] == "prefect-run-input" and "tidak berwenang" in refusal.details["refusal"]
    edit = next(e for e in events if e.kind == "decision.recorded" and e.details["verdict"] == Verdict.EDIT.value)
    assert edit.actor == first and edit.details["via"] == "cli" and any("+PERNYATAAN AWAL MENTERI" in d for d in edit.details["diffs"].values())
    versions = [(e.details["item"], e.details["version"], e.details["value"], e.actor) for e in events if e.kind == "fact.recorded"]
    assert sorted(versions) == sorted((f.item_id, f.version, f.value, f.verified_by) for f in store.facts(incident.id))
    created = {e.details["draft_id"]: e.details["sha256"] for e in events if e.kind == "draft.created"}
    assert created == {d.id: d.content_hash for d in store.drafts(incident.id)}
    publications = store.publications(incident.id)
    sent = {(e.details["channel"], e.details["draft_id"]): e for e in events if e.kind == "publication.sent"}
    assert set(sent) == {(p.channel, p.draft_id) for p in publications if p.status is PublicationStatus.SENT}
    for publication in publications:
        if publication.status is PublicationStatus.SENT:
            event = sent[publication.channel, publication.draft_id]
            assert event.details["location"] == publication.location and event.details["body"] == store.draft(publication.draft_id).body
            assert set(event.details["approvers"]) == {first, second}
    failed = [p for p in publications if p.status is PublicationStatus.FAILED]
    assert failed and {p.channel for p in failed} == {WEBHOOK_CHANNEL}
    failures = [e for e in events if e.kind == "publication.failed"]
    assert len(failures) == sum(p.attempts for p in failed) and all("503" in e.details["error"] for e in failures)
    assert kinds.count("publication.flagged") == len([p for p in publications if p.flag]) > 0
    assert kinds[0] == "incident.opened" and "run.started" in kinds and "evaluation.recorded" in kinds
    assert {e.flow_run_id for e in events if e.kind == "run.started"} == {str(run_id), str(correction_id)}

    # What an auditor reads: one command answers who approved the 14.00 figure, proven how, and
    # exactly what the public saw on which channel.
    trail = pasopati("audit", "show", incident.id, "--fact", "kapan")
    assert "14.00 WITA" in trail and re.search(r"^\d+ \w+ \d{4} \d\d\.\d\d\.\d\d WITA", trail, re.MULTILINE), "times in the unit's zone"
    assert f"{first}" in trail and f"{second}" in trail and "kode TOTP" in trail
    release = next(d for d in store.drafts(incident.id) if d.message_type is MessageType.PRESS_RELEASE and "14.00" in d.body)
    assert release.body.strip() in trail, "the exact text that went out"
    assert all(channel in trail for channel in release.channels)
    shown = pasopati("audit", "show", incident.id)
    for phrase in ("DITOLAK SISTEM", "Galih Prakoso Aji", "disunting", "Publikasi gagal", "503", "Pesan terbit ditandai usang", "correction"):
        assert phrase in shown, phrase

    # The Prefect UI shows the same timeline: the run's final artifact is `audit show --format md`.
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"audit-{incident.id.replace('-', '')[:16]}"]))
        )
    latest = max(artifacts, key=lambda a: a.created)  # type: ignore[arg-type, return-value]
    upto = int(re.search(r"hingga ke-(\d+)", latest.data).group(1))  # type: ignore[union-attr, arg-type]
    assert latest.data == pasopati("audit", "show", incident.id, "--format", "md", "--upto", str(upto))
    assert {str(a.flow_run_id) for a in artifacts} >= {str(run_id), str(correction_id)}

    # The chain verifies, including against the anchors the runs wrote to the Prefect server.
    db = get_database()
    assert read_anchors(db), f"no anchors under {anchor_key(store_id(db))}"
    verified = pasopati("audit", "verify")
    assert verified.startswith("ok:") and "anchor(s) match" in verified
    listing = pasopati("audit", "list", "--severity", "luar-biasa", "--unit", "Lapas Makassar")
    assert incident.id in listing and "luar-biasa" in listing
    exported = tmp_path / "bukti.zip"
    pasopati("audit", "export", incident.id, "--format", "pdf", "--out", str(exported))
    assert pasopati("audit", "verify", "--bundle", str(exported)).startswith("ok:")
    manifest = json.loads(__import__("zipfile").ZipFile(exported).read("manifest.json"))
    assert manifest["anchors"] and manifest["incidents"][incident.id]["events"] == len(audit_events(incident.id))
