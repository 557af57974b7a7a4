"""Drive runbook runs the way an operator does: the ``pasopati`` CLI, which submits Prefect run input."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from typer.testing import CliRunner

from pasopati.cli import app
from pasopati.decisions.gates import GATE_FULL, GATE_HOLDING, GATE_VERIFICATION, round_of
from pasopati.decisions.gates import gate_of as base_gate

runner = CliRunner()


def pasopati(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"pasopati {' '.join(args)} → {result.exit_code}: {result.output}{result.exception!r}"
    return result.output


def pasopati_fails(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, f"expected exit 2 from pasopati {' '.join(args)}: {result.output}"
    return result.output


def trigger(category: str, severity: str, unit: str, summary: str, *facts: str) -> UUID:
    args = ["trigger", "--category", category, "--severity", severity, "--unit", unit, "--summary", summary]
    for fact in facts:
        args += ["--fact", fact]
    output = pasopati(*args)
    match = re.search(r"/runs/flow-run/([0-9a-f-]{36})", output)
    assert match, output
    return UUID(match.group(1))


def read_run(run_id: UUID) -> FlowRun:
    with get_client(sync_client=True) as client:
        return client.read_flow_run(run_id)


def read_runs(run_ids: list[UUID]) -> list[FlowRun]:
    """One API call for all runs: polling each run separately loads the server more than the runs do."""
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)))


def gate_of(run: FlowRun) -> str | None:
    return run.state.state_details.pause_key if run.state and run.state.is_paused() else None


Action = Callable[[UUID], None]


@lru_cache(maxsize=None)
def approvers(run_id: UUID) -> list[str]:
    """The roster's holders of the approval authority for this run's incident and severity."""
    from pasopati.plan.catalog import catalog
    from pasopati.runs import incident_of, plan_of

    run = read_run(run_id)
    incident, plan = incident_of(run), plan_of(run)
    roster = catalog().roster
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    return [p.name for p in roster.holders(plan.plan.approval.authority, unit)]


def approver_for(run_id: UUID) -> str:
    """An authorised approver who has not approved yet at this gate: round n → the n-th holder."""
    round_ = round_of(gate_of(read_run(run_id)) or "")
    holders = approvers(run_id)
    return holders[(round_ - 1) % len(holders)]


def approve(run_id: UUID) -> None:
    pasopati("approve", str(run_id), "--by", approver_for(run_id), "--reason", "sesuai fakta")


def reject(run_id: UUID) -> None:
    pasopati("reject", str(run_id), "--by", approver_for(run_id), "--reason", "belum layak terbit")


def verify_with(*pairs: str) -> Action:
    def act(run_id: UUID) -> None:
        args = ["verify", str(run_id), "--by", "Petugas Verifikasi", "--source", "SDP"]
        for pair in pairs:
            args += ["--set", pair]
        pasopati(*args)

    return act


@dataclass
class Script:
    """What to answer at each gate; None means the run must not reach that gate."""

    holding: Action | None = approve
    verification: Action | None = field(default_factory=lambda: verify_with("kapan=Senin, 24 November 2026 pukul 02.00 WIB"))
    full: Action | None = approve

    def action(self, key: str) -> Action | None:
        """The action for a pause key: every round at a gate (a second approver) gets the gate's action."""
        return {GATE_HOLDING: self.holding, GATE_VERIFICATION: self.verification, GATE_FULL: self.full}[base_gate(key)]


def drive(runs: dict[UUID, Script], timeout: float = 240) -> dict[UUID, FlowRun]:
    """Answer each run's gates as they come, round-robin, until every run is final."""
    final: dict[UUID, FlowRun] = {}
    answered: set[tuple[UUID, str]] = set()
    deadline = time.monotonic() + timeout
    while len(final) < len(runs):
        assert time.monotonic() < deadline, f"runs not final after {timeout} s: {[str(r) for r in runs if r not in final]}"
        for run in read_runs([r for r in runs if r not in final]):
            run_id, script = run.id, runs[run.id]
            if run.state and run.state.is_final():
                final[run_id] = run
                continue
            gate = gate_of(run)
            if gate and (run_id, gate) not in answered:
                action = script.action(gate)
                assert action is not None, f"run {run.name} reached gate {gate} it must not reach"
                action(run_id)
                answered.add((run_id, gate))
        time.sleep(0.5)
    return final


def wait_for_gate(run_id: UUID, key: str, timeout: float = 90) -> FlowRun:
    """Until the run is suspended at exactly this pause key (a gate, or a later round of it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = read_run(run_id)
        if gate_of(run) == key:
            return run
        assert not (run.state and run.state.is_final()), f"run {run.name} ended {run.state.name} before {key}: {run.state.message}"
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} never reached {key} (now {gate_of(read_run(run_id))})")


def wait_final(run_id: UUID, timeout: float = 90) -> FlowRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = read_run(run_id)
        if run.state and run.state.is_final():
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} not final after {timeout} s")
