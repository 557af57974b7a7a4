"""Deadlines while a crisis is open: undecided approvals escalate, unacknowledged team members
are replaced by their deputy, and update-cadence reminders go out.

It only ever widens who may act and tells people; it never decides anything itself (fail closed).
Run every ``PASOPATI_WATCH_SECONDS`` by the served ``pantau-tenggat/terjadwal`` deployment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from pasopati.audit.service import system
from pasopati.db import Database, get_database
from pasopati.decisions.gates import APPROVAL_GATES
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Escalation, Incident
from pasopati.plan.catalog import Catalog, catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.publications import service as publications
from pasopati.settings import get_settings
from pasopati.team import service as team_service
from pasopati.team.models import Recipient
from pasopati.time import utcnow

WATCHER = system("pantau-tenggat")


class WatchReport(BaseModel):
    approvals_escalated: list[str] = []
    deputies_called: list[str] = []
    reminders_sent: list[str] = []


def watch(now: datetime | None = None, run_id: str | None = None) -> WatchReport:
    """One pass over every open crisis; ``run_id``: the watcher's own flow run, which the audit
    events of what it does carry (their actor is ``sistem:pantau-tenggat``)."""
    from pasopati.runs import awaiting_drafts, pending

    now = now or utcnow()
    report = WatchReport()
    db, cat = get_database(), catalog()
    for item in pending():
        if item.gate not in APPROVAL_GATES or (incident := incidents.for_run(db, item.flow_run_id)) is None:
            continue
        drafts = awaiting_drafts(db, incident, item.gate)
        if drafts and now > (deadline := min(d.due_at for d in drafts)):
            if _escalate_approval(db, cat, incident, cat.plan(incident.category, incident.severity), item.gate, deadline, now, run_id):
                report.approvals_escalated.append(f"{incident.id} {item.gate}")
    for incident in incidents.open_incidents(db):
        plan = cat.plan(incident.category, incident.severity)
        report.deputies_called += _call_deputies(db, cat, incident, plan, now, run_id)
        if _remind(db, cat, incident, plan, now, run_id):
            report.reminders_sent.append(incident.id)
    return report


def _team_recipients(db: Database, incident: Incident) -> list[Recipient]:
    team = team_service.team(db, incident.id, incident.severity)
    members = team.members if team else []
    return [Recipient(person=m.name, role=m.role, contact=m.contact) for m in members if m.name and not m.informed_only]


def _escalate_approval(
    db: Database, cat: Catalog, incident: Incident, plan: RunbookPlan, gate: str, deadline: datetime, now: datetime, run_id: str | None
) -> bool:
    roster = cat.roster
    delegate = plan.plan.approval.escalate_to
    local = lambda t: t.astimezone().strftime("%H:%M")  # noqa: E731
    escalation = Escalation(
        incident_id=incident.id,
        severity=incident.severity,
        kind="approval",
        subject=gate,
        to_role=delegate.role if delegate else None,
        reason=f"tenggat {local(deadline)} terlewati tanpa keputusan",
        at=now,
    )
    if not incidents.escalate_deadline(db, escalation, run_id or incident.flow_run_id):
        return False  # escalated before: nobody is told twice
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    delegates = [Recipient(person=p.name, role=p.role, contact=p.contact) for p in roster.holders(delegate, unit)] if delegate else []
    title, body = team_service.message(
        cat.templates_dir,
        "approval_escalation.j2",
        incident=incident,
        gate=gate,
        deadline=local(deadline),
        delegate=roster.roles[delegate.role].title if delegate else None,
        ui_url=get_settings().ui_url,
    )
    team_service.notify(db, incident, f"eskalasi:{incident.severity.value}:{gate}", [*delegates, *_team_recipients(db, incident)],
                        title, body, actor=WATCHER, flow_run_id=run_id)
    return True


def _call_deputies(db: Database, cat: Catalog, incident: Incident, plan: RunbookPlan, now: datetime, run_id: str | None) -> list[str]:
    roster = cat.roster
    team = team_service.team(db, incident.id, incident.severity)
    if team is None:
        return []
    acknowledged = {a.person for a in team_service.acknowledgements(db, incident.id)}
    called = {n.person: n for n in team_service.notifications(db, incident.id) if n.key == f"tim:{incident.severity.value}"}
    limit = timedelta(minutes=plan.plan.acknowledge_within_minutes)
    replaced = []
    for member in team.members:
        call = called.get(member.name or "")
        if member.informed_only or call is None or member.name in acknowledged or now < call.sent_at + limit:
            continue
        deputy = roster.roles[member.role].deputy
        escalation = Escalation(
            incident_id=incident.id,
            severity=incident.severity,
            kind="acknowledgement",
            subject=member.name or member.role,
            to_role=deputy,
            reason=f"{member.name} belum mengonfirmasi dalam {plan.plan.acknowledge_within_minutes} menit",
            at=now,
        )
        if not incidents.escalate_deadline(db, escalation, run_id or incident.flow_run_id):
            continue
        for person in roster.deputies(member.role, member.org):
            title, body = team_service.message(
                cat.templates_dir, "deputy_call.j2", incident=incident, absent=member, person=person,
                run=incident.flow_run_id or incident.id, ack_minutes=plan.plan.acknowledge_within_minutes,
            )
            team_service.notify(db, incident, f"deputi:{member.name}", [Recipient(person=person.name, role=person.role, contact=person.contact)],
                                title, body, actor=WATCHER, flow_run_id=run_id)
        replaced.append(f"{incident.id} {member.name} → {deputy}")
    return replaced


def _remind(db: Database, cat: Catalog, incident: Incident, plan: RunbookPlan, now: datetime, run_id: str | None) -> bool:
    cadence = plan.plan.update_every_minutes
    if not cadence:
        return False
    published = [p.published_at for p in publications.publications(db, incident.id) if p.status.value == "sent" and p.published_at]
    last = max(published, default=incident.detected_at)
    if now < last + timedelta(minutes=cadence):
        return False
    title, body = team_service.message(
        cat.templates_dir, "update_reminder.j2", incident=incident, cadence=cadence, last=last.astimezone().strftime("%d-%m %H:%M")
    )
    # One reminder per quiet period: the key is the last update it is about.
    return bool(
        team_service.notify(db, incident, f"pengingat:{last.isoformat()}", _team_recipients(db, incident), title, body,
                            actor=WATCHER, flow_run_id=run_id)
    )
