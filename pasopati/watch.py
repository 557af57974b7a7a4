"""Deadlines while a crisis is open: undecided approvals escalate, unacknowledged team members
are replaced by their deputy, and update-cadence reminders go out.

It only ever widens who may act and tells people; it never decides anything itself (fail closed).
Run every ``PASOPATI_WATCH_SECONDS`` by the served ``pantau-tenggat/terjadwal`` deployment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from pasopati.catalog import catalog
from pasopati.inputs import APPROVAL_GATES
from pasopati.models import Escalation, Incident, PublicationStatus, utcnow
from pasopati.runbook import RunbookPlan
from pasopati.settings import get_settings
from pasopati.store import get_store
from pasopati.team import Recipient, notify, render


class WatchReport(BaseModel):
    approvals_escalated: list[str] = []
    deputies_called: list[str] = []
    reminders_sent: list[str] = []


def watch(now: datetime | None = None) -> WatchReport:
    from pasopati.runs import awaiting_drafts, pending

    now = now or utcnow()
    report = WatchReport()
    store, cat = get_store(), catalog()
    for item in pending():
        if item.gate not in APPROVAL_GATES or (incident := store.incident_for_run(item.flow_run_id)) is None:
            continue
        drafts = awaiting_drafts(incident, item.gate)
        if drafts and now > (deadline := min(d.due_at for d in drafts)):
            if _escalate_approval(incident, cat.plan(incident.category, incident.severity), item.gate, deadline, now):
                report.approvals_escalated.append(f"{incident.id} {item.gate}")
    for incident in store.open_incidents():
        plan = cat.plan(incident.category, incident.severity)
        report.deputies_called += _call_deputies(incident, plan, now)
        if _remind(incident, plan, now):
            report.reminders_sent.append(incident.id)
    return report


def _team_recipients(incident: Incident) -> list[Recipient]:
    team = get_store().team(incident.id, incident.severity.value)
    members = team.members if team else []
    return [Recipient(m.name, m.role, m.contact) for m in members if m.name and not m.informed_only]


def _escalate_approval(incident: Incident, plan: RunbookPlan, gate: str, deadline: datetime, now: datetime) -> bool:
    roster = catalog().roster
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
    if not get_store().escalate(escalation):
        return False  # escalated before: nobody is told twice
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    delegates = [Recipient(p.name, p.role, p.contact) for p in roster.holders(delegate, unit)] if delegate else []
    title, body = render(
        "approval_escalation.j2",
        incident=incident,
        gate=gate,
        deadline=local(deadline),
        delegate=roster.roles[delegate.role].title if delegate else None,
        ui_url=get_settings().ui_url,
    )
    notify(incident, f"eskalasi:{incident.severity.value}:{gate}", [*delegates, *_team_recipients(incident)], title, body)
    return True


def _call_deputies(incident: Incident, plan: RunbookPlan, now: datetime) -> list[str]:
    store, roster = get_store(), catalog().roster
    team = store.team(incident.id, incident.severity.value)
    if team is None:
        return []
    acknowledged = {a.person for a in store.acknowledgements(incident.id)}
    called = {n.person: n for n in store.notifications(incident.id) if n.key == f"tim:{incident.severity.value}"}
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
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
        if not store.escalate(escalation):
            continue
        org = member.org
        for person in roster.deputies(member.role, org):
            title, body = render(
                "deputy_call.j2", incident=incident, absent=member, person=person, run=incident.flow_run_id or incident.id,
                ack_minutes=plan.plan.acknowledge_within_minutes,
            )
            notify(incident, f"deputi:{member.name}", [Recipient(person.name, person.role, person.contact)], title, body)
        replaced.append(f"{incident.id} {member.name} → {deputy}")
    return replaced


def _remind(incident: Incident, plan: RunbookPlan, now: datetime) -> bool:
    cadence = plan.plan.update_every_minutes
    if not cadence:
        return False
    store = get_store()
    published = [p.published_at for p in store.publications(incident.id) if p.status is PublicationStatus.SENT and p.published_at]
    last = max(published, default=incident.detected_at)
    if now < last + timedelta(minutes=cadence):
        return False
    title, body = render(
        "update_reminder.j2", incident=incident, cadence=cadence, last=last.astimezone().strftime("%d-%m %H:%M")
    )
    # One reminder per quiet period: the key is the last update it is about.
    return bool(notify(incident, f"pengingat:{last.isoformat()}", _team_recipients(incident), title, body))
