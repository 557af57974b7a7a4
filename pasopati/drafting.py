"""Render drafts from the Jinja2 templates, using nothing but the facts gathered for the run.

An item nobody confirmed reaches the template as ``value=None`` and the template says so
("belum dapat dikonfirmasi"); undefined variables raise instead of rendering blank.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from pasopati.models import Draft, Fact, Incident, Team
from pasopati.runbook import MessageSpec, MessageType, RunbookPlan

# Date patterns per language (CLDR); the tz abbreviation is always the Indonesian one (WIB/WITA/WIT).
TIME_PATTERNS = {"id": "d MMMM y 'pukul' HH.mm", "en": "d MMMM y, HH:mm"}
INTERNAL_MESSAGES = {MessageType.SITUATION_REPORT}


@lru_cache
def environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # plain text and markdown for channels, not HTML
    )


def local_time(moment: datetime, tz_name: str, language: str) -> str:
    tz = ZoneInfo(tz_name)
    stamp = format_datetime(moment, TIME_PATTERNS[language], tzinfo=tz, locale=language)
    return f"{stamp} {format_datetime(moment, 'z', tzinfo=tz, locale='id')}"


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


def render_draft(
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
    template = environment(templates_dir).get_template(f"{language}/{spec.type.value}.j2")
    body = template.render(**context).strip() + "\n"
    return Draft(
        id=f"{incident.id}-{plan.severity.value}-{spec.type.value}-{language}",
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
