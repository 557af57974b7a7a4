"""Only the right person decides, and no decision is lost — end to end against the served runbooks:
forged names through the CLI, the API resume and planted input are refused and recorded; two
decisions at once: one takes effect, the other is told why; a decision on text that changed is
refused; 200 refused submissions never end a run; a run whose form was never saved is repaired."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.flow_runs import resume_flow_run
from prefect.input.run_input import keyset_from_base_key, keyset_from_paused_state

from pasopati.decisions.gates import (
    GATE_HOLDING,
    GATE_VERIFICATION,
    input_base_key,
    pause_key,
)
from pasopati.decisions.models import Verdict
from tests.driver import (
    approvers,
    authenticators,
    code,
    decide,
    pasopati_fails,
    read_run,
    text_hash,
    trigger,
    wait_final,
    wait_for_gate,
)
from tests.records import audit_events, records

pytestmark = pytest.mark.usefixtures("served")


def incident_id(run_id: UUID) -> str:
    incident = records().incident_for_run(str(run_id))
    assert incident is not None
    return incident.id


def refusals(run_id: UUID) -> list[tuple[str, str | None, str]]:
    return [(d.approver, d.round_key, d.refusal or "") for d in records().decisions(incident_id(run_id)) if not d.accepted]


def test_forged_names_are_refused_and_recorded_from_every_path(prefect_api: str) -> None:
    run_id = trigger("opini-publik", "luar-biasa", "Lapas Cipinang", "Video viral penganiayaan warga binaan")
    wait_for_gate(run_id, GATE_HOLDING)
    minister, deputy = approvers(run_id)
    authenticators().enrol(minister, deputy)

    # The CLI: the Minister's name without the Minister's code.
    out = pasopati_fails("approve", str(run_id), "--by", minister, "--code", "000000", "--hash", text_hash(run_id))
    assert "refused (recorded)" in out and "kode" in out
    assert wait_for_gate(run_id, GATE_HOLDING), "a refusal at the CLI never reaches the run"

    # Planted: the answer for the NEXT round written straight to the API before that round opens,
    # with a code that was valid when it was written.
    planted_key = keyset_from_base_key(input_base_key(pause_key(GATE_HOLDING, 2)))["response"]
    with get_client(sync_client=True) as client:
        client.create_flow_run_input(run_id, planted_key, '{"verdict": "approve", "approver": "%s", "kode": "%s"}' % (minister, code(minister)))

    # The API resume (what the UI form posts), with no headers beyond the server credential: a name only.
    resume_flow_run(run_id, run_input={"verdict": "approve", "approver": minister, "reason": "tanpa kode", "putaran": GATE_HOLDING,
                                       "hash_teks": text_hash(run_id)})
    waiting = wait_for_gate(run_id, pause_key(GATE_HOLDING, 2))  # refused inside the run; the gate asks again
    assert waiting.state.name == "Menunggu-persetujuan-awal-ke-2" and "DITOLAK" in (waiting.state.message or ""), waiting.state
    assert records().approvers_of(records().drafts(incident_id(run_id))[0]) == set(), "nothing approved by a name"

    # The real Minister, proven, decides round 2 — no 409 from the input planted there; waking the run
    # makes it read the planted answer, which comes too late and is recorded as refused.
    decide(run_id, "approve", "sesuai", minister)
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 3))
    refused = refusals(run_id)
    assert [(name, key) for name, key, _ in refused] == [(minister, GATE_HOLDING), (minister, GATE_HOLDING), (minister, pause_key(GATE_HOLDING, 2))]
    assert "kode" in refused[0][2] and "kode" in refused[1][2] and "sudah diputuskan lebih dulu" in refused[2][2], refused
    events = [e for e in audit_events(incident_id(run_id)) if e.kind == "decision.recorded" and not e.details["accepted"]]
    assert len(events) == 3 and all(e.details["proof"] == "tidak terbukti" and e.details["typed_name"] == minister for e in events)
    accepted = [d for d in records().decisions(incident_id(run_id)) if d.accepted]
    assert [(d.approver, d.proof) for d in accepted] == [(minister, "kode TOTP dari aplikasi autentikator")]

    decide(run_id, "reject", "cukup", deputy)
    assert wait_final(run_id).state.name == "Ditolak"


@pytest.mark.both_stores
def test_two_decisions_at_once_one_takes_effect_the_other_is_told(prefect_api: str, data_dir: Path) -> None:
    run_id = trigger("keamanan-ketertiban", "luar-biasa", "Lapas Makassar", "Kerusuhan di blok C")
    wait_for_gate(run_id, GATE_HOLDING)
    minister, deputy = approvers(run_id)
    shown = text_hash(run_id)

    def cli(verdict: str, name: str, reason: str) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, "-m", "pasopati.cli", verdict, str(run_id), "--by", name, "--code", code(name), "--hash", shown,
                "--round", GATE_HOLDING, "--reason", reason]
        return subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PREFECT_API_URL": prefect_api}, timeout=120)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda a: cli(*a), [("approve", minister, "setuju"), ("reject", deputy, "belum waktunya")]))
    took = [r for r in results if r.returncode == 0]
    lost = [r for r in results if r.returncode != 0]
    assert len(took) == 1 and len(lost) == 1, [(r.returncode, r.stdout, r.stderr) for r in results]
    assert "recorded" in took[0].stdout and "sudah diputuskan lebih dulu" in lost[0].stderr, lost[0].stderr
    decided = [(d.verdict, d.accepted) for d in records().decisions(incident_id(run_id))]
    assert sorted(decided, key=str) == sorted([(Verdict.APPROVE, True), (Verdict.REJECT, False)], key=str) or \
        sorted(decided, key=str) == sorted([(Verdict.APPROVE, False), (Verdict.REJECT, True)], key=str), decided
    winner = next(d for d in records().decisions(incident_id(run_id)) if d.accepted)
    if winner.verdict is Verdict.REJECT:
        assert wait_final(run_id).state.name == "Ditolak"
    else:
        wait_for_gate(run_id, pause_key(GATE_HOLDING, 2))
        decide(run_id, "reject", "cukup", deputy)
        assert wait_final(run_id).state.name == "Ditolak"


def test_a_decision_on_text_that_changed_since_it_was_read_is_refused(tmp_path: Path) -> None:
    run_id = trigger("kesehatan", "luar-biasa", "Lapas Cipinang", "Keracunan makanan massal")
    wait_for_gate(run_id, GATE_HOLDING)
    minister, deputy = approvers(run_id)
    read_by_deputy = text_hash(run_id)
    original = next(d for d in records().drafts(incident_id(run_id)) if d.language == "id")
    edited = tmp_path / "disunting.txt"
    edited.write_text(original.body.replace("PERNYATAAN AWAL", "PERNYATAAN AWAL (disunting)"), encoding="utf-8")
    decide(run_id, "edit", "judul", minister, "--text", f"holding_statement/id={edited}")
    wait_for_gate(run_id, pause_key(GATE_HOLDING, 2))
    out = pasopati_fails("approve", str(run_id), "--by", deputy, "--code", code(deputy), "--hash", read_by_deputy)
    assert "teks berubah sejak Anda membacanya" in out
    assert records().approvers_of(records().drafts(incident_id(run_id), latest=True)[0]) == {minister}
    decide(run_id, "approve", "sudah dibaca ulang", deputy)  # reads the new text (its hash), then approves
    wait_for_gate(run_id, GATE_VERIFICATION)
    with get_client(sync_client=True) as client:
        from prefect.states import Cancelled

        client.set_flow_run_state(run_id, Cancelled(message="test done"), force=True)


def test_two_hundred_refused_submissions_never_end_the_run() -> None:
    run_id = trigger("tata-kelola-integritas", "berat", "Lapas Sukamiskin", "Dugaan pemerasan keluarga warga binaan")
    wait_for_gate(run_id, GATE_HOLDING)
    (dirjen,) = approvers(run_id)
    shown = text_hash(run_id)
    for i in range(195):  # made-up names at the CLI: each refused and recorded, the run never woken
        pasopati_fails("approve", str(run_id), "--by", f"Orang Palsu {i}", "--code", "123456", "--hash", shown)
    for i in range(5):  # and through the API: each one uses up a round, the run asks again
        resume_flow_run(run_id, run_input={"verdict": "approve", "approver": f"Penyusup {i}", "reason": ""})
        wait_for_gate(run_id, pause_key(GATE_HOLDING, i + 2))
    assert len(refusals(run_id)) == 200
    assert read_run(run_id).state.is_paused(), "still waiting for the right person"
    decide(run_id, "reject", "uji selesai", dirjen)
    assert wait_final(run_id).state.name == "Ditolak"


def test_a_run_whose_form_was_never_saved_is_repaired_when_someone_decides() -> None:
    run_id = trigger("bencana-alam", "ringan", "Lapas Banyuasin", "Banjir di area dapur")
    run = wait_for_gate(run_id, GATE_HOLDING)
    keyset = keyset_from_paused_state(run.state)
    with get_client(sync_client=True) as client:
        client.delete_flow_run_input(run_id, keyset["schema"])  # as in the burst of 20: Paused, no form
    (head,) = approvers(run_id)
    with pytest.raises(Exception, match="schema not found"):
        resume_flow_run(run_id, run_input={"verdict": "approve"})
    decide(run_id, "reject", "uji perbaikan", head)  # recorded in the store, then the run is woken
    assert wait_final(run_id).state.name == "Ditolak"
