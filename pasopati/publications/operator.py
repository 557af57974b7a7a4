"""What an operator does about publications that are not fully out (``pasopati publish …``):
send again what failed, and settle a delivery of unknown outcome. Thin over ``sending`` and
``service``; the caller proves the operator first (``decisions.steps.prove_publisher``)."""

from __future__ import annotations

from pasopati.db import Database
from pasopati.drafts.service import get as get_draft
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.publications import sending, service
from pasopati.publications.models import (
    Delivery,
    DeliveryStatus,
    Publication,
    PublicationStatus,
)
from pasopati.settings import Settings


class NothingToDo(ValueError):
    """The request names nothing that is waiting (a channel that is out, a recipient not ambiguous)."""


def retry(db: Database, incident: Incident, cat: Catalog, settings: Settings, *, channel: str | None = None,
          include_refused: bool = False) -> list[Publication]:
    """Send again every delivery of the incident that failed (and, with ``include_refused``, those
    the remote refused — after the cause was fixed); ambiguous ones wait for ``resolve``. Returns
    the publications handled, as they stand afterwards. Raises NothingToDo."""
    waiting = to_retry(db, incident, channel)
    return [sending.publish(db, incident, p.draft_id, p.channel, cat, settings, include_refused=include_refused) for p in waiting]


def to_retry(db: Database, incident: Incident, channel: str | None = None) -> list[Publication]:
    """What `retry` would handle; raises NothingToDo when nothing (checked before a code is spent on it)."""
    waiting = [p for p in service.needing_attention(db, [incident.id]) if channel is None or p.channel == channel]
    if not waiting:
        raise NothingToDo(f"incident {incident.id}: nothing {'on ' + channel + ' ' if channel else ''}is waiting to be published")
    return waiting


def ambiguous(db: Database, incident: Incident, channel: str, recipient: str | None = None) -> list[tuple[Publication, list[Delivery]]]:
    """The ambiguous deliveries on ``channel`` (of ``recipient`` only, if given), per publication."""
    found = []
    for publication in service.needing_attention(db, [incident.id]):
        if publication.channel != channel:
            continue
        rows = [d for d in service.deliveries(db, publication.id)
                if d.status is DeliveryStatus.AMBIGUOUS and (recipient is None or d.recipient == recipient)]
        if rows:
            found.append((publication, rows))
    return found


def resolve(db: Database, incident: Incident, cat: Catalog, settings: Settings, *, channel: str, recipient: str | None,
            sent: bool, location: str | None, by: str, proof: str | None, reason: str, draft: str | None = None) -> list[Publication]:
    """Settle the ambiguous deliveries on ``channel`` (of ``draft`` only, if given): they arrived
    (``location`` where the post is) or they did not — then they are sent now, once. Raises
    NothingToDo, also when several drafts are ambiguous there and ``draft`` does not say which:
    one answer for all would record as sent the one that is missing (or send twice the one out)."""
    found = to_resolve(db, incident, channel, recipient, draft)
    results = []
    for publication, rows in found:
        draft = get_draft(db, publication.draft_id)
        assert draft is not None, f"publication {publication.id} of a missing draft"
        settled = service.resolve(db, incident, [d.id for d in rows], sent=sent, location=location, by=by, proof=proof, why=reason,
                                  draft=draft)
        if not sent:
            settled = sending.publish(db, incident, publication.draft_id, channel, cat, settings, only={d.id for d in rows})
        if settled is not None:
            results.append(settled)
    return results


def to_resolve(db: Database, incident: Incident, channel: str, recipient: str | None, draft: str | None) -> list[tuple[Publication, list[Delivery]]]:
    """The one publication's ambiguous deliveries `resolve` would settle; raises NothingToDo when
    there are none or several drafts' (checked before a code is spent on it)."""
    found = [(p, rows) for p, rows in ambiguous(db, incident, channel, recipient) if draft is None or p.draft_id == draft]
    if not found:
        who = f" for {recipient}" if recipient else ""
        which = f" of draft {draft}" if draft else ""
        raise NothingToDo(f"incident {incident.id}: no delivery{which} on {channel}{who} is ambiguous")
    if len(found) > 1:
        raise NothingToDo(f"incident {incident.id}: {len(found)} drafts are ambiguous on {channel} "
                          f"({', '.join(p.draft_id for p, _ in found)}): look at each, and settle it with --draft")
    return found


def all_out(db: Database, incident_id: str) -> bool:
    return not [p for p in service.needing_attention(db, [incident_id]) if p.status is not PublicationStatus.SENT]
