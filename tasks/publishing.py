"""Stage 7: publish approved drafts, once per channel, never what was not approved."""

from __future__ import annotations

import hashlib

from prefect import task
from prefect.futures import wait

from pasopati.catalog import catalog
from pasopati.channels import ChannelError, OutgoingMessage, adapter_for
from pasopati.models import Draft, Incident, Publication, PublicationStatus, Stage
from pasopati.settings import get_settings
from pasopati.store import get_store
from tasks.progress import reach


class NotApproved(RuntimeError):
    """Publishing was asked for a draft no recorded approval covers (or whose text changed since)."""


def publication_id(draft_id: str, channel: str) -> str:
    """Stable per draft and channel: the idempotency key every adapter receives."""
    return hashlib.sha256(f"{draft_id}|{channel}".encode()).hexdigest()[:32]


def publish_all(incident: Incident, drafts: list[Draft]) -> int:
    """Publish each draft on each of its channels concurrently; returns how many failed.

    What the store says went out is not submitted again: after each resume the flow replays from
    the top, and a luar-biasa holding statement alone is 16 publications."""
    sent = {(p.draft_id, p.channel) for p in get_store().publications(incident.id) if p.status is PublicationStatus.SENT}
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
    store = get_store()
    draft = store.draft(draft_id)
    if draft is None:
        raise NotApproved(f"no draft {draft_id}: not published")
    required = catalog().plan(incident.category, draft.severity).plan.approval.approvers_required
    approvers = store.approvers_of(draft)
    if len(approvers) < required:
        raise NotApproved(
            f"draft {draft_id}: {len(approvers)} of {required} distinct approvals cover its current text"
            f" ({', '.join(sorted(approvers)) or 'none'}): not published"
        )
    publication = store.claim_publication(publication_id(draft_id, channel), draft, channel)
    if publication.status is PublicationStatus.SENT:
        return publication  # published before this attempt: never twice
    adapter = adapter_for(catalog().channels.channels[channel], get_settings())
    message = OutgoingMessage(
        idempotency_key=publication.id,
        channel=channel,
        incident_id=incident.id,
        message_type=draft.message_type.value,
        language=draft.language,
        body=draft.body,
    )
    try:
        receipt = adapter.publish(message)
    except ChannelError as exc:
        store.finish_publication(publication.id, error=str(exc))
        raise
    publication = store.finish_publication(publication.id, location=receipt.location)
    reach(incident, Stage.FIRST_PUBLICATION)
    return publication
