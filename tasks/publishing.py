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

    Two batches: the website and every channel that carries the whole statement (e-mail, text)
    first; then the short posts (X, Facebook, Telegram, WhatsApp), which link the website post's
    own address. The e-mail to journalists does not wait for the website: a slow or failing CMS
    (retried with backoff) would hold the press release back, and the slowest list channel alone
    sets the fan-out time (bench/publishing.py)."""
    db, cat = get_database(), catalog()
    done = {(p.draft_id, p.channel): p for p in publications.publications(db, incident.id)}
    todo = [(d, c) for d in drafts for c in d.channels
            if (d.id, c) not in done or done[(d.id, c)].status is PublicationStatus.SENDING]
    linking = {name for name, config in cat.channels.channels.items() if Format(config.format) in LINKING_FORMATS}
    batches = [b for b in ([t for t in todo if t[1] not in linking], [t for t in todo if t[1] in linking]) if b]
    failures: dict[tuple[str, str], str] = {}
    if batches:
        _publish_batches(incident, batches, failures)
    after = {(p.draft_id, p.channel): p for p in publications.publications(db, incident.id)}
    # A task that failed before anything was stored (a refused draft, an adapter that could not be
    # built) still counts: the run must not end "Selesai" with a channel that got nothing.
    for (draft_id, channel), why in failures.items():
        after.setdefault((draft_id, channel), Publication(
            id=publication_id(draft_id, channel), incident_id=incident.id, draft_id=draft_id, channel=channel,
            status=PublicationStatus.FAILED, error=why))
    return [after[(d.id, c)] for d in drafts for c in d.channels if (d.id, c) in after]


def _publish_batches(incident: Incident, batches: list[list[tuple[Draft, str]]], failures: dict[tuple[str, str], str]) -> None:
    """The full-text batch, then the short posts, holding the channels' global limits ``kanal-<channel>``.

    First try: one slot of every channel the run publishes on, in ONE call that does not wait. On
    the Prefect server's SQLite default, concurrent slot acquisitions collide ("database is locked",
    answered 503 and retried by the client after about 2 s): six tasks each taking their own slot
    made the fan-out 2.75 × the slowest channel alone (bench/publishing.py). When a channel is busy
    with another run, each task takes its own channel's slot instead (waiting as long as it must),
    so that runs publishing at the same time still share the channels one by one."""
    names = [CHANNEL_LIMIT.format(channel=c) for c in sorted({c for batch in batches for _, c in batch})]
    held = False
    try:
        with concurrency(names, occupy=1, max_retries=0, strict=False, lease_duration=CHANNEL_LEASE_SECONDS):
            held = True
            for batch in batches:
                _fan_out(incident, batch, failures, hold_slot=False)
    except ConcurrencySlotAcquisitionError:
        if held:
            raise
        for batch in batches:
            _fan_out(incident, batch, failures, hold_slot=True)


def _fan_out(incident: Incident, batch: list[tuple[Draft, str]], failures: dict[tuple[str, str], str], *, hold_slot: bool) -> None:
    """Every channel of ``batch`` at once; a channel's drafts (id, en) one after another
    (``allow_failure``: a draft refused does not hold back the next). A task that raised is
    noted in ``failures`` with its reason."""
    futures: dict[tuple[str, str], PrefectFuture[Publication]] = {}
    previous: dict[str, PrefectFuture[Publication]] = {}
    for draft, channel in batch:
        after = [allow_failure(previous[channel])] if channel in previous else []
        previous[channel] = publish.submit(incident, draft.id, channel, hold_slot=hold_slot, wait_for=after)
        futures[(draft.id, channel)] = previous[channel]
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
    slot here (False: the run holds it already, ``_publish_batches``)."""
    if not hold_slot:
        publication = sending.publish(get_database(), incident, draft_id, channel, catalog(), get_settings())
    else:
        with concurrency(CHANNEL_LIMIT.format(channel=channel), occupy=1, strict=False, lease_duration=CHANNEL_LEASE_SECONDS):
            publication = sending.publish(get_database(), incident, draft_id, channel, catalog(), get_settings())
    show(incident, Stage.FIRST_PUBLICATION)
    return publication
