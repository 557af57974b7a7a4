"""Stage 2: assemble the TKK (Tim Komunikasi Krisis) for this run from the roster."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.runtime import flow_run

from pasopati.catalog import catalog
from pasopati.models import Incident, Notification, Stage, Team, TeamMember, utcnow
from pasopati.team import call_team
from pasopati.runbook import RunbookPlan
from pasopati.store import get_store
from tasks.progress import reach


@task(name="bentuk-tim")
def assemble_team(incident: Incident, plan: RunbookPlan) -> Team:
    if team := get_store().team(incident.id, plan.severity.value):
        return team
    roster = catalog().roster
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None, "open_incident resolved this unit"
    members: list[TeamMember] = []
    for slot in plan.plan.team:
        holders = roster.holders(slot, unit)
        base = dict(
            role=slot.role,
            role_title=roster.roles[slot.role].title,
            level=slot.level,
            org=roster.org_for(slot, unit),
            duty=slot.duty,
            informed_only=slot.informed_only,
        )
        # A missing roster entry must not stop the crisis response: the gap is recorded and evaluated.
        members += [TeamMember(**base, name=p.name, contact=p.contact) for p in holders] or [TeamMember(**base)]
    team = Team(incident_id=incident.id, severity=plan.severity, members=members, assembled_at=utcnow())
    for gap in team.gaps:
        get_run_logger().warning("No roster entry for role %s at %s", gap.role, gap.org)
    get_store().save_team(team)
    reach(incident, Stage.TEAM)
    return team


@task(name="panggil-tim")
def notify_team(incident: Incident, team: Team) -> list[Notification]:
    """Call every member through their apprise contact; each attempt is recorded, delivered or not."""
    sent = call_team(incident, team, run=flow_run.name or incident.id)
    failed = [n for n in sent if not n.ok]
    for n in failed:
        get_run_logger().warning("could not notify %s (%s): %s", n.person, n.role, n.error)
    return sent
