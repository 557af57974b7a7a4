"""``pasopati`` commands at the human gates: read the drafts, decide, redraft, verify and correct
facts, acknowledge, close.

Every act needs proof, not a name: ``--code`` is the TOTP code from the person's authenticator app
(``pasopati people enrol``). The act is checked and recorded in the store first — refused ones
too, with what was claimed — and only then is the waiting run woken (it reads the act from the
store). A decision names the text it decides on (``--hash``, from ``pasopati show RUN``): if the
text changed since it was read, the decision is refused. Two decisions at once: the first takes
effect, the second is refused and its caller told by whom the round was decided.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from pasopati.cli.common import app, clear_errors, fail, parse_pairs, received_at
from pasopati.cli.options import EnglishValues

Run = Annotated[str, typer.Argument(help="Flow run id or name.")]
By = Annotated[str, typer.Option("--by", help="Your name, as in the roster.")]
Code = Annotated[str, typer.Option("--code", help="Your TOTP code (6 digits, from your authenticator app).")]
TextHash = Annotated[str, typer.Option("--hash", help="The text hash `pasopati show RUN` showed you (12+ hex digits).")]
Round = Annotated[str | None, typer.Option("--round", help="The round you decide at, as `pasopati show` showed it (default: the one open now).")]


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


def _prover():  # type: ignore[no-untyped-def]
    from pasopati.identity.prover import Prover

    # The code was typed before the command started: not after its imports and the store's lock.
    return Prover(received_at=received_at())


def _decide(
    run: str, verdict: str, by: str, code: str, text_hash: str, reason: str, texts: dict[str, str] | None = None, round_: str | None = None,
    override: str = "",
) -> None:
    from pasopati.db import clean_text, get_database
    from pasopati.decisions import service as decisions
    from pasopati.decisions.gates import APPROVAL_GATES, gate_of
    from pasopati.decisions.models import ApprovalAnswer, Verdict
    from pasopati.forms import text_field
    from pasopati.plan.catalog import catalog
    from pasopati.runs import (
        awaiting_drafts,
        find_run,
        incident_of,
        plan_of,
        ring,
        waiting_key,
        waiting_run,
    )

    by, reason = clean_text(by), clean_text(reason)
    texts = {k: clean_text(v) for k, v in (texts or {}).items()}
    with clear_errors():
        db = get_database()
        # With --round the store decides whether that round is still open (another decision may have
        # just closed it and woken the run): the caller is then told who decided, not "not waiting".
        flow_run = find_run(run) if round_ else waiting_run(run, set(APPROVAL_GATES))
        key = round_ or waiting_key(flow_run) or ""
        gate = gate_of(key)
        if gate not in APPROVAL_GATES:
            fail(f"--round {key!r} is not an approval round (rounds look like {APPROVAL_GATES[0]}, {APPROVAL_GATES[0]}-ke-2)")
        incident, plan = incident_of(flow_run), plan_of(flow_run)
        seed = awaiting_drafts(db, incident, gate)
        by_field = {text_field(d): d for d in seed}
        if unknown := sorted(set(texts) - set(by_field)):
            fail(f"no draft {[u.removeprefix('teks_') for u in unknown]} awaits approval here; awaiting: "
                 f"{[f.removeprefix('teks_') for f in by_field]}")
        answer = ApprovalAnswer(
            verdict=Verdict(verdict), approver=by, reason=reason, edits={by_field[f].id: t for f, t in texts.items()},
            via="cli", round_key=key, text_hash=text_hash, code=code, privacy_override=clean_text(override),
        )
        decision = decisions.submit(db, incident, plan, gate, seed, answer, catalog().roster, _prover())
        if not decision.accepted:
            fail(f"refused (recorded): {decision.refusal}")
        woke = ring(flow_run, key)
    typer.echo(f"{verdict} by {decision.approver} recorded for {flow_run.name} at {key} (decision #{decision.id}; {decision.proof}); {woke}")


Override = Annotated[str, typer.Option("--override-privacy", help="Why personal data the check found may be published"
                                      " (recorded; never lifts a child's identity, a NIK or a KK).")]


@app.command()
def approve(run: Run, by: By, code: Code, text_hash: TextHash,
            reason: Annotated[str, typer.Option(help="Note kept with the decision.")] = "", round_: Round = None,
            override: Override = "") -> None:
    """Approve the drafts a run is waiting on, exactly as shown by `pasopati show`."""
    _decide(run, "approve", by, code, text_hash, reason, round_=round_, override=override)


@app.command()
def edit(
    run: Run,
    by: By,
    code: Code,
    text_hash: TextHash,
    text: Annotated[list[str], typer.Option("--text", help="TYPE[/LANG]=PATH: publish this file's text instead (repeatable).")],
    reason: Annotated[str, typer.Option(help="Why the text was edited.")] = "",
    round_: Round = None,
    override: Override = "",
) -> None:
    """Approve with edits: the edited text is what gets published; the diff is kept."""
    _decide(run, "edit", by, code, text_hash, reason, _text_edits(text, "--text"), round_, override)


@app.command("request-changes")
def request_changes(run: Run, by: By, code: Code, text_hash: TextHash, reason: Annotated[str, typer.Option(help="What must change.")],
                    round_: Round = None) -> None:
    """Send the drafts back to drafting with a comment; they return for approval."""
    _decide(run, "request-changes", by, code, text_hash, reason, round_=round_)


@app.command()
def reject(run: Run, by: By, code: Code, text_hash: TextHash, reason: Annotated[str, typer.Option(help="Why (kept with the decision).")],
           round_: Round = None) -> None:
    """Reject: nothing awaiting at this gate is published and the run ends."""
    _decide(run, "reject", by, code, text_hash, reason, round_=round_)


@app.command()
def revise(
    run: Run,
    by: By,
    code: Code,
    text: Annotated[list[str], typer.Option("--text", help="TYPE[/LANG]=PATH: the revised text (repeatable).")] = [],
    note: Annotated[str, typer.Option(help="What was changed.")] = "",
) -> None:
    """Submit revised drafts after request-changes (texts not given are redrafted from current facts)."""
    from pasopati.db import get_database
    from pasopati.decisions import steps
    from pasopati.decisions.gates import (
        APPROVAL_GATES,
        REVISION_PREFIX,
        gate_of,
        revision_gate,
    )
    from pasopati.forms import text_field
    from pasopati.plan.catalog import catalog
    from pasopati.runs import (
        awaiting_drafts,
        incident_of,
        plan_of,
        ring,
        waiting_key,
        waiting_run,
    )
    from pasopati.team.service import team

    fields = _text_edits(text, "--text")
    with clear_errors():
        db = get_database()
        flow_run = waiting_run(run, {revision_gate(g) for g in APPROVAL_GATES})
        key = waiting_key(flow_run) or ""
        gate = gate_of(key)
        incident, plan = incident_of(flow_run), plan_of(flow_run)
        seed = awaiting_drafts(db, incident, gate)
        by_field = {text_field(d): d.id for d in seed}
        if unknown := sorted(set(fields) - set(by_field)):
            fail(f"--text: no draft {[u.removeprefix('teks_') for u in unknown]} is being revised here")
        crew = team(db, incident.id, incident.severity)
        assert crew is not None, "a run past its first approval assembled its team"
        outcome = steps.redraft(
            db, incident, plan, crew, gate, key, seed, {by_field[f]: t for f, t in fields.items()}, drafter=by, note=note,
            claim=steps.Claim(code=code), via="cli", roster=catalog().roster, prover=_prover(), cat=catalog(), from_run=False,
        )
        if outcome is None or not outcome.accepted:
            fail(f"refused (recorded): {outcome.refusal if outcome else 'round not open'}")
        woke = ring(flow_run, key)
    base = gate.removeprefix(REVISION_PREFIX)
    typer.echo(f"revision by {outcome.person} recorded for {flow_run.name}; back to {base}; {woke}")


def verify_facts(
    run: str, by: str, code: str, source: str, values: dict[str, str], sources: dict[str, str], values_en: dict[str, str],
) -> None:
    """Shared by `pasopati verify` and `pasopati facts` at the verification gate."""
    from pasopati.db import get_database
    from pasopati.decisions import steps
    from pasopati.decisions.gates import GATE_VERIFICATION
    from pasopati.facts.models import VerificationAnswers
    from pasopati.plan.catalog import catalog
    from pasopati.runs import incident_of, plan_of, ring, waiting_key, waiting_run

    with clear_errors():
        flow_run = waiting_run(run, {GATE_VERIFICATION})
        key = waiting_key(flow_run) or ""
        plan = plan_of(flow_run)
        known = {i.id for i in plan.checklist}
        if unknown := sorted((set(values) | set(sources) | set(values_en)) - known):
            fail(f"unknown checklist item(s) {unknown} for {plan.category}; known: {', '.join(sorted(known))}")
        answers = VerificationAnswers(values=values, values_en=values_en, verified_by=by, source=source, sources=sources, code=code,
                                      via="cli")
        outcome = steps.verify(get_database(), incident_of(flow_run), plan, key, answers, catalog().roster, _prover(), from_run=False)
        if outcome is None or not outcome.accepted:
            fail(f"refused (recorded): {outcome.refusal if outcome else 'round not open'}")
        woke = ring(flow_run, key)
    typer.echo(f"verification by {outcome.person} recorded for {flow_run.name}: {len(values)} item(s); {woke}")


@app.command()
def facts(
    run: Run,
    by: By,
    code: Code,
    source: Annotated[str, typer.Option(help="Where the figures come from: SDP, Polres, RSUD, BMKG…")],
    set_: Annotated[list[str], typer.Option("--set", help="ITEM=VALUE (repeatable).")] = [],
    set_en: EnglishValues = [],
    file: Annotated[Path | None, typer.Option(help="YAML or JSON mapping ITEM: VALUE or ITEM: {value, en}.")] = None,
    ralat: Annotated[bool, typer.Option("--ralat", help="The published figures were WRONG (a ralat with apology);"
                                        " without it they evolved (an update, pemutakhiran).")] = False,
) -> None:
    """Supply or change facts. At verification this verifies; later it records new versions and
    starts a correction run that flags the published messages that stated the old values and drafts
    an update (or with --ralat a ralat) to their channels."""
    import uuid

    from prefect.deployments import run_deployment

    from pasopati.db import get_database
    from pasopati.decisions import steps
    from pasopati.decisions.gates import GATE_VERIFICATION
    from pasopati.plan.catalog import catalog
    from pasopati.publications.corrections import RALAT_PREFIX
    from pasopati.runs import find_run, incident_of, plan_of, run_name, waiting_gate

    values, values_en = parse_pairs(set_, "--set"), parse_pairs(set_en, "--set-en")
    if file is not None:
        from_file, english_from_file = _facts_file(file)
        values, values_en = from_file | values, english_from_file | values_en
    if not values and not values_en:
        fail("no facts given: use --set ITEM=VALUE, --set-en ITEM=VALUE or --file")
    with clear_errors():
        flow_run = find_run(run)
        if waiting_gate(flow_run) == GATE_VERIFICATION:
            verify_facts(run, by, code, source, values, {}, values_en)
            return
        plan = plan_of(flow_run)
        known = {i.id for i in plan.checklist}
        if unknown := sorted((set(values) | set(values_en)) - known):
            fail(f"unknown checklist item(s) {unknown} for {plan.category}; known: {', '.join(sorted(known))}")
        incident = incident_of(flow_run)
        change = f"{RALAT_PREFIX if ralat else 'koreksi:'}{uuid.uuid4()}"
        outcome = steps.correct(get_database(), incident, plan, values, source=source, by=by, claim=steps.Claim(code=code),
                                change=change, via="cli", roster=catalog().roster, prover=_prover(), values_en=values_en)
        if not outcome.accepted:
            fail(f"refused (recorded): {outcome.refusal}")
    correction = run_deployment(
        "koreksi-fakta/koreksi", parameters={"incident_id": incident.id, "recorded_change": change}, timeout=0,
        flow_run_name=f"koreksi · {run_name(incident)}",
    )
    typer.echo(f"{len(set(values) | set(values_en))} fact(s) recorded by {outcome.person} for {incident.id}; correction run"
               f" {correction.name} ({correction.id})")


def _facts_file(file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """ITEM: VALUE or ITEM: {value, en} from a YAML/JSON file → (values, English values); exits
    with the file and item named on any other shape."""
    try:
        loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"--file {file}: {exc}")
    if not isinstance(loaded, dict):
        fail(f"--file {file}: expected a mapping ITEM: VALUE, got {type(loaded).__name__}")
    values, english = {}, {}
    for key, given in loaded.items():
        if isinstance(given, dict):
            if not set(given) <= {"value", "en"} or not all(isinstance(v, str | int | float) for v in given.values()):
                fail(f"--file {file}: {key}: expected VALUE or {{value, en}} with text values")
            if "value" in given:
                values[str(key)] = str(given["value"])
            if "en" in given:
                english[str(key)] = str(given["en"])
        elif isinstance(given, str | int | float):
            values[str(key)] = str(given)
        else:
            fail(f"--file {file}: {key}: expected VALUE or {{value, en}}, got {type(given).__name__}")
    return values, english


@app.command()
def ack(run: Run, by: By, code: Code) -> None:
    """Acknowledge your call to the crisis team (stops escalation to your deputy)."""
    from pasopati.db import get_database
    from pasopati.decisions import steps
    from pasopati.plan.catalog import catalog
    from pasopati.runs import find_run, incident_of

    with clear_errors():
        incident = incident_of(find_run(run))
        outcome = steps.acknowledge(get_database(), incident, by, claim=steps.Claim(code=code), via="cli",
                                    roster=catalog().roster, prover=_prover())
    if not outcome.accepted:
        fail(f"refused (recorded): {outcome.refusal}")
    typer.echo(outcome.message)


@app.command()
def close(run: Run, by: By, code: Code, reason: Annotated[str, typer.Option(help="Why the crisis is over.")]) -> None:
    """Close the crisis: update reminders stop."""
    from pasopati.db import get_database
    from pasopati.decisions import steps
    from pasopati.plan.catalog import catalog
    from pasopati.runs import find_run, incident_of, plan_of

    with clear_errors():
        flow_run = find_run(run)
        incident = incident_of(flow_run)
        outcome = steps.close(get_database(), incident, plan_of(flow_run), by=by, reason=reason, claim=steps.Claim(code=code),
                              flow_run_id=str(flow_run.id), roster=catalog().roster, prover=_prover())
    if not outcome.accepted:
        fail(f"refused (recorded): {outcome.refusal}")
    typer.echo(f"incident {incident.id} {outcome.message}")
