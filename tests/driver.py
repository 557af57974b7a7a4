"""Drive runbook runs the way an operator does: the ``pasopati`` CLI, which submits Prefect run input."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from typer.testing import CliRunner

from pasopati.cli import app
from pasopati.decisions.gates import GATE_FULL, GATE_HOLDING, GATE_VERIFICATION
from pasopati.decisions.gates import gate_of as base_gate
from pasopati.plan.catalog import catalog
from tests.people import Authenticators

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
    """A run of its own, beside any incident another test left open at the unit (``--new``)."""
    args = ["trigger", "--category", category, "--severity", severity, "--unit", unit, "--summary", summary,
            "--new", "--reason", "uji: krisis tersendiri"]
    for fact in facts:
        args += ["--fact", fact]
    if facts:  # the reporter is the facts' source: one the runbooks accept (the unit's head)
        args += ["--by", "Kepala UPT"]
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


@cache
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


@lru_cache(maxsize=1)
def authenticators() -> Authenticators:
    """The roster's authenticator apps, for the session (enrolled on first use)."""
    from pasopati.db import get_database

    return Authenticators(get_database())


def code(name: str) -> str:
    """``name``'s next TOTP code (tests.people)."""
    return authenticators().code(name)


def approver_for(run_id: UUID) -> str:
    """An authorised approver who has not approved the current text yet (luar-biasa: the second);
    for a run at no gate, the first authorised approver."""
    from pasopati.db import get_database
    from pasopati.decisions import service as decisions
    from pasopati.runs import awaiting_drafts, incident_of

    run = read_run(run_id)
    holders = approvers(run_id)
    gate = gate_of(run)
    if gate is None:  # the run waits at no gate (e.g. ended "Sebagian terbit"): any holder may act
        return holders[0]
    done = set(decisions.approvers_of_all(get_database(), awaiting_drafts(get_database(), incident_of(run), base_gate(gate))))
    return next((h for h in holders if h not in done), holders[0])


def text_hash(run_id: UUID) -> str:
    """The hash `pasopati drafts` shows for the text awaiting a decision (what an approver reads)."""
    match = re.search(r"^hash\s+([0-9a-f]{12})", pasopati("show", str(run_id)), re.MULTILINE)
    assert match, "pasopati drafts shows no hash"
    return match.group(1)


def decide(run_id: UUID, verdict: str, reason: str, by: str | None = None, *extra: str) -> str:
    name = by or approver_for(run_id)
    shown = text_hash(run_id)  # read first: a code is good for a 30-second step or two, `show` may take seconds under load
    return pasopati(verdict, str(run_id), "--by", name, "--code", code(name), "--hash", shown, "--reason", reason, *extra)


def decide_fails(run_id: UUID, verdict: str, reason: str, by: str, *extra: str) -> str:
    """A decision the CLI refuses (exit 2), with a valid code where ``by`` is someone who has one:
    refused for what it says, not for its proof."""
    shown = text_hash(run_id)
    given = code(by) if catalog().roster.person_named(by) else "123456"
    return pasopati_fails(verdict, str(run_id), "--by", by, "--code", given, "--hash", shown, "--reason", reason, *extra)


def approve(run_id: UUID) -> None:
    decide(run_id, "approve", "sesuai fakta")


def reject(run_id: UUID) -> None:
    decide(run_id, "reject", "belum layak terbit")


def verifier_for(run_id: UUID) -> str:
    """A member of the run's crisis team who may verify and who does not approve (the first such)."""
    from pasopati.db import get_database
    from pasopati.runs import incident_of
    from pasopati.team.service import team

    incident = incident_of(read_run(run_id))
    crew = team(get_database(), incident.id, incident.severity)
    assert crew is not None
    deciders = set(approvers(run_id))
    return next(m.name for m in crew.members if m.name and not m.informed_only and m.name not in deciders)


def verify_with(*pairs: str) -> Action:
    def act(run_id: UUID) -> None:
        by = verifier_for(run_id)
        args = ["verify", str(run_id), "--by", by, "--code", code(by), "--source", "SDP"]
        for pair in pairs:
            item = pair.split("=", 1)[0]
            args += ["--set", pair, "--source-for", f"{item}={accepted_source(item)}"]
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


def accepted_source(item_id: str) -> str:
    """The first source the runbooks accept for a checklist item (a verification must cite one)."""
    cat = catalog()
    items = [*cat.common.checklist, *(i for r in cat.runbooks.values() for i in r.checklist)]
    return next(i.sources[0] for i in items if i.id == item_id)

