"""Render message texts from the Jinja2 templates, using nothing but the facts gathered for the run.

An item nobody confirmed reaches the template as ``value=None`` and the template says so
("belum dapat dikonfirmasi"); undefined variables raise instead of rendering blank. Every text a
run drafts — holding statement, full statement, posts, situation report, ralat — comes from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pasopati.drafts.models import Draft
from pasopati.facts.models import Fact
from pasopati.incidents.models import Incident
from pasopati.plan.runbook import MessageSpec, MessageType, RunbookPlan
from pasopati.team.models import Team
from pasopati.texts import environment, local_time

INTERNAL_MESSAGES = {MessageType.SITUATION_REPORT}


class FactChange(BaseModel):
    """A figure a published message stated that has changed since (what a ralat says)."""

    item_id: str
    label: str
    old: str
    new: str
    source: str
    at: str


def draft_id(incident: Incident, plan: RunbookPlan, message_type: MessageType, language: str) -> str:
    return f"{incident.id}-{plan.severity.value}-{message_type.value}-{language}"


def fact_views(plan: RunbookPlan, facts: list[Fact], *, public: bool) -> list[dict[str, Any]]:
    """One entry per checklist item, in checklist order; value None where nothing was confirmed."""
    latest = {f.item_id: f for f in facts if f.value is not None}
    views = []
    for item in plan.checklist:
        if public and not item.public:
            continue
        fact = latest.get(item.id)
        views.append(
            {
                "id": item.id,
                "label": item.label,
                "value": fact.value if fact else None,
                "source": fact.source if fact else None,
                "version": fact.version if fact else None,
            }
        )
    return views


def render_message(
    *,
    incident: Incident,
    plan: RunbookPlan,
    spokesperson: str,
    team: Team,
    facts: list[Fact],
    spec: MessageSpec,
    language: str,
    templates_dir: Path,
    now: datetime,
) -> Draft:
    """The first revision of one message in one language."""
    cadence = plan.plan.update_every_minutes
    due_at = incident.detected_at + timedelta(minutes=spec.deadline_minutes)

    def when(moment: datetime) -> str:
        return local_time(moment, incident.timezone, language)

    views = fact_views(plan, facts, public=spec.type not in INTERNAL_MESSAGES)
    context = {
        "incident": {
            "unit_name": incident.unit_name,
            "unit_type": incident.unit_type,
            "kanwil_name": incident.kanwil_name,
            "province": incident.province,
            "category_title": incident.category_title,
            "severity": incident.severity.value,
            "detected_at": when(incident.detected_at),
        },
        "facts": views,
        "plan": {
            "strategy": plan.plan.strategy.value,
            "spokesperson": spokesperson,
            "next_update": when(now + timedelta(minutes=cadence)) if cadence else None,
            "press_conference_within_minutes": plan.plan.press_conference_within_minutes,
            "issued_at": when(now),
        },
        "message": {"type": spec.type.value, "deadline": when(due_at)},
        # Names are for the internal situation report; public templates never use them.
        "team": [m.model_dump(include={"role_title", "name", "duty", "informed_only"}) for m in team.members],
    }
    body = environment(templates_dir).get_template(f"{language}/{spec.type.value}.j2").render(**context).strip() + "\n"
    return Draft(
        id=draft_id(incident, plan, spec.type, language),
        incident_id=incident.id,
        severity=plan.severity,
        message_type=spec.type,
        language=language,
        body=body,
        channels=spec.channels,
        due_at=due_at,
        created_at=now,
        # Which version of each figure this text states (templates print values verbatim; a short
        # template may leave some out): a later correction flags exactly the messages that said it.
        fact_versions={v["id"]: v["version"] for v in views if v["version"] is not None and v["value"] in body},
    )


def render_correction(
    *,
    draft_id: str,
    incident: Incident,
    plan: RunbookPlan,
    spokesperson: str,
    language: str,
    changes: list[FactChange],
    channels: list[str],
    current_versions: dict[str, int],
    templates_dir: Path,
    now: datetime,
) -> Draft:
    """A ralat: what was said, what is true now, its source and time; as urgent as a holding statement."""
    body = environment(templates_dir).get_template(f"{language}/correction.j2").render(
        incident=incident.model_dump(),
        changes=[c.model_dump() for c in changes],
        issued_at=local_time(now, incident.timezone, language),
        spokesperson=spokesperson,
    )
    return Draft(
        id=draft_id,
        incident_id=incident.id,
        severity=incident.severity,
        message_type=MessageType.CORRECTION,
        language=language,
        body=body.strip() + "\n",
        channels=channels,
        due_at=now + timedelta(minutes=plan.plan.messages[0].deadline_minutes),
        created_at=now,
        fact_versions={c.item_id: current_versions[c.item_id] for c in changes},
    )
