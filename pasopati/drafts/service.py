"""Draft acts: the first drafts of a stage, revisions after request-changes, ralat drafts — each
one transaction that stores the revisions with a ``draft.created`` audit event holding the text."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.drafts import coherence
from pasopati.drafts.models import Draft
from pasopati.drafts.rendering import render_message
from pasopati.drafts.tables import DraftRow
from pasopati.facts.models import Fact
from pasopati.facts.service import current_in, history_in
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import MessageType, RunbookPlan
from pasopati.team.models import Team
from pasopati.texts import TextRefused, has_words, plain
from pasopati.time import utcnow

REVISION_SUFFIX = re.compile(r"-r\d+$")


class RevisionRefused(ValueError):
    """A redraft that may not be recorded; the message says why."""


class NothingRevised(RevisionRefused):
    """A redraft that would change no text."""


class IncoherentText(RevisionRefused):
    """A typed revision whose figures, times or details may not go out (pasopati.drafts.coherence)."""


def render(
    incident: Incident, plan: RunbookPlan, team: Team, facts: list[Fact], types: list[MessageType], cat: Catalog,
    now: datetime | None = None,
) -> list[Draft]:
    """Revision 1 of every message of ``types`` in every language the runbook asks for (not stored)."""
    now = now or utcnow()
    return [
        render_message(incident=incident, plan=plan, team=team, facts=facts, spec=spec, language=language, cat=cat, now=now)
        for spec in plan.plan.messages
        if spec.type in types
        for language in spec.languages
    ]


def prepare(
    db: Database, incident: Incident, plan: RunbookPlan, team: Team, types: list[MessageType], cat: Catalog, stage: Stage
) -> list[Draft]:
    """Draft the messages of ``types`` from the incident's current facts, once: a re-run (after a
    suspend) gets revision 1 back, from which the approval loop replays the recorded decisions."""
    with db.write() as session:
        existing = [
            _draft(r)
            for r in session.scalars(_of(incident.id, plan.severity.value))
            if MessageType(r.message_type) in types and r.revision == 1
        ]
        if existing:
            return existing
        drafts = render(incident, plan, team, current_in(session, incident.id), types, cat)
        for draft in drafts:
            add(session, draft, actor=system("template"), flow_run_id=incident.flow_run_id)
        mark_stage(session, incident.id, stage)
    return drafts


def revise_in(
    session: Session,
    incident: Incident,
    plan: RunbookPlan,
    team: Team,
    drafts: list[Draft],
    texts: dict[str, str],
    *,
    drafter: str,
    note: str,
    cat: Catalog,
) -> list[Draft]:
    """The next revision of each draft after request-changes, inside the redraft act's transaction:
    the drafter's text (draft id → text) where it differs, otherwise the templates again on the
    current facts (which picks up any correction made meanwhile). A re-run returns the revisions
    already made. Every new revision records ``drafter`` as its author, also where the templates
    redrew it. Raises NothingRevised when no text would change (a revision identical to what the
    approvers already saw is no revision), IncoherentText when a typed text fails
    pasopati.drafts.coherence."""
    facts = current_in(session, incident.id)
    existing = [session.get(DraftRow, revision_id(draft, draft.revision + 1)) for draft in drafts]
    if all(row is not None for row in existing):  # a re-run: the revisions already made
        return [_draft(row) for row in existing if row is not None]
    result = []
    for draft in drafts:
        text = texts.get(draft.id)
        try:
            given = None if text is None else normalise_text(text)
        except TextRefused as exc:
            raise IncoherentText(f"{draft.id}: {exc}") from exc
        if given is not None and given != normalise_text(draft.body):
            typed = revised(draft, given, author=drafter, note=note)
            if found := coherence.draft_problems(typed, incident, plan, history_in(session, incident.id), utcnow()):
                raise IncoherentText(f"{draft.id}: {coherence.describe(found)}")
            result.append(typed)
            continue
        fresh = [d for d in render(incident, plan, team, facts, [draft.message_type], cat) if d.language == draft.language]
        body = fresh[0].body if fresh else draft.body
        result.append(revised(draft, body, author=drafter, note=note or "disusun ulang dari fakta terkini",
                              fact_versions=fresh[0].fact_versions if fresh else None))
    if all(new.body == old.body for new, old in zip(result, drafts, strict=True)):
        raise NothingRevised("no text changed: give the revised text (--text MESSAGE/LANG=FILE), or correct the facts first")
    for new in result:
        add(session, new, actor=drafter, flow_run_id=incident.flow_run_id)
    return result


def add(session: Session, draft: Draft, *, actor: str, flow_run_id: str | None) -> Draft:
    """Store one revision with its audit event (the exact text, its hash, the facts it states)."""
    if (existing := session.get(DraftRow, draft.id)) is not None:
        return _draft(existing)
    session.add(DraftRow(content_hash=draft.content_hash, **draft.model_dump()))
    record(
        session, "draft.created", actor=actor, incident_id=draft.incident_id, flow_run_id=flow_run_id,
        details={
            "draft_id": draft.id, "message_type": draft.message_type.value, "language": draft.language,
            "severity": draft.severity.value, "revision": draft.revision, "parent_id": draft.parent_id,
            "author": draft.author, "note": draft.note, "channels": draft.channels, "due_at": draft.due_at.isoformat(),
            "fact_versions": draft.fact_versions, "sha256": draft.content_hash, "body": draft.body,
        },
    )
    return draft


def normalise_text(text: str) -> str:
    """Text as a form or file gives it, in the shape drafts are stored: pasopati.texts.plain (what
    every check and channel sees), one final newline. Raises TextRefused (pasopati.texts), also for
    a text with no words: an empty file given to `revise` was approved and published as a blank
    press release (issue 11 trial)."""
    normal = plain(text).strip()
    if not has_words(normal):
        raise TextRefused("the text has no words: a public statement cannot be blank")
    return normal + "\n"


def revision_id(draft: Draft, revision: int) -> str:
    return f"{REVISION_SUFFIX.sub('', draft.id)}-r{revision}"


def revised(draft: Draft, body: str, *, author: str, note: str, fact_versions: dict[str, int] | None = None) -> Draft:
    """The next revision of ``draft`` with a new body; the old revision stays, for the record."""
    revision = draft.revision + 1
    return draft.model_copy(
        update={
            "id": revision_id(draft, revision),
            "revision": revision,
            "parent_id": draft.id,
            "body": normalise_text(body),
            "author": author,
            "note": note,
            "fact_versions": draft.fact_versions if fact_versions is None else fact_versions,
            "created_at": utcnow(),
        }
    )


def _of(incident_id: str, severity: str | None = None):  # type: ignore[no-untyped-def]
    query = select(DraftRow).where(DraftRow.incident_id == incident_id)
    if severity is not None:
        query = query.where(DraftRow.severity == severity)
    return query.order_by(DraftRow.created_at, DraftRow.revision, DraftRow.id)


def get_in(session: Session, draft_id: str) -> Draft | None:
    """One revision, inside another act's transaction."""
    row = session.get(DraftRow, draft_id)
    return _draft(row) if row else None


