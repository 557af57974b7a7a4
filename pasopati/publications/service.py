"""Publication acts, each one transaction. Publishing one draft on one channel is: claim (re-check
that the approvals cover this exact text, create the delivery rows), then per batch of deliveries a
write-ahead record (``sending``, with the process that sends), the channel call outside any
transaction (``pasopati.publications.sending``), and the receipt or error stored per delivery;
finally the publication's status is summed up with its audit event.

Never twice: a delivery is keyed by incident × approved text × channel × recipient × part
(``delivery_id``); only ``pending`` and ``failed`` deliveries are ever sent; a ``sending`` one left by
a dead process is looked up on the remote or becomes ``ambiguous`` for an operator to resolve.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.decisions.authority import approvers_of
from pasopati.drafts import coherence
from pasopati.drafts.models import Draft
from pasopati.drafts.privacy_check import describe, draft_findings
from pasopati.drafts.service import REVISION_SUFFIX
from pasopati.drafts.service import get_in as draft_in
from pasopati.facts.service import current_in, history_in
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import MessageType
from pasopati.publications.channels.base import Receipt, Reference
from pasopati.publications.models import (
    SENDABLE,
    Delivery,
    DeliveryStatus,
    Publication,
    PublicationStatus,
    delivery_id,
    publication_id,
)
from pasopati.publications.owner import alive
from pasopati.publications.tables import DeliveryRow, PublicationRow
from pasopati.texts import has_words
from pasopati.time import utcnow

PUBLISHER = system("publikasi")
FOLLOW_UPS = frozenset({MessageType.CORRECTION, MessageType.UPDATE})


class NotApproved(RuntimeError):
    """Publishing was asked for a draft no recorded approval covers (or whose text changed since)."""


def claim(
    db: Database, incident: Incident, draft_id: str, content_hash: str, channel: str, cat: Catalog, units: list[tuple[str, int]],
    owner: str | None = None, withdraw: bool = True,
) -> tuple[Publication, Draft, list[Delivery]]:
    """Reserve draft × channel and one delivery per (recipient, part) in ``units``; the deliveries
    still to send carry ``owner`` (the claiming process) so that the watcher finds them if it dies
    before their write-ahead record (release_dead_claims). ``withdraw``: drop the unsent deliveries of
    recipients ``units`` no longer names (False when the list could not be read). Raises
    NotApproved (after recording the refusal) unless enough distinct approvals cover the draft's
    current text, whose SHA-256 must still be ``content_hash`` (the text that was rendered)."""
    refusal = None
    with db.write() as session:
        found = draft_in(session, draft_id)
        if found is None:
            refusal = f"no draft {draft_id}: not published"
        else:
            draft = found
            row = session.get(PublicationRow, publication_id(draft_id, channel))
            required = cat.plan(incident.category, draft.severity).plan.approval.approvers_required
            approvers = approvers_of(session, draft)
            if draft.content_hash != content_hash:
                refusal = f"draft {draft_id}: its text changed while being published: not published"
            elif not has_words(draft.body):  # checked at every edit too; never a blank post
                refusal = f"draft {draft_id}: the text has no words: not published"
            elif len(approvers) < required:
                refusal = (
                    f"draft {draft_id}: {len(approvers)} of {required} distinct approvals cover its current text"
                    f" ({', '.join(sorted(approvers)) or 'none'}): not published"
                )
            elif never := [f for f in draft_findings(draft, incident, current_in(session, incident.id), cat.roster) if not f.overridable]:
                # Checked again right before publishing: no approval lifts a child's identity or a NIK.
                refusal = f"draft {draft_id}: personal data that may never be published: {describe(never)}: not published"
            elif (row is None or row.status != PublicationStatus.SENT.value) and (problems := coherence.draft_problems(
                    draft, incident, cat.plan(incident.category, draft.severity), history_in(session, incident.id), utcnow())):
                # A fact corrected after the approval: the approved figures are no longer the verified ones.
                refusal = f"draft {draft_id}: no longer matches the verified facts: {coherence.describe(problems)}: not published"
        if refusal is not None:
            record(session, "publication.refused", actor=PUBLISHER, incident_id=incident.id, flow_run_id=incident.flow_run_id,
                   details={"draft_id": draft_id, "channel": channel, "reason": refusal})
        else:
            key = publication_id(draft_id, channel)
            if row is None:
                row = PublicationRow(id=key, incident_id=draft.incident_id, draft_id=draft_id, channel=channel,
                                     status=PublicationStatus.SENDING.value, attempts=0, deliveries_sent=0, deliveries_total=0)
                session.add(row)
                session.flush()
            wanted = {delivery_id(incident.id, draft_id, content_hash, channel, r, i): (r, i) for r, i in units}
            existing = list(session.scalars(select(DeliveryRow).where(DeliveryRow.publication_id == key)))
            # A recipient taken off the list (or a message part the rendering no longer has) that
            # never received it: withdrawn, else the publication stayed "partial" for good.
            if withdraw and (withdrawn := [d for d in existing if d.id not in wanted and d.status in _WITHDRAWABLE]):
                for gone in withdrawn:
                    session.delete(gone)
                record(session, "publication.recipients_withdrawn", actor=PUBLISHER, incident_id=incident.id,
                       flow_run_id=incident.flow_run_id, details={"publication_id": key, "channel": channel,
                                                                  "recipients": sorted({d.recipient for d in withdrawn})})
            have = {d.id for d in existing}
            for unit_id, (recipient, part) in wanted.items():
                if unit_id not in have:
                    session.add(DeliveryRow(
                        id=unit_id, publication_id=key,
                        incident_id=incident.id, channel=channel, recipient=recipient, part=part,
                        status=DeliveryStatus.PENDING.value, attempts=0,
                    ))
            session.flush()
            if owner is not None:
                now = utcnow()
                for waiting in session.scalars(select(DeliveryRow).where(
                        DeliveryRow.publication_id == key, DeliveryRow.status.in_([s.value for s in SENDABLE]))):
                    waiting.owner, waiting.started_at = owner, now
            row.attempts += 1
            rows = _deliveries_in(session, key)
            record(
                session, "publication.sending", actor=PUBLISHER, incident_id=incident.id, flow_run_id=incident.flow_run_id,
                details={"publication_id": key, "draft_id": draft_id, "channel": channel, "attempt": row.attempts,
                         "sha256": draft.content_hash, "approvers": sorted(approvers), "deliveries": len(rows),
                         "to_send": sum(1 for d in rows if d.status in SENDABLE)},
            )
            result = (_publication(row), draft, rows)
    if refusal is not None:
        raise NotApproved(refusal)
    return result


def write_ahead(db: Database, ids: Iterable[str], owner: str, *, include_refused: bool = False) -> list[str]:
    """The write-ahead record: mark each still-sendable delivery ``sending`` by ``owner`` now, in
    one transaction, before any of them is sent. Returns the ids taken (another process may have
    taken or finished some in between: those are not sent by this one)."""
    sendable = {s.value for s in SENDABLE} | ({DeliveryStatus.REFUSED.value} if include_refused else set())
    taken = []
    with db.write() as session:
        now = utcnow()
        for row in session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(list(ids)))):
            if row.status in sendable:
                row.status, row.owner, row.started_at, row.attempts = DeliveryStatus.SENDING.value, owner, now, row.attempts + 1
                taken.append(row.id)
    return taken


# Deliveries that certainly never reached their recipient: a recipient no longer listed drops them.
_WITHDRAWABLE = frozenset({DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value, DeliveryStatus.REFUSED.value})


def take_over(db: Database, abandoned: Iterable[Delivery], owner: str) -> list[Delivery]:
    """Make ``owner`` the one settling each delivery a dead process left ``sending`` — only where
    that dead process still holds it (compare-and-set in one transaction): of two settlers (a
    resumed run and `publish retry`, the watcher and a retry) one looks the post up, the other
    leaves it; two lookups answering "absent" had sent the post twice. Returns those taken."""
    dead = {d.id: d.owner for d in abandoned}
    taken = []
    with db.write() as session:
        now = utcnow()
        for row in session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(list(dead)))):
            if row.status == DeliveryStatus.SENDING.value and row.owner == dead[row.id]:
                row.owner, row.started_at = owner, now
                taken.append(Delivery.model_validate(row, from_attributes=True))
    return taken


def record_outcome(db: Database, id_: str, status: DeliveryStatus, *, owner: str, receipt: Receipt | None = None,
                   error: str | None = None) -> bool:
    """Store what one delivery came to; the receipt before anything reports success. Returns False
    (nothing stored) when ``owner`` no longer holds it ``sending``: a delivery is settled once. A
    receipt is stored even then — a post is out however late its answer came — but never over
    another receipt, and nothing ever turns a sent delivery back."""
    with db.write() as session:
        row = session.get(DeliveryRow, id_)
        assert row is not None, f"no delivery {id_}"
        if row.status == DeliveryStatus.SENT.value:
            return False
        if status is not DeliveryStatus.SENT and (row.status != DeliveryStatus.SENDING.value or row.owner != owner):
            return False
        row.status, row.error = status.value, error
        if receipt is not None:
            row.location, row.remote_id, row.accepted_at = receipt.location, receipt.remote_id, utcnow()
            row.error = receipt.note
    return True


def summarise(db: Database, incident: Incident, publication_id_: str, draft: Draft, *, actor: str = PUBLISHER,
              problem: str | None = None) -> Publication:
    """Sum the deliveries up into the publication's status, with its audit event. ``problem``: why
    nothing could be sent (a recipients file that cannot be read), kept first in its error."""
    with db.write() as session:
        row = session.get(PublicationRow, publication_id_)
        assert row is not None, f"no publication {publication_id_}"
        return _summarise_in(session, incident, row, draft, actor, problem)


def _summarise_in(session: Session, incident: Incident, row: PublicationRow, draft: Draft, actor: str,
                  problem: str | None = None) -> Publication:
    rows = _deliveries_in(session, row.id)
    counts = Counter(d.status for d in rows)
    sent = [d for d in rows if d.status is DeliveryStatus.SENT]
    if rows and len(sent) == len(rows):
        status = PublicationStatus.SENT
    elif sent:
        status = PublicationStatus.PARTIAL
    elif counts[DeliveryStatus.AMBIGUOUS]:
        status = PublicationStatus.AMBIGUOUS
    elif counts[DeliveryStatus.SENDING] or counts[DeliveryStatus.PENDING]:
        status = PublicationStatus.SENDING
    else:
        status = PublicationStatus.FAILED
    first = min(sent, key=lambda d: (d.accepted_at or utcnow(), d.part), default=None)
    row.status, row.deliveries_sent, row.deliveries_total = status.value, len(sent), len(rows)
    row.location = first.location if first else None
    row.published_at = first.accepted_at if first else None
    errors = [d for d in rows if d.status is not DeliveryStatus.SENT and d.error]
    row.error = f"{len(errors)} of {len(rows)}: {errors[0].error}" if len(errors) > 1 else (errors[0].error if errors else None)
    row.error = "; ".join(e for e in (problem, row.error) if e) or None
    if sent:
        mark_stage(session, incident.id, Stage.FIRST_PUBLICATION)
    event = {PublicationStatus.SENT: "publication.sent", PublicationStatus.PARTIAL: "publication.partial",
             PublicationStatus.AMBIGUOUS: "publication.ambiguous", PublicationStatus.FAILED: "publication.failed",
             PublicationStatus.SENDING: "publication.sending"}[status]
    record(
        session, event, actor=actor, incident_id=incident.id, flow_run_id=incident.flow_run_id, at=row.published_at or utcnow(),
        details={
            "publication_id": row.id, "channel": row.channel, "draft_id": draft.id, "message_type": draft.message_type.value,
            "language": draft.language, "sha256": draft.content_hash, "approvers": sorted(approvers_of(session, draft)),
            "attempt": row.attempts, "location": row.location, "error": row.error,
            "deliveries": {s.value: n for s, n in sorted(counts.items())},
            "receipts": [{"recipient": d.recipient, "part": d.part, "remote_id": d.remote_id, "location": d.location,
                          "accepted_at": d.accepted_at.isoformat() if d.accepted_at else None} for d in sent[:50]],
            "already_published": False, "body": draft.body if sent else None,
        },
    )
    return _publication(row)


def release_abandoned(db: Database, publication_id_: str, lease: timedelta) -> list[Delivery]:
    """Deliveries left ``sending`` by a process that is gone: to be looked up or called ambiguous."""
    with db.read() as session:
        return [d for d in _deliveries_in(session, publication_id_)
                if d.status is DeliveryStatus.SENDING and not alive(d.owner, d.started_at, lease)]


def release_dead_claims(db: Database, publication_id_: str, lease: timedelta) -> int:
    """Deliveries still to send whose claiming process is gone (killed between its claim and the
    write-ahead record: nothing of them left): released for `publish retry`. Returns how many."""
    released = 0
    with db.write() as session:
        for row in session.scalars(select(DeliveryRow).where(
                DeliveryRow.publication_id == publication_id_, DeliveryRow.status == DeliveryStatus.PENDING.value,
                DeliveryRow.owner.is_not(None))):
            if not alive(row.owner, row.started_at, lease):
                row.owner, row.started_at = None, None
                released += 1
    return released


def resolve(
    db: Database, incident: Incident, delivery_ids: list[str], *, sent: bool, location: str | None, by: str, proof: str | None,
    why: str, draft: Draft,
) -> Publication | None:
    """An operator settles ambiguous deliveries: they reached the remote (``location``: where the
    post is) or they did not (then they are sent again by ``publish retry``). One transaction with
    its audit event; returns the publication summed up again, None if nothing was ambiguous."""
    with db.write() as session:
        rows = [r for r in session.scalars(select(DeliveryRow).where(DeliveryRow.id.in_(delivery_ids)))
                if r.status == DeliveryStatus.AMBIGUOUS.value]
        if not rows:
            return None
        for row in rows:
            if sent:
                row.status, row.location, row.accepted_at, row.error = DeliveryStatus.SENT.value, location or row.location, utcnow(), None
            else:
                row.status, row.error = DeliveryStatus.FAILED.value, f"resolved by {by}: not published ({why})"
        record(session, "publication.resolved", actor=by, incident_id=incident.id, flow_run_id=incident.flow_run_id,
               details={"publication_id": rows[0].publication_id, "channel": rows[0].channel, "sent": sent, "location": location,
                        "recipients": [r.recipient for r in rows], "parts": [r.part for r in rows], "reason": why, "proof": proof})
        publication = session.get(PublicationRow, rows[0].publication_id)
        assert publication is not None
        return _summarise_in(session, incident, publication, draft, by)


# Reads ---------------------------------------------------------------------------------------------
def _publication(row: PublicationRow) -> Publication:
    return Publication.model_validate(row, from_attributes=True)


def _deliveries_in(session: Session, publication_id_: str) -> list[Delivery]:
    rows = session.scalars(select(DeliveryRow).where(DeliveryRow.publication_id == publication_id_)
                           .order_by(DeliveryRow.recipient, DeliveryRow.part))
    return [Delivery.model_validate(r, from_attributes=True) for r in rows]


def deliveries(db: Database, publication_id_: str) -> list[Delivery]:
    with db.read() as session:
        return _deliveries_in(session, publication_id_)


def all_in(session: Session, incident_id: str) -> list[Publication]:
    rows = session.scalars(select(PublicationRow).where(PublicationRow.incident_id == incident_id).order_by(PublicationRow.id))
    return [_publication(r) for r in rows]


def publications(db: Database, incident_id: str) -> list[Publication]:
    with db.read() as session:
        return all_in(session, incident_id)


def get(db: Database, publication_id_: str) -> Publication | None:
    with db.read() as session:
        row = session.get(PublicationRow, publication_id_)
        return _publication(row) if row else None


def sent_keys(db: Database, incident_id: str) -> set[tuple[str, str]]:
    """(draft id, channel) of everything the store says went out."""
    return {(p.draft_id, p.channel) for p in publications(db, incident_id) if p.status is PublicationStatus.SENT}


def needing_attention(db: Database, incident_ids: Iterable[str] | None = None) -> list[Publication]:
    """Publications not (yet) fully out: partial, failed, ambiguous, or still sending."""
    with db.read() as session:
        query = select(PublicationRow).where(PublicationRow.status != PublicationStatus.SENT.value)
        if incident_ids is not None:
            query = query.where(PublicationRow.incident_id.in_(list(incident_ids)))
        return [_publication(r) for r in session.scalars(query.order_by(PublicationRow.incident_id, PublicationRow.id))]


def link_for(db: Database, draft: Draft, website_channels: set[str]) -> str | None:
    """The address of this message on the website once a website channel published it (every
    revision of a message shares it), else None: social posts then link ``statement_url``."""
    root = REVISION_SUFFIX.sub("", draft.id)
    with db.read() as session:
        rows = session.scalars(select(PublicationRow).where(
            PublicationRow.incident_id == draft.incident_id, PublicationRow.channel.in_(sorted(website_channels)),
            PublicationRow.location.is_not(None)))
        for row in rows:
            if REVISION_SUFFIX.sub("", row.draft_id) == root and row.location and row.location.startswith("http"):
                return row.location
    return None


def references_for(db: Database, draft: Draft, channel: str) -> dict[tuple[str, int], Reference]:
    """What a correction or update refers to on ``channel``, per (recipient, part 0): the most
    recent earlier post of the incident in the same language there — for a correction, one of the
    messages it corrects (flagged with it) when there is one. Empty for other message types."""
    if draft.message_type not in FOLLOW_UPS:
        return {}
    with db.read() as session:
        earlier = [p for p in session.scalars(select(PublicationRow).where(
            PublicationRow.incident_id == draft.incident_id, PublicationRow.channel == channel, PublicationRow.draft_id != draft.id))
            if (d := draft_in(session, p.draft_id)) is not None and d.language == draft.language]
        corrected = [p for p in earlier if p.correction_draft_id == draft.id] or earlier
        found: dict[tuple[str, int], tuple[datetime, Reference]] = {}
        for publication in corrected:
            kind = (d.message_type.value if (d := draft_in(session, publication.draft_id)) else "")
            rows = _deliveries_in(session, publication.id)  # by recipient, then part
            later: dict[str, list[str]] = {}
            for row in rows:
                if row.part > 0 and row.status is DeliveryStatus.SENT and row.remote_id:
                    later.setdefault(row.recipient, []).append(row.remote_id)
            for row in rows:
                if row.status is DeliveryStatus.SENT and row.part == 0 and row.location and row.accepted_at:
                    key = (row.recipient, 0)
                    if key not in found or found[key][0] < row.accepted_at:
                        found[key] = (row.accepted_at, Reference(remote_id=row.remote_id, location=row.location, message_type=kind,
                                                                 published_at=row.accepted_at,
                                                                 later_parts=later.get(row.recipient, [])))
        return {key: ref for key, (_, ref) in found.items()}
