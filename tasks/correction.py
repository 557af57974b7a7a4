"""Fact corrections after publication: record the new versions, flag every published message that
stated an old value, and prepare the ralat (correction) that goes through approval like any message."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from prefect import task
from pydantic import BaseModel

from pasopati.catalog import catalog
from pasopati.drafting import INTERNAL_MESSAGES, environment, local_time
from pasopati.models import Draft, Fact, FactSet, Incident, PublicationStatus, utcnow
from pasopati.runbook import MessageType, RunbookPlan
from pasopati.store import get_store


class FactChange(BaseModel):
    item_id: str
    label: str
    old: str
    new: str
    source: str
    at: str


@task(name="catat-koreksi-fakta")
def record_corrections(
    incident: Incident, plan: RunbookPlan, values: dict[str, str], source: str, verified_by: str, change: str
) -> FactSet:
    unknown = sorted(set(values) - {i.id for i in plan.checklist})
    if unknown:
        raise ValueError(f"unknown checklist item(s) {unknown} for {plan.category}")
    now = utcnow()
    facts = [
        Fact(item_id=i.id, label=i.label, value=values[i.id].strip() or None, source=source, public=i.public,
             verified_by=verified_by, recorded_at=now)
        for i in plan.checklist
        if i.id in values
    ]
    store = get_store()
    store.save_facts(incident.id, facts, change=change)
    return FactSet(incident_id=incident.id, stage="current", facts=store.current_facts(incident.id))


@task(name="tandai-pesan-usang")
def flag_outdated(incident: Incident, plan: RunbookPlan, change: str) -> list[Draft]:
    """Flag published messages whose figures changed; one ralat draft per language, to the same channels.

    A public message only ever used public facts, so the ralat lists public items only; a change to
    an internal-only item flags the situation report without a public ralat.
    """
    store = get_store()
    tag = hashlib.sha256(change.encode()).hexdigest()[:8]
    by_language: dict[str, tuple[dict[str, FactChange], set[str], list[tuple[str, str]]]] = {}
    for publication in store.publications(incident.id):
        draft = store.draft(publication.draft_id)
        if publication.status is not PublicationStatus.SENT or draft is None:
            continue
        changes = _changes(incident, draft)
        if not changes:
            continue
        items, channels, flags = by_language.setdefault(draft.language, ({}, set(), []))
        public = [c for c in changes if plan.item(c.item_id) is None or plan.item(c.item_id).public]  # type: ignore[union-attr]
        if draft.message_type not in INTERNAL_MESSAGES or public:
            items.update({c.item_id: c for c in public})
        channels.add(publication.channel)
        flag = "fakta berubah: " + "; ".join(f"{c.label} {c.old!r} → {c.new!r}" for c in changes)
        flags.append((publication.id, flag))
    drafts = []
    for language, (items, channels, flags) in by_language.items():
        draft_id = f"{incident.id}-{incident.severity.value}-correction-{language}-{tag}"
        if items:
            drafts.append(_correction_draft(draft_id, incident, plan, language, list(items.values()), sorted(channels)))
        for publication_id, flag in flags:
            store.flag_publication(publication_id, flag, draft_id if items else "")
    store.save_drafts(drafts)
    return [store.draft(d.id) or d for d in drafts]


def _changes(incident: Incident, draft: Draft) -> list[FactChange]:
    store = get_store()
    changes = []
    for item_id, version in draft.fact_versions.items():
        used = store.fact_version(incident.id, item_id, version)
        current = store.current_fact(incident.id, item_id)
        if used and current and used.value is not None and current.value != used.value:
            changes.append(
                FactChange(
                    item_id=item_id,
                    label=current.label,
                    old=used.value,
                    new=current.value or "belum dapat dikonfirmasi",
                    source=current.source or current.verified_by,
                    at=local_time(current.recorded_at, incident.timezone, draft.language),
                )
            )
    return changes


def _correction_draft(
    draft_id: str, incident: Incident, plan: RunbookPlan, language: str, changes: list[FactChange], channels: list[str]
) -> Draft:
    cat = catalog()
    now = utcnow()
    body = environment(cat.templates_dir).get_template(f"{language}/correction.j2").render(
        incident=incident.model_dump(),
        changes=[c.model_dump() for c in changes],
        issued_at=local_time(now, incident.timezone, language),
        spokesperson=cat.roster.roles[plan.plan.spokesperson.role].title,
    )
    current = {f.item_id: f.version for f in get_store().current_facts(incident.id)}
    holding = plan.plan.messages[0].deadline_minutes  # a ralat is as urgent as a holding statement
    return Draft(
        id=draft_id,
        incident_id=incident.id,
        severity=incident.severity,
        message_type=MessageType.CORRECTION,
        language=language,
        body=body.strip() + "\n",
        channels=channels,
        due_at=now + timedelta(minutes=holding),
        created_at=now,
        fact_versions={c.item_id: current[c.item_id] for c in changes},
    )