def latest_of(session: Session, seed: list[Draft]) -> list[Draft]:
    """The newest revision of each of these messages (an edit or a redraft replaces its parent)."""
    result = []
    for draft in seed:
        root = REVISION_SUFFIX.sub("", draft.id)
        rows = session.scalars(
            select(DraftRow).where(DraftRow.incident_id == draft.incident_id, DraftRow.id.like(f"{root}-r%"))
        ).all()
        newest = max((r for r in rows if revision_id(draft, r.revision) == r.id), key=lambda r: r.revision, default=None)
        result.append(_draft(newest) if newest is not None and newest.revision > draft.revision else draft)
    return result


def all_in(session: Session, incident_id: str) -> list[Draft]:
    return [_draft(r) for r in session.scalars(_of(incident_id))]


def _draft(row: DraftRow) -> Draft:
    return Draft.model_validate(row, from_attributes=True)


# Reads ---------------------------------------------------------------------------------------------
def get(db: Database, draft_id: str) -> Draft | None:
    with db.read() as session:
        row = session.get(DraftRow, draft_id)
        return _draft(row) if row else None


def list_drafts(db: Database, incident_id: str, severity: str | None = None, *, latest: bool = False) -> list[Draft]:
    """All revisions, or with ``latest`` only the newest revision of each message."""
    with db.read() as session:
        drafts = [_draft(r) for r in session.scalars(_of(incident_id, severity))]
    if latest:
        replaced = {d.parent_id for d in drafts if d.parent_id}
        drafts = [d for d in drafts if d.id not in replaced]
    return drafts
