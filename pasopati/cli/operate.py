"""The media-center operator's commands: start everything, trigger a runbook, see where runs are."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from pasopati.cli.common import app, clear_errors, fail, parse_pairs
from pasopati.cli.options import (
    CategoryOption,
    EnglishValues,
    SeverityOption,
    UnitOption,
)
from pasopati.plan.catalog import CatalogError, catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.settings import get_settings
from pasopati.time import utcnow

runbooks_app = typer.Typer(no_args_is_help=True, help="Inspect and validate runbooks.")
app.add_typer(runbooks_app, name="runbooks")


@app.command()
def up() -> None:
    """Start everything: Prefect server + UI (SQLite), the store, all 20 runbook deployments."""
    from pasopati.launcher import up as launch

    with clear_errors():
        launch()


@app.command()
def serve() -> None:
    """Serve the 20 runbook deployments against PREFECT_API_URL (server started elsewhere)."""
    try:
        load_catalog()
    except CatalogError as exc:
        fail(str(exc))
    # The flows are served by their own module (the core never imports them): this process becomes it.
    os.execv(sys.executable, [sys.executable, "-m", "flows.serve"])


@app.command()
def intake() -> None:
    """Serve the alert intake (POST /alerts) on PASOPATI_INTAKE_PORT."""
    from pasopati.intake.server import serve_intake

    with clear_errors():
        load_catalog()
        serve_intake()


@app.command()
def classify() -> None:
    """Classify alerts: JSON lines (with `text`, optional other alert fields) on stdin, one JSON
    line per alert on stdout with category, severity, unit, action and the reasons."""
    from pasopati.alerts.classify import classify_stream, load_rules
    from pasopati.plan.gazetteer import default_gazetteer

    with clear_errors():
        roster = load_catalog().roster
        classify_stream(sys.stdin, sys.stdout, load_rules(), roster, default_gazetteer())  # units as intake finds them


@runbooks_app.command("check")
def runbooks_check() -> None:
    """Validate every runbook, the roster, channel config and templates; list each problem."""
    from pasopati.alerts.classify import load_rules

    with clear_errors():
        cat = load_catalog()
        load_rules()
    cells = len(cat.categories) * len(Severity)
    known = len(cat.roster.known_units())
    typer.echo(f"ok: {len(cat.categories)} categories × {len(Severity)} severities = {cells} runbooks, "
               f"{len(cat.roster.units)} units with their own team ({known} known with the gazetteer), "
               f"{len(cat.roster.people)} people, {len(cat.channels.channels)} channels")


@app.command()
def trigger(
    category: CategoryOption,
    severity: SeverityOption,
    unit: UnitOption,
    summary: Annotated[str, typer.Option(help="What the reporter says happened: a claim, quoted only in the internal report.")],
    fact: Annotated[list[str], typer.Option(help="A confirmed checklist item: ITEM=VALUE (repeatable).")] = [],
    by: Annotated[str, typer.Option(help="Who reports: the source of the --fact values (one the runbook accepts for"
                                    " them, e.g. 'Kepala Lapas Garut'); the summary stays their claim.")] = "Media Center PASOPATI",
    detected_at: Annotated[str | None, typer.Option(help="When the crisis was detected: ISO 8601 ('2026-11-30T05:00+07:00')"
                                                  " or 'YYYY-MM-DD HH:MM' in the unit's zone; default now.")] = None,
    attach: Annotated[str | None, typer.Option(help="An incident is already open for this unit and category: keep this"
                                               " report with it (incident id or run id); no new run.")] = None,
    escalate: Annotated[str | None, typer.Option(help="Raise that open incident to --severity: its run is cancelled and"
                                                 " the --severity runbook carries the same incident.")] = None,
    new: Annotated[bool, typer.Option("--new", help="Open a new incident although one is open for this unit and"
                                      " category (with --reason).")] = False,
    reason: Annotated[str | None, typer.Option(help="Why --new: a separate crisis (recorded with the incident).")] = None,
) -> None:
    """Start the runbook for CATEGORY × SEVERITY and print the run's UI URL. The summary is the
    reporter's claim: it reaches the team and the internal report, never a public text as a fact.

    A trigger is matched like an alert: when an incident is open for the unit and category it is
    named and nothing starts until you choose --attach, --escalate or --new --reason. The run is
    requested through the store: if Prefect cannot take it now, it is retried until it starts
    (`pasopati starts` shows it)."""
    from pydantic import ValidationError

    from pasopati.facts.service import UnacceptedSource, reported_values
    from pasopati.incidents.models import Trigger
    from pasopati.incidents.service import build

    if sum(map(bool, (attach, escalate, new))) > 1:
        fail("--attach, --escalate and --new exclude each other: choose one")
    if new and not (reason or "").strip():
        fail("--new needs --reason: why this is a separate crisis (recorded with the new incident)")
    with clear_errors():
        cat = catalog()  # validated once per process (a CLI call is one process)
        plan = cat.plan(category, severity)
        try:
            request = Trigger(unit=unit, summary=summary, reported_facts=parse_pairs(fact, "--fact"), reported_by=by,
                              source="cli", detected_at=utcnow(), new_incident_reason=reason if new else None)
        except ValidationError as exc:
            fail("; ".join(f"--{_option_of(e['loc'])}: {e['msg']}" for e in exc.errors()))
        incident = build(plan, request, cat.roster)  # UnknownUnit names the units the roster knows
        if detected_at is not None:
            request.detected_at = parse_detected_at(detected_at, incident.timezone)
        try:
            reported_values(plan, request, incident.unit_name)  # UnknownChecklistItem names the known items
        except UnacceptedSource as exc:
            fail(f"--by {by!r}: {exc}")
        from pasopati.cli.starting import (
            attach_report,
            escalate_incident,
            open_and_start,
        )

        incident = incident.model_copy(update={"detected_at": request.detected_at})
        if attach:
            attach_report(attach, incident, request)
        elif escalate:
            escalate_incident(escalate, plan, incident, request)
        else:
            open_and_start(incident, plan, request)


def _option_of(loc: tuple[int | str, ...]) -> str:
    names = {"new_incident_reason": "reason", "reported_facts": "fact", "reported_by": "by"}
    return ".".join(names.get(str(p), str(p)) for p in loc)


@app.command()
def verify(
    run: Annotated[str, typer.Argument(help="Flow run id or name.")],
    set_: Annotated[list[str], typer.Option("--set", help="Verified checklist item: ITEM=VALUE (repeatable).")] = [],
    by: Annotated[str, typer.Option(help="Who verified (your name, as in the roster; a member of the crisis team).")] = ...,  # type: ignore[assignment]
    code: Annotated[str, typer.Option(help="Your TOTP code (6 digits, from your authenticator app).")] = ...,  # type: ignore[assignment]
    source: Annotated[str, typer.Option(help="Main source: SDP, Polres, RSUD, BMKG…")] = ...,  # type: ignore[assignment]
    source_for: Annotated[list[str], typer.Option(help="A different source for one item: ITEM=SOURCE.")] = [],
    set_en: EnglishValues = [],
) -> None:
    """Submit verified facts to a run waiting at verification."""
    from pasopati.cli.gates import verify_facts

    verify_facts(run, by, code, source, parse_pairs(set_, "--set"), parse_pairs(source_for, "--source-for"), parse_pairs(set_en, "--set-en"))


@app.command("pending")
def pending_runs() -> None:
    """List the runs waiting for a person: gate, who must act, since when (oldest first); and the
    gates that EXPIRED (Prefect's wait limit passed undecided), which an operator continues with
    `pasopati reopen RUN`."""
    from pasopati.db import get_database
    from pasopati.runs import expired_gates, pending
    from pasopati.starts import service as starts

    with clear_errors():
        waiting_starts = starts.unstarted(get_database())  # from the store: shown even while Prefect is down
    for start in waiting_starts:
        typer.echo(f"{start.requested_at.astimezone():%Y-%m-%d %H:%M}  {'RUN NOT STARTED':<24} {start.deployment:<38} "
                   f"{start.flow_run_name or ''} — incident {start.incident_id}: {start.status.value}, {start.attempts} tries"
                   f" ({(start.last_error or '')[:80]})  → {start.retry_command}")
    with clear_errors():
        items = sorted([*pending(), *expired_gates()], key=lambda p: p.since)
    from pasopati.runs import unpublished

    with clear_errors():
        stuck = unpublished()
    if not items and not stuck and not waiting_starts:
        typer.echo("nothing is waiting")
    for item in items:
        since = item.since.astimezone().strftime("%Y-%m-%d %H:%M")
        gate = f"{item.gate} EXPIRED {item.expired_at.astimezone():%Y-%m-%d %H:%M}" if item.expired_at else item.gate
        typer.echo(
            f"{since}  {item.run:<24} {gate:<20} {item.category}/{item.severity:<10} "
            f"{item.unit}  → {item.waiting_for}"
        )
    for entry in stuck:  # publications not fully out: an operator finishes them (a command that works as printed)
        if entry.ambiguous:
            todo = f"publish resolve {entry.flow_run_id} --channel {entry.channel} --sent URL|--not-sent --reason ALASAN"
        else:
            todo = f"publish retry {entry.flow_run_id} --channel {entry.channel}{' --include-refused' if entry.refused else ''}"
        typer.echo(f"{'publikasi':<16}  {entry.run:<24} {entry.channel:<20} {entry.label}  → pasopati {todo} --by NAMA --code KODE"
                   f"  ({(entry.error or '')[:120]})")


@app.command()
def reopen(run: Annotated[str, typer.Argument(help="The run whose gate expired: its id or name.")]) -> None:
    """Continue the incident of a run whose gate EXPIRED, at the same gate: a new run of the same
    runbook for the same incident. Nothing already published or notified goes out again; the gate
    opens a new round. Recorded in the audit log as done by `operator:<your OS user>`."""
    import getpass

    from pasopati.runs import reopen as reopen_run

    with clear_errors():
        started = reopen_run(run, by=f"operator:{getpass.getuser()}")
    typer.echo(f"reopened: started {started.name} ({started.id}); it waits at the gate that expired")
    typer.echo(f"{get_settings().ui_url}/runs/flow-run/{started.id}")


@app.command()
def status(run: Annotated[str, typer.Argument(help="Flow run id or name.")]) -> None:
    """Show where a run is: state, the gate it waits at, its incident and publications."""
    from pasopati.runs import describe

    with clear_errors():
        typer.echo(describe(run))


def parse_detected_at(text: str, timezone: str) -> datetime:
    """``--detected-at``: ISO 8601 with a zone, or a naive 'YYYY-MM-DD HH:MM' in the unit's zone; never
    in the future (a clock five minutes fast is tolerated). Fails naming the option."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"--detected-at {text!r}: not a date and time (use 2026-11-30T05:00+07:00 or '2026-11-30 05:00')")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    if moment > utcnow() + timedelta(minutes=5):
        fail(f"--detected-at {text!r}: in the future")
    return moment.astimezone(UTC)

