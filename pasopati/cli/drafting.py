"""Commands for reading the words: ``preview`` (a runbook cell's messages without a run) and
``show`` (what a waiting run asks its approvers to approve, with the diff to the last revision)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from pasopati.cli.common import app, clear_errors, fail
from pasopati.cli.options import CategoryOption, SeverityOption, UnitOption

FACTS_LIMIT = 64_000  # bytes


@app.command()
def preview(
    category: CategoryOption,
    severity: SeverityOption,
    unit: UnitOption,
    summary: Annotated[str, typer.Option(help="The reporter's claim (appears only in the internal report).")],
    facts: Annotated[Path | None, typer.Option(help="YAML/JSON mapping ITEM: VALUE or ITEM: {value, source}.")] = None,
    format_: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Render every message of CATEGORY × SEVERITY as a run would draft it, without starting a run."""
    from pydantic import ValidationError

    from pasopati.drafts.preview import reviewed_preview
    from pasopati.plan.catalog import catalog

    if format_ not in {"text", "json"}:
        fail(f"--format {format_!r}: use text or json")
    given: object = {}
    if facts is not None:
        try:
            raw = facts.read_bytes()[:FACTS_LIMIT + 1]
            if len(raw) > FACTS_LIMIT:
                fail(f"--facts {facts}: more than {FACTS_LIMIT} bytes; a facts file is a few lines")
            given = yaml.safe_load(raw.decode("utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
            fail(f"--facts {facts}: {exc}")
        if not isinstance(given, dict):
            fail(f"--facts {facts}: expected a mapping ITEM: VALUE, got {type(given).__name__}")
    with clear_errors():
        try:
            drafts = reviewed_preview(catalog(), category, severity, unit, summary, {str(k): v for k, v in given.items()})  # type: ignore[union-attr]
        except ValidationError as exc:  # the trigger's fields (--summary, --unit)
            fail("; ".join(f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        except ValueError as exc:  # an unknown item, a source the runbook does not accept, a bad shape
            fail(f"--facts: {exc}")
    if format_ == "json":
        typer.echo(json.dumps([
            {"message_type": d.message_type.value, "language": d.language, "channels": d.channels, "words": len(d.body.split()),
             "fact_versions": d.fact_versions, "body": d.body, **review.as_dict()}
            for d, review in drafts
        ], ensure_ascii=False, indent=2))
        return
    for draft, review in drafts:
        typer.echo(f"--- {draft.message_type.value} ({draft.language}) → {', '.join(draft.channels)} · {len(draft.body.split())} kata\n{draft.body}")
        for line in review.lines():
            typer.echo(line)


@app.command()
def show(
    run: Annotated[str, typer.Argument(help="Flow run id or name.")],
    gate: Annotated[str | None, typer.Option(help="An approval gate (persetujuan-awal, persetujuan-lengkap, persetujuan-koreksi):"
                                                  " its latest texts, whether or not the run waits there now.")] = None,
) -> None:
    """Print the drafts a run waits for a decision on, the round and hash to decide with, and each
    draft's diff to its previous revision; with --gate, that gate's latest texts; at a redraft
    gate (revisi-…), the texts sent back and what the approver asked for."""
    from pasopati.db import get_database
    from pasopati.decisions import service as decisions
    from pasopati.decisions.gates import APPROVAL_GATES, REVISION_PREFIX, gate_of
    from pasopati.decisions.models import Verdict, gate_text_hash, short_hash
    from pasopati.drafts.review import reviews
    from pasopati.drafts.service import get
    from pasopati.plan.catalog import catalog
    from pasopati.runs import (
        awaiting_drafts,
        find_run,
        incident_of,
        waiting_key,
        waiting_run,
    )

    if gate is not None and gate not in APPROVAL_GATES:
        fail(f"--gate {gate!r}: expected one of {', '.join(APPROVAL_GATES)}")
    with clear_errors():
        flow_run = find_run(run)
        waits = waiting_key(flow_run) or ""
        if gate is None and gate_of(waits).startswith(REVISION_PREFIX):
            # Waiting for a redraft: the texts the approver sent back, and why (read only).
            gate = gate_of(waits).removeprefix(REVISION_PREFIX)
            asked = [d for d in decisions.decisions(get_database(), incident_of(flow_run).id)
                     if d.gate == gate and d.verdict is Verdict.REQUEST_CHANGES and d.accepted]
            typer.echo(f"waiting  {gate_of(waits)}: the drafter revises these texts (pasopati revise {flow_run.id} …)")
            if asked:
                typer.echo(f"asked    {asked[-1].approver}: {asked[-1].reason}")
        if gate is None:
            flow_run = waiting_run(run, set(APPROVAL_GATES))
        key = waiting_key(flow_run) or ""
        if gate and gate_of(key) != gate:
            key = f"{gate} (the run does not wait here now: read only)"
        db = get_database()
        texts = awaiting_drafts(db, incident_of(flow_run), gate or gate_of(key))
        text_hash = gate_text_hash(texts)
        approved = decisions.approvers_of_all(db, texts)
        parents = {d.id: get(db, d.parent_id) if d.parent_id else None for d in texts}
        checked = reviews(db, incident_of(flow_run), texts, catalog())
    typer.echo(f"run      {flow_run.name} ({flow_run.id})\nround    {key}\nhash     {short_hash(text_hash)}  (full: {text_hash})")
    typer.echo(f"approved {', '.join(approved) or '-'}")
    for draft in texts:
        author = f" · revisi {draft.revision} oleh {draft.author}" if draft.revision > 1 else ""
        typer.echo(f"\n--- {draft.message_type.value} ({draft.language}) → {', '.join(draft.channels)}  [{draft.id}]{author}\n{draft.body}")
        # What would refuse an approval of this text now: the reviewer sees it before deciding.
        for line in checked[draft.id].lines():
            typer.echo(line)
        if (parent := parents[draft.id]) is not None:
            diff = difflib.unified_diff(parent.body.splitlines(), draft.body.splitlines(), f"revisi {parent.revision}", f"revisi {draft.revision}", lineterm="")
            typer.echo("--- perubahan dari revisi sebelumnya\n" + "\n".join(diff))
    typer.echo(f"\ndecide: pasopati approve {flow_run.id} --by NAME --code CODE --hash {short_hash(text_hash)} --round {key}")
