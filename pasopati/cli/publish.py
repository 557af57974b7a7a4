"""``pasopati publish``: finish publications that did not fully go out — send again what failed,
settle a delivery of unknown outcome. Each act is proven (TOTP) and recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from pasopati.cli.common import app, clear_errors, fail, received_at

if TYPE_CHECKING:
    from pasopati.incidents.models import Incident

publish_app = typer.Typer(no_args_is_help=True, help="Publications that did not fully go out: retry, resolve, list.")
app.add_typer(publish_app, name="publish")

Run = Annotated[str, typer.Argument(help="Flow run id or name.")]
By = Annotated[str, typer.Option("--by", help="Your name, as in the roster (a member of the crisis team or an approver).")]
Code = Annotated[str, typer.Option("--code", help="Your TOTP code (6 digits, from your authenticator app).")]


def _proven(run: str, by: str, code: str, act: str, before: Callable[[Incident], object]):  # type: ignore[no-untyped-def]
    """(flow run, incident, person, proof) or exit 2 with the recorded refusal. ``before(incident)``
    runs first: a request that names nothing to do (NothingToDo) fails before the code is used up."""
    from pasopati.db import get_database
    from pasopati.decisions import steps
    from pasopati.identity.prover import Prover
    from pasopati.plan.catalog import catalog
    from pasopati.publications.operator import NothingToDo
    from pasopati.runs import find_run, incident_of, plan_of

    flow_run = find_run(run)
    incident = incident_of(flow_run)
    try:
        before(incident)
    except NothingToDo as exc:
        fail(str(exc))
    outcome = steps.prove_publisher(get_database(), incident, plan_of(flow_run), by=by, claim=steps.Claim(code=code), act=act,
                                    roster=catalog().roster, prover=Prover(received_at=received_at()))
    if not outcome.accepted:
        fail(f"refused (recorded): {outcome.refusal}")
    return flow_run, incident, outcome.person, outcome.proof


def _address(location: str) -> bool:
    """Whether ``location`` names where a post is (scheme:rest, no spaces): it becomes the delivery's
    receipt, and a website post's receipt is the link every later social post carries."""
    scheme, colon, rest = location.partition(":")
    return bool(colon and scheme.isascii() and scheme[:1].isalpha() and rest.strip()) and not any(c.isspace() for c in location)


def _report(results) -> None:  # type: ignore[no-untyped-def]
    for publication in results:
        detail = publication.location if publication.status.value == "sent" else (publication.error or "")
        typer.echo(f"{publication.channel:<24} {publication.label:<24} {detail}")


@publish_app.command("list")
def list_(run: Run) -> None:
    """What of this run's incident is not fully out, per channel and recipient."""
    from pasopati.db import get_database
    from pasopati.publications import service
    from pasopati.runs import find_run, incident_of

    with clear_errors():
        incident = incident_of(find_run(run))
        db = get_database()
        waiting = service.needing_attention(db, [incident.id])
        if not waiting:
            typer.echo(f"incident {incident.id}: every publication is out")
        for publication in waiting:
            typer.echo(f"{publication.channel:<24} {publication.label:<24} {publication.draft_id}")
            for delivery in service.deliveries(db, publication.id):
                if delivery.status.value != "sent":
                    who = delivery.recipient or "-"
                    typer.echo(f"    {delivery.status.value:<10} {who}{f' (part {delivery.part + 1})' if delivery.part else ''}: {delivery.error or ''}")


@publish_app.command()
def retry(
    run: Run, by: By, code: Code,
    channel: Annotated[str | None, typer.Option(help="Only this channel (as in channels.yaml).")] = None,
    include_refused: Annotated[bool, typer.Option("--include-refused", help="Also what the remote refused (after fixing the cause).")] = False,
) -> None:
    """Send again what failed (never what went out, never what is ambiguous: see `publish resolve`);
    then finish the run's state ("Sebagian terbit" → "Selesai") or continue a run stopped at "Tidak terbit"."""
    from pasopati.db import get_database
    from pasopati.plan.catalog import catalog
    from pasopati.publications.in_use import mismatch
    from pasopati.publications.operator import NothingToDo, to_retry
    from pasopati.publications.operator import retry as retry_publications
    from pasopati.publications.service import deliveries
    from pasopati.runs import after_publish_retry
    from pasopati.settings import get_settings

    if (why := mismatch(get_settings())) is not None:
        fail(why)
    with clear_errors():
        flow_run, incident, person, _ = _proven(run, by, code, "kirim-ulang", lambda i: to_retry(get_database(), i, channel))
        try:
            results = retry_publications(get_database(), incident, catalog(), get_settings(), channel=channel, include_refused=include_refused)
        except NothingToDo as exc:
            fail(str(exc))
        _report(results)
        if not include_refused and any(d.status.value == "refused" for p in results for d in deliveries(get_database(), p.id)):
            typer.echo("refused by the remote, so not sent again: fix the cause (the message above), then add --include-refused")
        typer.echo(after_publish_retry(str(flow_run.id), by=person))


@publish_app.command()
def resolve(
    run: Run, by: By, code: Code,
    channel: Annotated[str, typer.Option(help="The channel of the ambiguous delivery (as in channels.yaml).")],
    reason: Annotated[str, typer.Option(help="How you know (kept with the decision).")],
    sent: Annotated[str | None, typer.Option("--sent", help="It arrived: the post's address (URL) as you found it.")] = None,
    not_sent: Annotated[bool, typer.Option("--not-sent", help="It did not arrive: send it now, once.")] = False,
    recipient: Annotated[str | None, typer.Option(help="Only this recipient (a list channel: e-mail address, phone number).")] = None,
    draft: Annotated[str | None, typer.Option(help="Only this draft's publication (its id, as `publish list` shows): needed "
                                              "when several drafts are ambiguous on the channel.")] = None,
) -> None:
    """Settle deliveries whose outcome is unknown (the answer was lost and the API cannot be asked):
    look at the channel, then say --sent URL or --not-sent. Never guessed by PASOPATI."""
    from pasopati.db import get_database
    from pasopati.plan.catalog import catalog
    from pasopati.publications.operator import NothingToDo, to_resolve
    from pasopati.publications.operator import resolve as resolve_publications
    from pasopati.runs import after_publish_retry
    from pasopati.settings import get_settings

    if (sent is None) == (not not_sent):
        fail("say either --sent URL (it arrived) or --not-sent (it did not)")
    if sent is not None and not _address(sent):
        fail(f"--sent {sent!r}: not the post's address (a URL such as https://t.me/kanal/812, mailto:…, wa:+62…)")
    from pasopati.publications.in_use import mismatch

    if (why := mismatch(get_settings())) is not None:
        fail(why)
    with clear_errors():
        flow_run, incident, person, proof = _proven(run, by, code, "putuskan-publikasi",
                                                    lambda i: to_resolve(get_database(), i, channel, recipient, draft))
        try:
            results = resolve_publications(get_database(), incident, catalog(), get_settings(), channel=channel, recipient=recipient,
                                           sent=sent is not None, location=sent, by=person, proof=proof, reason=reason,
                                           draft=draft)
        except NothingToDo as exc:
            fail(str(exc))
        _report(results)
        typer.echo(after_publish_retry(str(flow_run.id), by=person))
