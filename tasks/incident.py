"""Stage 1: open the incident from a trigger, tag the run, record what the reporter confirmed."""

from __future__ import annotations

import uuid

from prefect import get_client, task
from prefect.artifacts import create_progress_artifact

from pasopati.catalog import catalog
from pasopati.models import Fact, FactSet, Incident, Stage, Trigger, utcnow
from pasopati.runbook import RunbookPlan
from pasopati.store import get_store
from tasks.progress import reach


class UnknownUnit(ValueError):
    pass


class UnknownChecklistItem(ValueError):
    pass


def run_tags(incident: Incident) -> list[str]:
    """Tags an auditor filters by in the Prefect UI."""
    return [
        f"kategori:{incident.category}",
        f"tingkat:{incident.severity.value}",
        f"upt:{incident.unit_name}",
        f"kanwil:{incident.kanwil_name}",
    ]


def build_incident(plan: RunbookPlan, trigger: Trigger, incident_id: str | None = None) -> Incident:
    """A new incident for ``trigger``'s unit; raises UnknownUnit with the units the roster knows."""
    roster = catalog().roster
    unit = roster.find_unit(trigger.unit)
    if unit is None:
        known = ", ".join(u.name for u in roster.units)
        raise UnknownUnit(f"unknown unit {trigger.unit!r}; the roster knows: {known}")
    kanwil = roster.kanwil_of(unit)
    now = utcnow()
    return Incident(
        id=incident_id or str(uuid.uuid4()),
        flow_run_id=None,
        category=plan.category,
        category_title=plan.category_title,
        severity=plan.severity,
        unit_id=unit.id,
        unit_name=unit.name,
        unit_type=unit.type,
        kanwil_id=kanwil.id,
        kanwil_name=kanwil.name,
        province=kanwil.province,
        timezone=unit.timezone,
        summary=trigger.summary,
        detected_at=trigger.detected_at or now,
        opened_at=now,
    )


@task(name="buka-insiden")
def open_incident(plan: RunbookPlan, trigger: Trigger, flow_run_id: str | None) -> Incident:
    """Open the incident, or take over the one alert intake opened or escalated for this run."""
    store = get_store()
    if flow_run_id and (existing := store.incident_for_run(flow_run_id)):
        return existing  # re-run after a suspend: the store, not the cache, is the source of truth
    if trigger.incident_id:
        prepared = store.incident(trigger.incident_id)
        if prepared is None or prepared.category != plan.category:
            raise ValueError(f"trigger names incident {trigger.incident_id}, which is not a {plan.category} incident")
        incident = prepared.model_copy(update={"severity": plan.severity, "flow_run_id": flow_run_id})
    else:
        incident = build_incident(plan, trigger).model_copy(update={"flow_run_id": flow_run_id})
        store.save_incident(incident)
    if flow_run_id:
        incident.progress_artifact_id = str(
            create_progress_artifact(0.0, description=f"{plan.category} / {plan.severity.value}: {incident.unit_name}")
        )
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uuid.UUID(flow_run_id))
            client.update_flow_run(run.id, tags=sorted({*run.tags, *run_tags(incident)}))
    store.update_incident(incident)
    store.record_run(incident)
    reach(incident, Stage.OPENED)
    return incident


def reported_values(plan: RunbookPlan, trigger: Trigger) -> dict[str, str]:
    """The checklist items the trigger names, checked against the runbook."""
    unknown = sorted(set(trigger.reported_facts) - {i.id for i in plan.checklist})
    if unknown:
        known = ", ".join(i.id for i in plan.checklist)
        raise UnknownChecklistItem(f"unknown checklist item(s) {unknown} for {plan.category}; known: {known}")
    return dict(trigger.reported_facts)


@task(name="catat-fakta-awal")
def record_reported_facts(incident: Incident, plan: RunbookPlan, trigger: Trigger) -> FactSet:
    """What the trigger confirms, as the first version of each figure (claims stay unconfirmed)."""
    now = utcnow()
    values = reported_values(plan, trigger)
    if trigger.confirmed:
        values = {"di_mana": incident.unit_name, "apa": trigger.summary, **values}
    facts = [
        Fact(
            item_id=item.id,
            label=item.label,
            value=values[item.id],
            source=trigger.reported_by,
            public=item.public,
            verified_by=trigger.reported_by,
            recorded_at=now,
        )
        for item in plan.checklist
        if values.get(item.id)
    ]
    store = get_store()
    store.save_facts(incident.id, facts, change=f"laporan-awal:{plan.severity.value}")
    # Everything known for the incident so far: an escalated run starts from what was verified.
    return FactSet(incident_id=incident.id, stage="current", facts=store.current_facts(incident.id))
