"""Publication acts. Publishing one draft on one channel is three steps, because the channel call
must not happen inside a transaction: claim (re-check the approvals cover this exact text; refuse
and record otherwise), send through the channel's adapter, record the result with its receipt.

Never twice: the claim is keyed by draft × channel and a sent publication is never sent again;
the key is also the ``Idempotency-Key`` the adapter passes on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.decisions.authority import approvers_of
from pasopati.drafts import coherence
from pasopati.drafts.channel_texts import rendering_for
from pasopati.drafts.models import Draft
from pasopati.drafts.privacy_check import describe, draft_findings
from pasopati.drafts.service import get_in as draft_in
from pasopati.facts.service import current_in, history_in
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage
from pasopati.plan.catalog import Catalog
from pasopati.publications.channels import (
    ChannelError,
    OutgoingMessage,
    Receipt,
    adapter_for,
)
from pasopati.publications.models import Publication, PublicationStatus, publication_id
from pasopati.publications.tables import PublicationRow
from pasopati.settings import Settings
from pasopati.time import utcnow

PUBLISHER = system("publikasi")


class NotApproved(RuntimeError):
    """Publishing was asked for a draft no recorded approval covers (or whose text changed since)."""


def publish(db: Database, incident: Incident, draft_id: str, channel: str, cat: Catalog, settings: Settings) -> Publication:
    """Publish one approved draft on one channel; raises NotApproved or ChannelError (recorded)."""
    publication, draft = claim(db, incident, draft_id, channel, cat)
    if publication.status is PublicationStatus.SENT:
        return publication  # published before this attempt: never twice
    adapter = adapter_for(cat.channels.channels[channel], settings)
    rendering = rendering_for(draft, channel, cat, cat.plan(incident.category, draft.severity).hashtags)
    message = OutgoingMessage(
        idempotency_key=publication.id, channel=channel, incident_id=incident.id,
        message_type=draft.message_type.value, language=draft.language, body=draft.body,
        text=rendering.text, rendering=rendering.as_dict(),
    )
    try:
        receipt = adapter.publish(message)
    except ChannelError as exc:
        finish(db, incident, publication.id, draft, error=str(exc))
        raise
    return finish(db, incident, publication.id, draft, receipt=receipt)


def _sent(session: Session, draft_id: str, channel: str) -> bool:
    row = session.get(PublicationRow, publication_id(draft_id, channel))
    return row is not None and row.status == PublicationStatus.SENT.value


def claim(db: Database, incident: Incident, draft_id: str, channel: str, cat: Catalog) -> tuple[Publication, Draft]:
    """Reserve draft × channel before sending. Raises NotApproved (after recording the refusal)
    unless enough distinct approvals cover the draft's current text (SHA-256)."""
    refusal = None
    with db.write() as session:
        found = draft_in(session, draft_id)
        if found is None:
            refusal = f"no draft {draft_id}: not published"
        else:
            draft = found
            required = cat.plan(incident.category, draft.severity).plan.approval.approvers_required
            approvers = approvers_of(session, draft)
            if len(approvers) < required:
                refusal = (
                    f"draft {draft_id}: {len(approvers)} of {required} distinct approvals cover its current text"
                    f" ({', '.join(sorted(approvers)) or 'none'}): not published"
                )
            elif never := [f for f in draft_findings(draft, incident, current_in(session, incident.id), cat.roster) if not f.overridable]:
                # Checked again right before publishing: no approval lifts a child's identity or a NIK.
                refusal = f"draft {draft_id}: personal data that may never be published: {describe(never)}: not published"
            elif not _sent(session, draft_id, channel) and (problems := coherence.draft_problems(
                    draft, incident, cat.plan(incident.category, draft.severity), history_in(session, incident.id), utcnow())):
                # A fact corrected after the approval: the approved figures are no longer the verified ones.
                refusal = f"draft {draft_id}: no longer matches the verified facts: {coherence.describe(problems)}: not published"
        if refusal is not None:
            record(session, "publication.refused", actor=PUBLISHER, incident_id=incident.id, flow_run_id=incident.flow_run_id,
                   details={"draft_id": draft_id, "channel": channel, "reason": refusal})
        else:
            key = publication_id(draft_id, channel)
            publication = session.get(PublicationRow, key)
            if publication is None:
                publication = PublicationRow(id=key, incident_id=draft.incident_id, draft_id=draft_id, channel=channel,
                                             status=PublicationStatus.SENDING.value, attempts=0)
                session.add(publication)
            if publication.status != PublicationStatus.SENT.value:
                publication.status = PublicationStatus.SENDING.value
                publication.attempts += 1
                record(
                    session, "publication.sending", actor=PUBLISHER, incident_id=incident.id, flow_run_id=incident.flow_run_id,
                    details={"publication_id": key, "draft_id": draft_id, "channel": channel, "attempt": publication.attempts,
                             "sha256": draft.content_hash, "approvers": sorted(approvers)},
                )
            result = Publication.model_validate(publication, from_attributes=True)
    if refusal is not None:
        raise NotApproved(refusal)
    return result, draft


def finish(
    db: Database, incident: Incident, publication_id_: str, draft: Draft, *, receipt: Receipt | None = None, error: str | None = None
) -> Publication:
    """Record what the channel answered: sent (the exact text, the receipt) or failed (the reason)."""
    with db.write() as session:
        row = session.get(PublicationRow, publication_id_)
        assert row is not None, f"no publication {publication_id_}"
        if receipt is not None:
            row.status, row.location, row.error, row.published_at = PublicationStatus.SENT.value, receipt.location, None, utcnow()
            mark_stage(session, incident.id, Stage.FIRST_PUBLICATION)
        else:
            row.status, row.error = PublicationStatus.FAILED.value, error
        approvers = sorted(approvers_of(session, draft))
        record(
            session, "publication.sent" if receipt is not None else "publication.failed", actor=PUBLISHER,
            incident_id=incident.id, flow_run_id=incident.flow_run_id, at=row.published_at or utcnow(),
            details={
                "publication_id": row.id, "channel": row.channel, "draft_id": draft.id, "message_type": draft.message_type.value,
                "language": draft.language, "sha256": draft.content_hash, "approvers": approvers, "attempt": row.attempts,
                "location": row.location, "already_published": bool(receipt and receipt.already_published),
                "error": error, "body": draft.body if receipt is not None else None,
            },
        )
        return Publication.model_validate(row, from_attributes=True)


def all_in(session: Session, incident_id: str) -> list[Publication]:
    rows = session.scalars(select(PublicationRow).where(PublicationRow.incident_id == incident_id).order_by(PublicationRow.id))
    return [Publication.model_validate(r, from_attributes=True) for r in rows]


# Reads ---------------------------------------------------------------------------------------------
def publications(db: Database, incident_id: str) -> list[Publication]:
    with db.read() as session:
        rows = session.scalars(select(PublicationRow).where(PublicationRow.incident_id == incident_id).order_by(PublicationRow.id))
        return [Publication.model_validate(r, from_attributes=True) for r in rows]


def sent_keys(db: Database, incident_id: str) -> set[tuple[str, str]]:
    """(draft id, channel) of everything the store says went out."""
    return {(p.draft_id, p.channel) for p in publications(db, incident_id) if p.status is PublicationStatus.SENT}
