"""Stage 7: publish approved drafts, once per channel, never what was not approved."""

from __future__ import annotations

from prefect import task
from prefect.futures import wait

from pasopati.db import get_database
from pasopati.drafts.models import Draft
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.publications import service as publications
from pasopati.publications.models import Publication
from pasopati.settings import get_settings
from tasks.progress import show

NotApproved = publications.NotApproved  # what the publish task raises for a draft no approval covers


def publish_all(incident: Incident, drafts: list[Draft]) -> int:
    """Publish each draft on each of its channels concurrently; returns how many failed.

    What the store says went out is not submitted again: after each resume the flow replays from
    the top, and a luar-biasa holding statement alone is 16 publications."""
    sent = publications.sent_keys(get_database(), incident.id)
    futures = [
        publish.submit(incident, draft.id, channel)
        for draft in drafts
        for channel in draft.channels
        if (draft.id, channel) not in sent
    ]
    wait(futures)
    return sum(1 for f in futures if not f.state.is_completed())


@task(name="publikasi", retries=2, retry_delay_seconds=get_settings().publish_retry_seconds)
def publish(incident: Incident, draft_id: str, channel: str) -> Publication:
    publication = publications.publish(get_database(), incident, draft_id, channel, catalog(), get_settings())
    show(incident, Stage.FIRST_PUBLICATION)
    return publication
