"""Human decisions in the loop, end to end against the served runbooks: two distinct approvers,
edits published exactly as approved, request-changes back to drafting, fact corrections flagging
what was published, deadlines escalating (never approving), the team called, acknowledging and
replaced by deputies, update reminders until the crisis is closed."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run

from pasopati.decisions.gates import (
    GATE_CORRECTION,
    GATE_FULL,
    GATE_HOLDING,
    GATE_VERIFICATION,
    pause_key,
    revision_gate,
)
from pasopati.decisions.models import Verdict
from pasopati.incidents.models import Trigger
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import MessageType
from pasopati.publications.models import PublicationStatus
from pasopati.time import utcnow
from pasopati.watch import watch
from tests.channel_api import ChannelAPI
from tests.driver import (
    approvers,
    code,
    decide,
    decide_fails,
    pasopati,
    pasopati_fails,
    read_run,
    trigger,
    verifier_for,
    verify_with,
    wait_final,
    wait_for_gate,
)
from tests.notify_receivers import SMTPInbox
from tests.records import audit_events, records

pytestmark = pytest.mark.usefixtures("served")


def incident_of(run_id: UUID):  # type: ignore[no-untyped-def]
    incident = records().incident_for_run(str(run_id))
    assert incident is not None
    return incident


def mailbox(inbox: SMTPInbox, address: str) -> list[str]:
    """Subjects of the mail delivered to ``address`` so far."""
    return [m.subject for m in inbox.messages if address in m.rcpt_tos]


def address_of(name: str) -> str:
    person = catalog().roster.person_named(name)
    assert person is not None
    match = re.search(r"to=([^&]+)", person.contact)
    assert match, person.contact
    return match.group(1)


def holder(run_id: UUID, role: str) -> str:
    incident = incident_of(run_id)
    roster = catalog().roster
    return next(p.name for p in roster.people if p.role == role and p.org in {incident.unit_id, incident.kanwil_id, "ditjenpas", "kementerian"})


def test_two_distinct_approvers_and_edits_published_exactly_as_approved(tmp_path: Path, data_dir: Path, channel_api: ChannelAPI) -> None:
    run_id = trigger("keamanan-ketertiban", "luar-biasa", "Lapas Makassar", "Kerusuhan dan penyanderaan petugas")
    wait_for_gate(run_id, GATE_HOLDING)
    first, second = approvers(run_id)
    incident = incident_of(run_id)

    # Through the UI's resume form (no CLI to check first): the run itself refuses and asks again.
    resume_flow_run(run_id, run_input={"verdict": "approve", "approver": "Galih Prakoso Aji", "reason": ""})
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 2))
    refused = [d for d in records().decisions(incident.id) if not d.accepted]
    assert [(d.approver, d.round_key, d.pause_key) for d in refused] == [("Galih Prakoso Aji", GATE_HOLDING, None)]
    assert "tidak berwenang" in (refused[0].refusal or "")
    assert "REFUSED approve" in pasopati("status", str(run_id))

    # The first minister edits the Indonesian holding statement while approving it.
    original = next(d for d in records().drafts(incident.id) if d.message_type is MessageType.HOLDING_STATEMENT and d.language == "id")
    edited_text = original.body.replace("PERNYATAAN AWAL", "PERNYATAAN AWAL (disunting Menteri)").replace(
        "Kami memahami kekhawatiran", "Kami sangat memahami kekhawatiran")
    assert edited_text.count("Kami sangat memahami") == 1
    edited_file = tmp_path / "holding.txt"
    edited_file.write_text(edited_text, encoding="utf-8")
    decide(run_id, "edit", "judul diperjelas", first, "--text", f"holding_statement/id={edited_file}")
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 3))
    assert "(1/2 approved)" in next(line for line in pasopati("pending").splitlines() if read_run(run_id).name in line)
    assert channel_api.for_incident(incident.id) == [], "one approval of two publishes nothing"

    # The same minister cannot be the second approver.
    assert "pemberi persetujuan lain yang berbeda" in decide_fails(run_id, "approve", "", first)
    decide(run_id, "approve", "setuju", second)
    wait_for_gate(run_id, GATE_VERIFICATION)

    store = records()
    edit = next(d for d in store.decisions(incident.id) if d.verdict is Verdict.EDIT)
    (edited_id, diff), = edit.diffs.items()
    assert "+PERNYATAAN AWAL (disunting Menteri)" in diff and "-PERNYATAAN AWAL" in diff
    edited = store.draft(edited_id)
    assert edited and edited.parent_id == original.id and edited.author == first and edited.body == edited_text
    assert store.approvers_of(edited) == {first, second}
    published = {p.channel: p for p in store.publications(incident.id) if p.draft_id == edited_id}
    assert set(published) == set(original.channels) and all(p.status is PublicationStatus.SENT for p in published.values())
    assert not [p for p in store.publications(incident.id) if p.draft_id == original.id], "the unedited text never went out"
    posted = [r for r in channel_api.for_incident(incident.id) if r["language"] == "id"]
    assert [r["body"] for r in posted] == [edited_text], "published exactly as approved"
    outbox = Path(published["situs-ditjenpas"].location or "")
    website = outbox.read_text(encoding="utf-8")  # the website post: the edited article as HTML
    assert outbox.suffix == ".html" and "Gangguan Keamanan dan Ketertiban" in website and "Kami sangat memahami kekhawatiran" in website
    assert "Kami memahami kekhawatiran" not in website

    verify_with("kapan=Selasa, 24 November 2026 pukul 01.00 WITA")(run_id)
    wait_for_gate(run_id, GATE_FULL)
    decide(run_id, "reject", "menunggu konferensi pers", second)
    assert wait_final(run_id).state.is_completed()


def test_request_changes_goes_back_to_drafting_and_returns_for_approval(tmp_path: Path, channel_api: ChannelAPI) -> None:
    run_id = trigger("opini-publik", "sedang", "Rutan Salemba", "Video viral keributan di ruang kunjungan")
    wait_for_gate(run_id, GATE_HOLDING)
    (kakanwil,) = approvers(run_id)
    assert "memerlukan alasan" in decide_fails(run_id, "request-changes", "", kakanwil)
    decide(run_id, "request-changes", "Sebutkan layanan pengaduan", kakanwil)
    wait_for_gate(run_id, revision_gate(GATE_HOLDING))
    assert "drafter" in next(line for line in pasopati("pending").splitlines() if read_run(run_id).name in line)
    shown = pasopati("show", str(run_id))  # the drafter reads what was sent back, and why
    assert f"asked    {kakanwil}: Sebutkan layanan pengaduan" in shown and "--- holding_statement (id)" in shown

    incident = incident_of(run_id)
    original = next(d for d in records().drafts(incident.id) if d.message_type is MessageType.HOLDING_STATEMENT)
    revised_text = original.body.rstrip() + "\n\nPengaduan: layanan pengaduan Ditjenpas.\n"
    revision_file = tmp_path / "revisi.txt"
    revision_file.write_text(revised_text, encoding="utf-8")
    humas = holder(run_id, "humas-kanwil")
    pasopati("revise", str(run_id), "--by", humas, "--code", code(humas), "--text", f"holding_statement/id={revision_file}",
             "--note", "ditambah kanal pengaduan")
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 2))
    decide(run_id, "approve", "", kakanwil)
    wait_for_gate(run_id, GATE_VERIFICATION)

    store = records()
    revised = next(d for d in store.drafts(incident.id) if d.parent_id == original.id)
    assert revised.body == revised_text and revised.author == humas and revised.revision == 2
    assert "Sebutkan layanan pengaduan" in revised.note and "ditambah kanal pengaduan" in revised.note
    verdicts = [(d.verdict, d.approver, d.reason) for d in store.decisions(incident.id) if d.accepted]
    assert verdicts == [(Verdict.REQUEST_CHANGES, kakanwil, "Sebutkan layanan pengaduan"), (Verdict.APPROVE, kakanwil, "")]
    sent = {p.draft_id for p in store.publications(incident.id) if p.status is PublicationStatus.SENT}
    assert sent == {revised.id}
    # Through the UI's form: a name without proof is refused (recorded) and the gate asks again; with
    # the verifier's code, at the round the form names, it is taken.
    resume_flow_run(run_id, run_input={"verified_by": "Kadiv", "source": "SDP"})
    wait_for_gate(run_id, pause_key(GATE_VERIFICATION, 2))
    refused = [e for e in audit_events(incident.id) if e.kind == "verification.refused"]
    assert len(refused) == 1 and "bukan anggota tim krisis" in refused[0].details["refusal"]
    verifier = verifier_for(run_id)
    resume_flow_run(run_id, run_input={"verified_by": verifier, "source": "SDP", "kode": code(verifier),
                                       "putaran": pause_key(GATE_VERIFICATION, 2)})
    wait_for_gate(run_id, GATE_FULL)
    decide(run_id, "reject", "cukup pernyataan awal", kakanwil)
    assert wait_final(run_id).state.is_completed()


def test_a_corrected_fact_flags_published_messages_and_a_ralat_is_approved_and_published(tmp_path: Path, channel_api: ChannelAPI) -> None:
    run_id = trigger("keamanan-ketertiban", "sedang", "Rutan Pondok Bambu", "Tiga tahanan kabur", "jumlah_wbp_terlibat=3 orang")
    wait_for_gate(run_id, GATE_HOLDING)
    (kakanwil,) = approvers(run_id)
    decide(run_id, "approve", "", kakanwil)
    wait_for_gate(run_id, GATE_VERIFICATION)
    # Verification through the CLI's facts command (it answers the form while the run waits there).
    verifier = verifier_for(run_id)
    assert "bukan anggota tim krisis" in pasopati_fails("facts", str(run_id), "--by", "Orang Luar", "--code", "123456", "--source", "SDP",
                                                         "--set", "kapan=Senin malam")
    pasopati("facts", str(run_id), "--by", verifier, "--code", code(verifier), "--source", "Kepala UPT", "--set", "kapan=Senin malam")
    wait_for_gate(run_id, GATE_FULL)
    decide(run_id, "approve", "", kakanwil)
    assert wait_final(run_id).state.is_completed()
    incident = incident_of(run_id)
    store = records()
    before = [p for p in store.publications(incident.id) if p.status is PublicationStatus.SENT]
    said = re.compile(r"3 orang|\btiga warga binaan|three inmates|number of inmates involved is three", re.IGNORECASE)
    public = [p for p in before if store.draft(p.draft_id).message_type is not MessageType.SITUATION_REPORT]  # type: ignore[union-attr]
    stating = {p.id for p in public if said.search(store.draft(p.draft_id).body)}  # type: ignore[union-attr]
    assert stating, "the published messages state the first count"

    wrong = tmp_path / "salah.yaml"
    wrong.write_text("jumlah_kabur: 4\n", encoding="utf-8")
    assert "unknown checklist item(s) ['jumlah_kabur']" in pasopati_fails("facts", str(run_id), "--by", verifier, "--code", "000000", "--source", "Polres", "--file", str(wrong))
    wrong.write_text("- 4 orang\n", encoding="utf-8")
    assert "expected a mapping" in pasopati_fails("facts", str(run_id), "--by", verifier, "--code", "000000", "--source", "Polres", "--file", str(wrong))
    corrected = tmp_path / "koreksi.yaml"
    corrected.write_text("jumlah_wbp_terlibat: 4 orang\n", encoding="utf-8")
    assert "kode" in pasopati_fails("facts", str(run_id), "--by", verifier, "--code", "000000", "--source", "Kepala UPT", "--file", str(corrected))
    output = pasopati("facts", str(run_id), "--by", verifier, "--code", code(verifier), "--source", "Kepala UPT", "--file", str(corrected), "--ralat")
    correction_id = UUID(re.search(r"\(([0-9a-f-]{36})\)", output).group(1))  # type: ignore[union-attr]
    wait_for_gate(correction_id, GATE_CORRECTION)
    history = [(f.version, f.value, f.source) for f in store.facts(incident.id) if f.item_id == "jumlah_wbp_terlibat"]
    # The reported count (kept as is by the prefilled verification form), then the correction.
    assert history == [(1, "3 orang", "Kepala UPT"), (2, "4 orang", "Kepala UPT")]
    flagged = {p.id: p for p in store.publications(incident.id) if p.flag}
    assert set(flagged) == stating and all("'3 orang' → '4 orang'" in (p.flag or "") for p in flagged.values())
    ralat = store.draft(next(iter(flagged.values())).correction_draft_id or "")
    assert ralat and ralat.message_type is MessageType.CORRECTION
    assert 'sebelumnya kami sampaikan "3 orang"; yang benar adalah "4 orang", menurut Kepala UPT' in ralat.body
    assert set(ralat.channels) == {p.channel for p in flagged.values()}
    assert not [p for p in store.publications(incident.id) if p.draft_id == ralat.id], "not published before approval"

    status = pasopati("status", str(run_id))  # what an auditor reads
    assert "fact      jumlah_wbp_terlibat v2: 4 orang (source Kepala UPT" in status and "FLAGGED: fakta berubah" in status
    assert "tidak berwenang" in decide_fails(correction_id, "approve", "", verifier)
    decide(correction_id, "approve", "", kakanwil)
    assert wait_final(correction_id).state.is_completed()
    sent = [p for p in store.publications(incident.id) if p.draft_id == ralat.id]
    assert {p.channel for p in sent} == set(ralat.channels) and all(p.status is PublicationStatus.SENT for p in sent)
    assert ralat.body in [r["body"] for r in channel_api.for_incident(incident.id)] or "medsos-ditjenpas" not in ralat.channels


def test_deadlines_escalate_never_approve_and_the_team_is_called_acknowledges_and_is_reminded(team_inbox: SMTPInbox) -> None:
    # Detected 6 hours ago: the 60-minute holding deadline and the 300-minute update cadence have passed.
    request = Trigger(unit="Lapas Sukamiskin", summary="Dugaan pungli layanan kunjungan", source="cli", detected_at=utcnow() - timedelta(hours=6),
                      new_incident_reason="uji: krisis tersendiri")
    run = run_deployment("krisis-tata-kelola-integritas/sedang", parameters={"trigger": request.model_dump(mode="json")}, timeout=0)
    run_id = run.id
    wait_for_gate(run_id, GATE_HOLDING)
    incident = incident_of(run_id)
    store = records()
    team = store.team(incident.id, "sedang")
    assert team is not None
    members = [m for m in team.members if m.name]
    team_inbox.wait_for(len(members), timeout=20)
    for member in members:  # every member, informed ones included, got the call by e-mail
        assert any("Panggilan TKK" in s for s in mailbox(team_inbox, address_of(member.name or ""))), member.name
    assert {n.person for n in store.notifications(incident.id) if n.key == "tim:sedang" and n.ok} == {m.name for m in members}

    # The served watcher: the undecided holding statement escalates to the Dirjen; nothing is approved.
    watcher = run_deployment("pantau-tenggat/terjadwal", timeout=120)
    assert watcher.state and watcher.state.is_completed(), watcher.state
    (escalation,) = [e for e in store.escalations(incident.id) if e.kind == "approval"]
    assert (escalation.subject, escalation.to_role) == (GATE_HOLDING, "dirjen")
    dirjen = holder(run_id, "dirjen")
    assert any("Tenggat terlewati" in s for s in mailbox(team_inbox, address_of(dirjen)))
    assert any("Pembaruan informasi jatuh tempo" in s for s in mailbox(team_inbox, address_of(holder(run_id, "kakanwil"))))
    assert read_run(run_id).state.is_paused(), "a passed deadline never approves (fail closed)"
    assert store.approvers_of(store.drafts(incident.id)[0]) == set()
    assert "escalated" in next(line for line in pasopati("pending").splitlines() if read_run(run_id).name in line)
    told = len(store.notifications(incident.id))
    watch()  # again: nobody is told twice
    assert len(store.notifications(incident.id)) == told

    # Acknowledgements: the Kakanwil by CLI, Humas Kanwil through the UI's deployment form; past the
    # 30-minute limit the others' deputies are called.
    kakanwil, humas_kanwil = holder(run_id, "kakanwil"), holder(run_id, "humas-kanwil")
    assert "acknowledged" in pasopati("ack", str(run_id), "--by", kakanwil, "--code", code(kakanwil))
    assert "tidak ada di roster" in pasopati_fails("ack", str(run_id), "--by", "Orang Asing", "--code", "123456")
    forged = run_deployment("konfirmasi-tim/ui", parameters={"run": read_run(run_id).name, "member": humas_kanwil}, timeout=120)
    assert forged.state and forged.state.is_failed() and "TOTP" in (forged.state.message or ""), forged.state
    ui_ack = run_deployment("konfirmasi-tim/ui", parameters={"run": read_run(run_id).name, "member": humas_kanwil,
                                                             "kode": code(humas_kanwil)}, timeout=120)
    assert ui_ack.state and ui_ack.state.is_completed(), ui_ack.state
    assert {(a.person, a.via) for a in store.acknowledgements(incident.id)} == {(kakanwil, "cli"), (humas_kanwil, "ui")}
    report = watch(now=utcnow() + timedelta(minutes=31))
    replaced = {e.subject: e.to_role for e in store.escalations(incident.id) if e.kind == "acknowledgement"}
    active = {m.name: m.role for m in members if not m.informed_only}
    assert set(replaced) == set(active) - {kakanwil, humas_kanwil}, "the acknowledged and the informed-only are not replaced"
    assert replaced[holder(run_id, "humas-upt")] == "kepala-upt"
    assert len([r for r in report.deputies_called if r.startswith(incident.id)]) == len(replaced)
    kepala_upt = holder(run_id, "kepala-upt")
    assert any("Eskalasi TKK" in s for s in mailbox(team_inbox, address_of(kepala_upt)))

    # The delegate may now decide; the run goes on. Closing the crisis stops reminders.
    decide(run_id, "approve", "Kakanwil tidak dapat dihubungi", dirjen)
    wait_for_gate(run_id, GATE_VERIFICATION)
    assert "bukan anggota tim krisis" in pasopati_fails("close", str(run_id), "--by", "Orang Tak Dikenal", "--code", "123456",
                                                         "--reason", "x")
    assert "closed" in pasopati("close", str(run_id), "--by", kakanwil, "--code", code(kakanwil), "--reason", "latihan selesai")
    told = len(store.notifications(incident.id))
    assert incident.id not in watch(now=utcnow() + timedelta(hours=12)).reminders_sent
    assert len(store.notifications(incident.id)) == told
    from prefect import get_client
    from prefect.states import Cancelled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run_id, Cancelled(message="test done"), force=True)
