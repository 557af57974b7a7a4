"""After a fact changes: flag every published message that stated the old value, and prepare the
ralat (one per language, to the same channels) that goes through approval like any message."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.drafts.models import Draft
from pasopati.drafts.rendering import INTERNAL_MESSAGES, FactChange, render_correction
from pasopati.drafts.service import add as add_draft
from pasopati.drafts.service import get_in as draft_in
from pasopati.facts.models import Fact
from pasopati.facts.service import history_in
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.publications.models import PublicationStatus
from pasopati.publications.tables import PublicationRow
from pasopati.texts import local_time
from pasopati.time import utcnow


def flag_outdated(db: Database, incident: Incident, plan: RunbookPlan, change: str, cat: Catalog) -> list[Draft]:
    """Flag published messages whose figures changed; returns the ralat drafts (public items only:
    a change to an internal-only item flags the situation report without a public ralat)."""
    tag = hashlib.sha256(change.encode()).hexdigest()[:8]
    spokesperson = cat.roster.roles[plan.plan.spokesperson.role].title
    with db.write() as session:
        history = history_in(session, incident.id)
        by_language: dict[str, tuple[dict[str, FactChange], set[str], list[tuple[PublicationRow, str]]]] = {}
        for publication in session.scalars(select(PublicationRow).where(PublicationRow.incident_id == incident.id).order_by(PublicationRow.id)):
            found = draft_in(session, publication.draft_id)
            if publication.status != PublicationStatus.SENT.value or found is None:
                continue
            draft = found
            changes = _changes(incident, draft, history)
            if not changes:
                continue
            items, channels, flags = by_language.setdefault(draft.language, ({}, set(), []))
            public = [c for c in changes if (item := plan.item(c.item_id)) is None or item.public]
            if draft.message_type not in INTERNAL_MESSAGES or public:
                items.update({c.item_id: c for c in public})
            channels.add(publication.channel)
            flags.append((publication, "fakta berubah: " + "; ".join(f"{c.label} {c.old!r} → {c.new!r}" for c in changes)))
        current = {f.item_id: f.version for f in history}
        drafts = []
        for language, (items, channels, flags) in by_language.items():
            draft_id = f"{incident.id}-{incident.severity.value}-correction-{language}-{tag}"
            if items and draft_in(session, draft_id) is None:
                draft = render_correction(
                    draft_id=draft_id, incident=incident, plan=plan, spokesperson=spokesperson, language=language,
                    changes=list(items.values()), channels=sorted(channels), current_versions=current,
                    templates_dir=cat.templates_dir, now=utcnow(),
                )
                add_draft(session, draft, actor=system("template"), flow_run_id=incident.flow_run_id)
            if items and (ralat := draft_in(session, draft_id)) is not None:
                drafts.append(ralat)
            for publication, flag in flags:
                _flag(session, incident, publication, flag, draft_id if items else "")
        return drafts


def _flag(session: Session, incident: Incident, publication: PublicationRow, flag: str, correction_draft_id: str) -> None:
    if (publication.flag, publication.correction_draft_id) == (flag, correction_draft_id):
        return
    publication.flag, publication.correction_draft_id = flag, correction_draft_id
    record(session, "publication.flagged", actor=system("koreksi"), incident_id=incident.id, flow_run_id=incident.flow_run_id,
           details={"publication_id": publication.id, "channel": publication.channel, "draft_id": publication.draft_id,
                    "flag": flag, "correction_draft_id": correction_draft_id or None})


def _changes(incident: Incident, draft: Draft, history: list[Fact]) -> list[FactChange]:
    versions = {(f.item_id, f.version): f for f in history}
    current = {f.item_id: f for f in history}
    changes = []
    for item_id, version in draft.fact_versions.items():
        used, now = versions.get((item_id, version)), current.get(item_id)
        if used and now and used.value is not None and now.value != used.value:
            changes.append(
                FactChange(
                    item_id=item_id, label=now.label, old=used.value, new=now.value or "belum dapat dikonfirmasi",
                    source=now.source or now.verified_by, at=local_time(now.recorded_at, incident.timezone, draft.language),
                )
            )
    return changes
