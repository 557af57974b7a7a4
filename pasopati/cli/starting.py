"""Starting runs from the command line: `pasopati trigger`'s three answers to an open incident, and
``pasopati starts``: the run starts Prefect has not taken yet, and trying them again."""

from __future__ import annotations

from typing import Annotated

import typer

from pasopati.audit.service import system
from pasopati.cli.common import app, clear_errors, fail
from pasopati.db import get_database
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Trigger
from pasopati.plan.runbook import RunbookPlan
from pasopati.runs import deployment_name, start_labels
from pasopati.settings import get_settings
from pasopati.starts import prefect as run_starts
from pasopati.starts import service as starts
from pasopati.starts.models import RunStart, StartStatus
from pasopati.time import utcnow

OPERATOR = system("cli")

starts_app = typer.Typer(invoke_without_command=True, help="Run starts Prefect has not taken yet: list them, try again.")
app.add_typer(starts_app, name="starts")


def open_and_start(incident: Incident, plan: RunbookPlan, trigger: Trigger) -> None:
    """Open the incident and request its run in one act (``starts.open_and_request``), then try the
    run. Refused, naming the open incident and the three choices, when one is open for the unit and
    category and no --new reason is given. A run Prefect cannot take now stays requested: the intake
    service retries it (`pasopati starts`), and the exit code is 3."""
    db = get_database()
    try:
        start = starts.open_and_request(
            db, incident, trigger, deployment_name(plan.category, plan.severity), by=trigger.reported_by,
            beside_since=utcnow() - incidents.correlation_window(), **start_labels(incident, "cli"),
        )
    except incidents.OpenIncidentExists as exists:
        found = exists.incident
        fail(f"{exists}:\n"
             f"  pasopati trigger … --attach {found.id}      keep this report with it (no new run)\n"
             f"  pasopati trigger … --escalate {found.id}    raise it to --severity (its run is cancelled, one run carries it)\n"
             f"  pasopati trigger … --new --reason \"…\"       a separate crisis at the same unit")
    _report(run_starts.attempt(db, start, run_starts.PrefectRuns()), incident.id)


def _same_crisis(option: str, ref: str, found: Incident, reported: Incident) -> None:
    """--attach/--escalate only to the open incident of the reported unit and category."""
    if (found.unit_id, found.category) != (reported.unit_id, reported.category):
        fail(f"{option} {ref}: incident {found.id} is {found.unit_name} · {found.category}, this report is"
             f" {reported.unit_name} · {reported.category}; attach or escalate only the same unit's incident of that category")


def attach_report(ref: str, reported: Incident, trigger: Trigger) -> None:
    db = get_database()
    incident = incidents.resolve(db, ref)
    _same_crisis("--attach", ref, incident, reported)
    kept = incidents.attach_report(db, incident.id, trigger, by=OPERATOR)
    typer.echo(f"report kept with incident {kept.id} ({kept.severity.value}); no new run")
    if kept.flow_run_id:
        typer.echo(f"{get_settings().ui_url}/runs/flow-run/{kept.flow_run_id}")


def escalate_incident(ref: str, plan: RunbookPlan, reported: Incident, trigger: Trigger) -> None:
    db = get_database()
    incident = incidents.resolve(db, ref)
    _same_crisis("--escalate", ref, incident, reported)
    reason = f"escalated from {incident.severity.value} to {plan.severity.value} by an operator's report"
    carried = trigger.model_copy(update={"summary": incident.summary})
    escalated, start = starts.escalate_and_request(
        db, incident.id, plan.severity, deployment_name(plan.category, plan.severity), carried, by=OPERATOR, reason=reason,
        **start_labels(incident.model_copy(update={"severity": plan.severity}), "cli"),
    )
    typer.echo(f"incident {escalated.id}: {reason}")
    _report(run_starts.attempt(db, start, run_starts.PrefectRuns()), escalated.id, opened=False)


def _report(start: RunStart, incident_id: str, *, opened: bool = True) -> None:
    if start.status is StartStatus.STARTED:
        typer.echo(f"started {start.flow_run_name or start.deployment} ({start.flow_run_id}) for incident {incident_id}")
        typer.echo(f"{get_settings().ui_url}/runs/flow-run/{start.flow_run_id}")
        return
    typer.echo(f"incident {incident_id} {'opened' if opened else 'escalated'}; its run did not start yet: {start.last_error}")
    if start.status is StartStatus.FAILED:
        typer.echo(f"Prefect refused it; after fixing the cause: {start.retry_command}")
    else:
        typer.echo(f"the intake service retries it until it starts (`pasopati starts` shows it); now: {start.retry_command}")
    raise typer.Exit(3)


@starts_app.callback()
def list_starts(ctx: typer.Context) -> None:
    """List every run start Prefect has not taken yet: when asked, tries, the last error, and the
    command that tries again now."""
    if ctx.invoked_subcommand is not None:
        return
    with clear_errors():
        waiting = starts.unstarted(get_database())
    if not waiting:
        typer.echo("every requested run has started")
        return
    for start in waiting:
        typer.echo(f"{start.id}  {start.status.value}  {start.deployment}  incident {start.incident_id}")
        typer.echo(f"    requested {start.requested_at:%Y-%m-%d %H:%M:%S} UTC by {start.requested_by}; {start.attempts} tries;"
                   f" last: {start.last_error or '-'}")
        when = f"next try {start.next_attempt_at:%H:%M:%S} UTC; " if start.status is StartStatus.PENDING else ""
        typer.echo(f"    {when}now: {start.retry_command}")


@starts_app.command("retry")
def retry(
    start_id: Annotated[str | None, typer.Argument(help="The start's id (from `pasopati starts`).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every run start not taken yet.")] = False,
) -> None:
    """Ask Prefect again now (the same request: never a second run for it)."""
    if bool(start_id) == all_:
        fail("give a start id or --all")
    with clear_errors():
        db = get_database()
        try:
            chosen = [starts.get(db, start_id)] if start_id else starts.unstarted(db)
        except starts.StartNotFound as exc:
            fail(str(exc.args[0]))
        failed = 0
        for start in chosen:
            done = run_starts.attempt(db, starts.retry(db, start.id, by=OPERATOR), run_starts.PrefectRuns())
            state = (f"started {done.flow_run_id}" if done.status is StartStatus.STARTED
                     else f"not started ({done.status.value}): {done.last_error or 'never to start'}")
            failed += done.status is not StartStatus.STARTED
            typer.echo(f"{done.id}: {state}")
    if failed:
        raise typer.Exit(3)
