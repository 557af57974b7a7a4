"""After a fact changes: flag every published message that stated the old value, and prepare the
update (pemutakhiran: the figure evolved) or ralat (correction: it was wrong) — one per language, to
the same channels — that goes through approval like any message (WRITING.md, "Updates and corrections")."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.drafts.models import Draft
from pasopati.drafts.rendering import INTERNAL_MESSAGES, FactChange, render_change
from pasopati.drafts.service import add as add_draft
from pasopati.drafts.service import get_in as draft_in
from pasopati.facts.models import Fact
from pasopati.facts.service import current_in, history_in
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import MessageType, RunbookPlan
from pasopati.publications.models import PublicationStatus
from pasopati.publications.tables import PublicationRow
from pasopati.time import utcnow

RALAT_PREFIX = "ralat:"  # a change named so says the published figures were wrong (else: they evolved)


def change_kind(change: str) -> MessageType:
    """A ralat (with apology) when the submission said the published figure was wrong, else an update."""
    return MessageType.CORRECTION if change.startswith(RALAT_PREFIX) else MessageType.UPDATE


def flag_outdated(db: Database, incident: Incident, plan: RunbookPlan, change: str, cat: Catalog) -> list[Draft]:
    """Flag published messages that stated a figure that changed since; returns the update or ralat
    drafts, one per language, to the channels of exactly those messages (public items only: a change
    to an internal-only item flags the situation report without a public message)."""
    tag = hashlib.sha256(change.encode()).hexdigest()[:8]
    kind = change_kind(change)
    with db.write() as session:
        history = history_in(session, incident.id)
        by_language: dict[str, tuple[dict[str, FactChange], set[str], list[tuple[PublicationRow, str]]]] = {}
        for publication in session.scalars(select(PublicationRow).where(PublicationRow.incident_id == incident.id).order_by(PublicationRow.id)):
            found = draft_in(session, publication.draft_id)
            if publication.status not in (PublicationStatus.SENT.value, PublicationStatus.PARTIAL.value) or found is None:
                continue
            draft = found
            changes = _changes(draft, history)
            if not changes:
                continue
            items, channels, flags = by_language.setdefault(draft.language, ({}, set(), []))
            public = [c for c in changes if (item := plan.item(c.item_id)) is None or item.public]
            if draft.message_type not in INTERNAL_MESSAGES or public:
                items.update({c.item_id: c for c in public})
            channels.add(publication.channel)
            flags.append((publication, "fakta berubah: " + "; ".join(f"{c.new.label} {c.old.value!r} → {c.new.value!r}" for c in changes)))
        current = current_in(session, incident.id)
        drafts = []
        for language, (items, channels, flags) in by_language.items():
            # A figure no longer confirmed at all did not evolve: what we said cannot stand (ralat).
            message_kind = MessageType.CORRECTION if any(not c.new.value for c in items.values()) else kind
            draft_id = f"{incident.id}-{incident.severity.value}-{message_kind.value}-{language}-{tag}"
            if items and draft_in(session, draft_id) is None:
                draft = render_change(
                    draft_id=draft_id, kind=message_kind, incident=incident, plan=plan, facts=current, language=language,  # type: ignore[arg-type]
                    changes=list(items.values()), channels=sorted(channels), cat=cat, now=utcnow(),
                )
                add_draft(session, draft, actor=system("template"), flow_run_id=incident.flow_run_id)
            if items and (message := draft_in(session, draft_id)) is not None:
                drafts.append(message)
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


def _changes(draft: Draft, history: list[Fact]) -> list[FactChange]:
    """The figures ``draft`` stated (its fact versions) whose current value differs — for an English
    draft also the English words it stated (a corrected translation corrects what went out in
    English; a fact it left out untranslated it never stated)."""
    versions = {(f.item_id, f.version): f for f in history}
    current = {f.item_id: f for f in history}
    changes = []
    for item_id, version in draft.fact_versions.items():
        used, now = versions.get((item_id, version)), current.get(item_id)
        if not used or not now or used.value is None:
            continue
        reworded = draft.language == "en" and used.value_en is not None and now.value_en != used.value_en
        if now.value != used.value or reworded:
            changes.append(FactChange(item_id=item_id, old=used, new=now))
    return changes
