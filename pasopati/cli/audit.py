"""``pasopati audit``: the auditors' read-only view — list incidents, read one's timeline, export a
bundle, verify the chain. Opens the store read-only; never needs write access (README "Auditors")."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from pasopati.cli.common import app, clear_errors, fail
from pasopati.settings import get_settings
from pasopati.time import utcnow

audit_app = typer.Typer(no_args_is_help=True, help="Read-only audit history: list, show, export, verify.")
app.add_typer(audit_app, name="audit")

# A chain younger than this may not be anchored yet (the watcher anchors every PASOPATI_WATCH_SECONDS).
ANCHOR_GRACE = timedelta(minutes=10)
# Dates on the command line are calendar days at the media center (Jakarta, WIB).
DAY_ZONE = ZoneInfo("Asia/Jakarta")
Formats = ("text", "md", "csv", "json", "pdf")


def _db():  # type: ignore[no-untyped-def]
    from pasopati.db import get_database

    return get_database(read_only=True)


def _day(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        day = datetime.combine(date.fromisoformat(value), time(), DAY_ZONE)
        day.astimezone(ZoneInfo("UTC")) + timedelta(days=1)  # stored and compared in UTC: must fit
        return day
    except (ValueError, OverflowError):
        fail(f"{option} {value!r}: expected a date YYYY-MM-DD between 0001-01-02 and 9999-12-30")


def _roster_id(value: str | None, kind: str) -> str | None:
    """A unit (name, id or short form) or Kanwil (id, name, or a word of it such as the province)
    from the roster; anything else is an error listing what the roster knows."""
    if value is None:
        return None
    from pasopati.plan.catalog import catalog

    roster = catalog().roster
    if kind == "unit":
        unit = roster.find_unit(value)
        if unit is None:
            fail(f"--unit {value!r}: not a unit of the roster; known: {', '.join(u.name for u in roster.units)}")
        return unit.id
    wanted = " ".join(value.casefold().removeprefix("kanwil").split())
    matches = [k for k in roster.kanwil if wanted in {k.id.casefold(), k.name.casefold()} or wanted in f"{k.name} {k.province}".casefold()]
    if len(matches) != 1:
        known = ", ".join(f"{k.id} ({k.province})" for k in roster.kanwil)
        fail(f"--kanwil {value!r}: {'matches more than one' if matches else 'not a Kanwil of the roster'}; known: {known}")
    return matches[0].id


@audit_app.command("list")
def list_incidents(
    since: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, WIB).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="Last day, inclusive (YYYY-MM-DD, WIB).")] = None,
    category: Annotated[str | None, typer.Option(help="Category id, e.g. keamanan-ketertiban.")] = None,
    severity: Annotated[str | None, typer.Option(help="ringan, sedang, berat or luar-biasa.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit name or id.")] = None,
    kanwil: Annotated[str | None, typer.Option(help="Kanwil name or id.")] = None,
    state: Annotated[str | None, typer.Option(help="open or closed.")] = None,
) -> None:
    """Incidents, newest first, with their state and number of runs."""
    from pasopati.incidents import service as incidents
    from pasopati.incidents.models import IncidentState
    from pasopati.plan.catalog import catalog
    from pasopati.plan.runbook import Severity

    if category is not None and category not in catalog().categories:
        fail(f"--category {category!r}: expected one of {', '.join(catalog().categories)}")
    if severity is not None and severity not in {s.value for s in Severity}:
        fail(f"--severity {severity!r}: expected one of {', '.join(s.value for s in Severity)}")
    if state is not None and state not in {s.value for s in IncidentState}:
        fail(f"--state {state!r}: expected open or closed")
    end = _day(until, "--to")
    with clear_errors():
        rows = incidents.search(
            _db(), since=_day(since, "--from"), until=end + timedelta(days=1) if end else None, category=category,
            severity=severity, unit=_roster_id(unit, "unit"), kanwil=_roster_id(kanwil, "kanwil"),
            state=IncidentState(state) if state else None,
        )
    if not rows:
        typer.echo("no incidents match")
    for row in rows:
        i = row.incident
        opened = i.opened_at.astimezone(ZoneInfo(i.timezone)).strftime("%Y-%m-%d %H.%M")
        typer.echo(f"{i.id}  {opened}  {row.state.value:<6} {i.category}/{i.severity.value:<10} {i.unit_name} ({i.kanwil_name})  runs:{row.runs}  {i.summary[:60]}")


@audit_app.command("show")
def show(
    incident: Annotated[str, typer.Argument(help="Incident id (or 8+ leading characters, or a run id).")],
    fmt: Annotated[str, typer.Option("--format", help="text, md, csv or json.")] = "text",
    fact: Annotated[str | None, typer.Option(help="Only the trail of one checklist item: its versions, the drafts stating it, their decisions and publications.")] = None,
    upto: Annotated[int | None, typer.Option(min=0, max=2**62, help="Only events up to this chain position (as an artifact showed them).")] = None,
) -> None:
    """The incident's timeline in its unit's time zone: time, actor, event, details, run link,
    and the exact texts published on each channel."""
    from pasopati.audit import service as audit
    from pasopati.audit.timeline import build, render
    from pasopati.incidents import service as incidents
    from pasopati.settings import get_settings

    if fmt not in ("text", "md", "csv", "json"):
        fail(f"--format {fmt!r}: expected text, md, csv or json (pdf: use `pasopati audit export`)")
    with clear_errors():
        db = _db()
        found = incidents.resolve(db, incident)
        events = audit.events(db, incident_id=found.id, upto=upto)
    if fact is not None:
        stated = {e.details.get("item") for e in events if e.kind == "fact.recorded"}
        if fact not in stated:
            fail(f"--fact {fact!r}: no version of that item was recorded for this incident; recorded: {', '.join(sorted(s for s in stated if s)) or 'none'}")
        events = trail(events, fact)
    settings = get_settings()
    sys.stdout.buffer.write(render(build(events, incidents.subject(found), settings.ui_url, settings.templates_dir), fmt, settings.templates_dir))  # type: ignore[arg-type]


def trail(events: list, item: str) -> list:  # type: ignore[type-arg]
    """One figure's trail: its versions, drafts that state it, decisions on those drafts, their publications."""
    drafts = {e.details["draft_id"] for e in events if e.kind == "draft.created" and item in e.details.get("fact_versions", {})}
    keep = []
    for e in events:
        d = e.details
        if (
            (e.kind == "fact.recorded" and d.get("item") == item)
            or (e.kind == "draft.created" and d.get("draft_id") in drafts)
            or (e.kind == "decision.recorded" and drafts & set(d.get("drafts", {})))
            or (e.kind.startswith("publication.") and d.get("draft_id") in drafts)
        ):
            keep.append(e)
    return keep


