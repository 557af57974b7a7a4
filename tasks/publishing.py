"""Stage 7: publish approved drafts on every channel in parallel, once per recipient, never what
was not approved (pasopati.publications.sending has the guarantees)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.concurrency.sync import concurrency
from prefect.futures import PrefectFuture, wait
from prefect.utilities.annotations import allow_failure

from pasopati.db import get_database
from pasopati.drafts.models import Draft
from pasopati.drafts.renderings.model import LINKING_FORMATS, Format
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.publications import sending
from pasopati.publications import service as publications
from pasopati.publications.models import Publication, PublicationStatus, publication_id
from pasopati.settings import get_settings
from tasks.progress import show

NotApproved = publications.NotApproved  # what the publish task raises for a draft no approval covers
CHANNEL_LIMIT = "kanal-{channel}"  # Prefect global concurrency limit per channel (created by `pasopati serve`)
# A run killed mid-publish never gives its channel slot back: Prefect frees it when the slot's lease
# expires. With Prefect's default lease (300 s) every later post on that channel — the next run's
# press release — waited up to five minutes after such a crash (tests/test_publishing_runs_e2e.py);
# 60 s is the shortest lease Prefect accepts, renewed every 45 s while the publishing process lives.
CHANNEL_LEASE_SECONDS = 60


def publish_all(incident: Incident, drafts: list[Draft]) -> list[Publication]:
    """Publish each draft on each of its channels concurrently; returns every publication of
    ``drafts`` as the store has it afterwards (sent, partial, failed, ambiguous).

    What was attempted before is not attempted again here: after each resume the flow replays from
    the top, and a re-run carries the same incident — only ``pasopati publish retry`` (an operator)
    sends again what failed. A publication still ``sending`` is handed over again: a delivery its
    dead process left is looked up or called ambiguous, never blindly resent.

    Every channel starts at once but the short posts (X, Facebook, Telegram, WhatsApp), which wait
    for the website posts so as to link their own address (``statement_url`` if the website failed).
    E-mail carries the whole release and does not wait for the CMS: a slow or failing website
    (retried with backoff) would hold the press release back."""
    db, cat = get_database(), catalog()
    done = {(p.draft_id, p.channel): p for p in publications.publications(db, incident.id)}
    todo = [(d, c) for d in drafts for c in d.channels
            if (d.id, c) not in done or done[(d.id, c)].status is PublicationStatus.SENDING]
    formats = {name: Format(config.format) for name, config in cat.channels.channels.items()}
    # Websites first in submission order: the short posts' dependencies must exist when they are submitted.
    todo.sort(key=lambda t: formats.get(t[1]) is not Format.WEBSITE)
    failures: dict[tuple[str, str], str] = {}
    if todo:
        _publish_holding_slots(incident, todo, {c for c, f in formats.items() if f in LINKING_FORMATS},
                               {c for c, f in formats.items() if f is Format.WEBSITE}, failures)
    after = {(p.draft_id, p.channel): p for p in publications.publications(db, incident.id)}
    # A task that failed before anything was stored (a refused draft, an adapter that could not be
    # built) still counts: the run must not end "Selesai" with a channel that got nothing.
    for (draft_id, channel), why in failures.items():
        after.setdefault((draft_id, channel), Publication(
            id=publication_id(draft_id, channel), incident_id=incident.id, draft_id=draft_id, channel=channel,
            status=PublicationStatus.FAILED, error=why))
    return [after[(d.id, c)] for d in drafts for c in d.channels if (d.id, c) in after]


def _publish_holding_slots(incident: Incident, todo: list[tuple[Draft, str]], linking: set[str], website: set[str],
                           failures: dict[tuple[str, str], str]) -> None:
    """Everything in ``todo``, holding the channels' global limits ``kanal-<channel>``.

    First try: one slot of every channel the run publishes on, in ONE call that does not wait. On
    the Prefect server's SQLite default, concurrent slot acquisitions collide ("database is locked",
    answered 503 and retried by the client after about 2 s): six tasks each taking their own slot
    made the fan-out 2.75 × the slowest channel alone (bench/publishing.py). When a channel is busy
    with another run, each task takes its own channel's slot instead (waiting as long as it must),
    so that runs publishing at the same time still share the channels one by one."""
    names = [CHANNEL_LIMIT.format(channel=c) for c in sorted({c for _, c in todo})]
    held = False
    try:
        with concurrency(names, occupy=1, max_retries=0, strict=False, lease_duration=CHANNEL_LEASE_SECONDS):
            held = True
            _fan_out(incident, todo, linking, website, failures, hold_slot=False)
    except ConcurrencySlotAcquisitionError:
        if held:
            raise
        _fan_out(incident, todo, linking, website, failures, hold_slot=True)


def _fan_out(incident: Incident, todo: list[tuple[Draft, str]], linking: set[str], website: set[str],
             failures: dict[tuple[str, str], str], *, hold_slot: bool) -> None:
    """Every channel at once; a channel's drafts (id, en) one after another, and the ``linking``
    channels after the website posts (``allow_failure``: a draft refused or a website down does
    not hold back what follows). A task that raised is noted in ``failures`` with its reason."""
    futures: dict[tuple[str, str], PrefectFuture[Publication]] = {}
    previous: dict[str, PrefectFuture[Publication]] = {}
    websites: list[PrefectFuture[Publication]] = []
    for draft, channel in todo:
        after = [allow_failure(previous[channel])] if channel in previous else []
        if channel in linking:
            after += [allow_failure(f) for f in websites]
        previous[channel] = publish.submit(incident, draft.id, channel, hold_slot=hold_slot, wait_for=after)
        futures[(draft.id, channel)] = previous[channel]
        if channel in website:
            websites.append(previous[channel])
    wait(list(futures.values()))
    for key, future in futures.items():
        if future.state.is_failed() or future.state.is_crashed():
            failures[key] = f"not published: {future.state.message or future.state.name}"


def unfinished(published: list[Publication]) -> list[Publication]:
    return [p for p in published if p.status is not PublicationStatus.SENT]


def describe(published: list[Publication]) -> str:
    """"situs-ditjenpas gagal, siaran-pers sebagian terbit (3/5)"."""
    return ", ".join(f"{p.channel} {p.label}" for p in unfinished(published))


@task(name="publikasi", cache_policy=NO_CACHE)
def publish(incident: Incident, draft_id: str, channel: str, hold_slot: bool = True) -> Publication:
    """No Prefect retries: the sender retries what may be retried, and a second attempt of this
    task must never be a second post (the store decides). ``hold_slot``: take the channel's
    slot here (False: the run holds it already, ``_publish_holding_slots``)."""
    if not hold_slot:
        publication = sending.publish(get_database(), incident, draft_id, channel, catalog(), get_settings())
    else:
        with concurrency(CHANNEL_LIMIT.format(channel=channel), occupy=1, strict=False, lease_duration=CHANNEL_LEASE_SECONDS):
            publication = sending.publish(get_database(), incident, draft_id, channel, catalog(), get_settings())
    show(incident, Stage.FIRST_PUBLICATION)
    return publication
