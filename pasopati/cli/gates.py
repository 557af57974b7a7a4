"""``pasopati`` commands at the human gates: decide, redraft, correct facts, acknowledge, close.

Each command checks what it can before submitting (authority against the roster, checklist item
ids) and says exactly what is wrong; the run checks again when the input arrives, because the
Prefect UI submits the same forms without this CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from pasopati.cli.common import app, clear_errors, fail, parse_pairs

Run = Annotated[str, typer.Argument(help="Flow run id or name.")]
By = Annotated[str, typer.Option("--by", help="Your name, as in the roster.")]


def _text_edits(edits: list[str], option: str) -> dict[str, str]:
    """TYPE[/LANG]=PATH pairs → form field (as forms.text_field names it) → text read from PATH."""
    fields = {}
    for target, path in parse_pairs(edits, option).items():
        message_type, _, language = target.partition("/")
        file = Path(path)
        if not file.is_file():
            fail(f"{option} {target}={path}: no such file")
        fields[f"teks_{message_type}_{language or 'id'}"] = file.read_text(encoding="utf-8")
    return fields


def _decide(run: str, verdict: str, by: str, reason: str, texts: dict[str, str] | None = None) -> None:
    from pasopati.db import clean_text, get_database
    from pasopati.decisions import service as decisions
    from pasopati.decisions.gates import APPROVAL_GATES
    from pasopati.decisions.models import ApprovalAnswer, Verdict
    from pasopati.forms import text_field
    from pasopati.plan.catalog import catalog
    from pasopati.runs import awaiting_drafts, incident_of, plan_of, resume, waiting_gate, waiting_run

    by, reason = clean_text(by), clean_text(reason)
    texts = {k: clean_text(v) for k, v in (texts or {}).items()}
    with clear_errors():
        db = get_database()
        flow_run = waiting_run(run, set(APPROVAL_GATES))
        gate = waiting_gate(flow_run)
        assert gate is not None
        incident, plan = incident_of(flow_run), plan_of(flow_run)
        drafts = awaiting_drafts(db, incident, gate)
        by_field = {text_field(d): d for d in drafts}
        unknown = sorted(set(texts or {}) - set(by_field))
        if unknown:
            fail(f"no draft {[u.removeprefix('teks_') for u in unknown]} awaits approval here; awaiting: "
                 f"{[f.removeprefix('teks_') for f in by_field]}")
        answer = ApprovalAnswer(
            verdict=Verdict(verdict),
            approver=by,
            reason=reason,
            edits={by_field[f].id: t for f, t in texts.items()},
            via="cli",
        )
        approver, refused = decisions.precheck(db, incident, plan, gate, answer, drafts, catalog().roster)
        if refused:
            fail(f"refused (recorded): {refused}")
        resume(flow_run, {"verdict": verdict, "approver": approver, "reason": reason, **texts})
    typer.echo(f"{verdict} by {approver} submitted to {flow_run.name} at {flow_run.state.state_details.pause_key}")


@app.command()
def approve(run: Run, by: By, reason: Annotated[str, typer.Option(help="Note kept with the decision.")] = "") -> None:
    """Approve the drafts a run is waiting on, exactly as shown."""
    _decide(run, "approve", by, reason)


@app.command()
def edit(
    run: Run,
    by: By,
    text: Annotated[list[str], typer.Option("--text", help="TYPE[/LANG]=PATH: publish this file's text instead (repeatable).")],
    reason: Annotated[str, typer.Option(help="Why the text was edited.")] = "",
) -> None:
    """Approve with edits: the edited text is what gets published; the diff is kept."""
    _decide(run, "edit", by, reason, _text_edits(text, "--text"))


@app.command("request-changes")
def request_changes(run: Run, by: By, reason: Annotated[str, typer.Option(help="What must change.")]) -> None:
    """Send the drafts back to drafting with a comment; they return for approval."""
    _decide(run, "request-changes", by, reason)


@app.command()
def reject(run: Run, by: By, reason: Annotated[str, typer.Option(help="Why (kept with the decision).")]) -> None:
    """Reject: nothing awaiting at this gate is published and the run ends."""
    _decide(run, "reject", by, reason)


@app.command()
def revise(
    run: Run,
    by: By,
    text: Annotated[list[str], typer.Option("--text", help="TYPE[/LANG]=PATH: the revised text (repeatable).")] = [],
    note: Annotated[str, typer.Option(help="What was changed.")] = "",
) -> None:
    """Submit revised drafts after request-changes (texts not given are redrafted from current facts)."""
    from pasopati.decisions.gates import APPROVAL_GATES, revision_gate
    from pasopati.runs import resume, waiting_run

    with clear_errors():
        flow_run = waiting_run(run, {revision_gate(g) for g in APPROVAL_GATES})
        resume(flow_run, {"drafter": by, "note": note, **_text_edits(text, "--text")})
    typer.echo(f"revision by {by} submitted to {flow_run.name}")


@app.command()
def facts(
    run: Run,
    by: By,
    source: Annotated[str, typer.Option(help="Where the figures come from: SDP, Polres, RSUD, BMKG…")],
    set_: Annotated[list[str], typer.Option("--set", help="ITEM=VALUE (repeatable).")] = [],
    file: Annotated[Path | None, typer.Option(help="YAML or JSON mapping ITEM: VALUE.")] = None,
) -> None:
    """Supply or correct facts. At verification this answers the form; later it records new
    versions and starts a correction run that flags published messages relying on old values."""
    from prefect.deployments import run_deployment

    from pasopati.decisions.gates import GATE_VERIFICATION
    from pasopati.runs import find_run, incident_of, plan_of, resume, waiting_gate

    values = parse_pairs(set_, "--set")
    if file is not None:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            fail(f"--file {file}: {exc}")
        if not isinstance(loaded, dict):
            fail(f"--file {file}: expected a mapping ITEM: VALUE, got {type(loaded).__name__}")
        values = {str(k): str(v) for k, v in loaded.items()} | values
    if not values:
        fail("no facts given: use --set ITEM=VALUE or --file")
    with clear_errors():
        flow_run = find_run(run)
        plan = plan_of(flow_run)
        known = {i.id for i in plan.checklist}
        if unknown := sorted(set(values) - known):
            fail(f"unknown checklist item(s) {unknown} for {plan.category}; known: {', '.join(sorted(known))}")
        if waiting_gate(flow_run) == GATE_VERIFICATION:
            resume(flow_run, {**values, "verified_by": by, "source": source, "sources": {}})
            typer.echo(f"verification submitted to {flow_run.name}: {len(values)} item(s)")
            return
        incident = incident_of(flow_run)
    correction = run_deployment(
        "koreksi-fakta/koreksi",
        parameters={"incident_id": incident.id, "facts": values, "source": source, "verified_by": by},
        timeout=0,
    )
    typer.echo(f"correction run {correction.name} ({correction.id}) records {len(values)} fact(s) for {incident.id}")


@app.command()
def ack(run: Run, by: By) -> None:
    """Acknowledge your call to the crisis team (stops escalation to your deputy)."""
    from pasopati.db import get_database
    from pasopati.runs import find_run, incident_of
    from pasopati.team.service import acknowledge

    with clear_errors():
        incident = incident_of(find_run(run))
        typer.echo(acknowledge(get_database(), incident, by, via="cli"))


@app.command()
def close(run: Run, by: By, reason: Annotated[str, typer.Option(help="Why the crisis is over.")]) -> None:
    """Close the crisis: update reminders stop."""
    from pasopati.db import get_database
    from pasopati.incidents import service as incidents
    from pasopati.runs import find_run, incident_of

    with clear_errors():
        flow_run = find_run(run)
        incident = incident_of(flow_run)
        closed = incidents.close(get_database(), incident.id, by=by, reason=reason, flow_run_id=str(flow_run.id))
    typer.echo(f"incident {incident.id} closed by {by}: {reason}" if closed else f"incident {incident.id} was already closed (nothing changed)")