@audit_app.command("export")
def export(
    incident: Annotated[str | None, typer.Argument(help="Incident id (or prefix, or a run id); omit with --all.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every incident and the whole chain.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="Timeline format inside the bundle: csv, json, md, pdf or text.")] = "pdf",
    out: Annotated[Path | None, typer.Option(help="Bundle path (.zip); default audit-<incident|all>-<time>.zip here.")] = None,
) -> None:
    """A zip bundle: the events as chained, readable timelines and a manifest of hashes
    (check it anywhere with `pasopati audit verify --bundle FILE`)."""
    from pasopati.audit import service as audit
    from pasopati.audit.anchors import read_anchors, store_id
    from pasopati.audit.export import write_bundle
    from pasopati.incidents import service as incidents
    from pasopati.settings import get_settings
    from pasopati.time import utcnow

    if fmt not in Formats:
        fail(f"--format {fmt!r}: expected one of {', '.join(Formats)}")
    if all_ == (incident is not None):
        fail("give an INCIDENT or --all (not both)")
    with clear_errors():
        db = _db()
        head = audit.head(db)  # first: events appended meanwhile are not in this bundle, and its head says so
        if all_:
            subjects = [incidents.subject(r.incident) for r in reversed(incidents.search(db))]
            events = audit.events(db, upto=head[0])
        else:
            found = incidents.resolve(db, incident or "")
            subjects, events = [incidents.subject(found)], audit.events(db, incident_id=found.id, upto=head[0])
        anchors = _anchors_or_none(db, read_anchors)
        settings = get_settings()
        name = "all" if all_ else subjects[0].id[:8]
        path = out or Path(f"audit-{name}-{utcnow():%Y%m%dT%H%M%SZ}.zip")
        if path.exists():
            fail(f"--out {path}: exists; an export never overwrites a file (choose another name)")
        manifest = write_bundle(
            path, events, subjects, fmt=fmt, full_chain=all_, store_id=store_id(db), store_head=head,  # type: ignore[arg-type]
            anchors=anchors or [], ui_url=settings.ui_url, templates_dir=settings.templates_dir,
        )
    typer.echo(f"wrote {path}: {manifest['events']['count']} events, {len(subjects)} incident(s), timelines as {fmt}")


def _anchors_or_none(db, read):  # type: ignore[no-untyped-def]
    """Anchors from the Prefect server, or None with a note when it cannot be reached.
    A planted, malformed anchor is not "unreachable": it fails (MalformedAnchor propagates)."""
    from pasopati.audit.anchors import MalformedAnchor

    try:
        return read(db)
    except MalformedAnchor:
        raise
    except Exception as exc:  # noqa: BLE001  an unreachable server must not stop an export
        typer.echo(f"note: anchors not read from Prefect ({type(exc).__name__}: {str(exc)[:200]})", err=True)
        return None


@audit_app.command("verify")
def verify(
    bundle: Annotated[Path | None, typer.Option(help="Check an exported bundle on its own instead of the store.")] = None,
    anchors: Annotated[bool, typer.Option(help="Also compare with the anchors on the Prefect server (--no-anchors: the chain alone).")] = True,
) -> None:
    """Recompute the hash chain; name the first altered, missing, inserted or reordered row, and
    compare every anchor on the Prefect server. Exit 1 when anything is wrong or cannot be checked."""
    if bundle is not None:
        from pasopati.audit.export import verify_bundle

        check = verify_bundle(bundle)
        if not check.ok:
            typer.echo(f"FAILED: {bundle}: {check.problem}", err=True)
            raise typer.Exit(1)
        typer.echo(f"ok: {bundle}: {check.events} events of {check.incidents} incident(s) verify (hashes, links, files)")
        _compare_bundle(bundle)
        return
    from pasopati.audit import service as audit
    from pasopati.audit.anchors import MalformedAnchor, read_anchors

    with clear_errors():
        db = _db()
        try:
            known = _anchors_or_none(db, read_anchors) if anchors else None
        except MalformedAnchor as exc:
            typer.echo(f"FAILED: {exc}: the anchors on the Prefect server were tampered with", err=True)
            raise typer.Exit(1) from exc
        report = audit.verify(db, anchors=known)
        oldest = audit.events(db, upto=1)
    if report.problem is not None:
        typer.echo(f"FAILED at row {report.problem.seq}: {report.problem.message}", err=True)
        raise typer.Exit(1)
    if anchors and known is None:
        typer.echo(
            f"NOT VERIFIED: the chain of {report.events} events is intact, but the anchors on the Prefect server could"
            " not be read, so a consistent rewrite of the whole store would go unseen. Retry with the server up,"
            " or pass --no-anchors to accept the chain alone.",
            err=True,
        )
        raise typer.Exit(1)
    rate = report.events / report.seconds if report.seconds else 0
    grace = max(ANCHOR_GRACE, timedelta(seconds=3 * get_settings().watch_seconds))
    if known == [] and oldest and utcnow() - oldest[0].at > grace:
        typer.echo(
            f"FAILED: the chain has {report.events} events since {oldest[0].at:%Y-%m-%d %H:%M} UTC but the Prefect server holds"
            " no anchor of this store: anchoring never ran, or the store's identity or the server was changed",
            err=True,
        )
        raise typer.Exit(1)
    if known is None:
        anchored = ", anchors not checked (--no-anchors)"
    elif not known:
        anchored = ", no anchors written yet (the watcher writes one a minute)"
    else:
        anchored = f", {report.anchors_checked} anchor(s) match"
    typer.echo(f"ok: {report.events} events, head {report.head_seq} {report.head_hash[:16]}…{anchored} ({rate:,.0f} events/s)")


def _compare_bundle(bundle: Path) -> None:
    """Where this machine has the store the bundle came from, its events must be the store's rows:
    a bundle rewritten consistently verifies on its own, but not against the store."""
    from pasopati.audit.anchors import store_id
    from pasopati.audit.export import bundle_events, compare_with_store
    from pasopati.audit.service import hashes_between

    source, events = bundle_events(bundle)
    try:
        db = _db()
        here = store_id(db)
    except Exception as exc:  # noqa: BLE001  no store here is normal for an auditor's own machine
        typer.echo(f"note: not compared with a store ({type(exc).__name__}: {str(exc)[:200]})", err=True)
        return
    if here != source:
        typer.echo(f"note: not compared with a store (the bundle comes from store {source}, this is {here})", err=True)
        return
    seqs = [e.seq for e in events]
    stored = hashes_between(db, min(seqs), max(seqs)) if seqs else {}
    if problem := compare_with_store(events, stored):
        typer.echo(f"FAILED: {bundle}: {problem.message}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: and every event matches the store {db.describe()}")


@audit_app.command("anchor")
def anchor() -> None:
    """Copy the chain head to the Prefect server now (the watcher does it every minute)."""
    from pasopati.audit.anchors import write_anchor

    with clear_errors():
        written = write_anchor(_db(), only_if_moved=False)
    typer.echo(f"anchored event {written.seq} {written.hash[:16]}…" if written else "the chain is empty: nothing to anchor")
