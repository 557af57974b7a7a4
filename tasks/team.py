"""Stage 2: assemble the TKK (Tim Komunikasi Krisis) for this run from the roster, and call it."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.runtime import flow_run

from pasopati.db import get_database
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.team import service as team_service
from pasopati.team.models import Notification, Team
from tasks.progress import show


@task(name="bentuk-tim")
def assemble_team(incident: Incident, plan: RunbookPlan) -> Team:
    team = team_service.assemble(get_database(), incident, plan, catalog())
    for gap in team.gaps:
        get_run_logger().warning("No roster entry for role %s at %s", gap.role, gap.org)
    show(incident, Stage.TEAM)
    return team


@task(name="panggil-tim")
def notify_team(incident: Incident, team: Team) -> list[Notification]:
    """Call every member through their apprise contact; each attempt is recorded, delivered or not."""
    sent = team_service.call(get_database(), incident, team, catalog(), run=flow_run.name or incident.id)
    for n in sent:
        if not n.ok:
            get_run_logger().warning("could not notify %s (%s): %s", n.person, n.role, n.error)
    return sent
