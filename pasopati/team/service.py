"""Team acts: assemble the TKK from the roster, notify people (once per key and person, every
attempt recorded), take acknowledgements. Sending happens between two short transactions (the
claim and the result), never inside one: a slow mail server must not hold the store's writer lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import RunbookPlan, Severity
from pasopati.privacy import scan
from pasopati.team.delivery import mask, send_many
from pasopati.team.models import (
    Acknowledgement,
    Notification,
    Recipient,
    Team,
    TeamMember,
)
from pasopati.team.tables import AcknowledgementRow, NotificationRow, TeamRow
from pasopati.texts import render
from pasopati.time import utcnow


class NotOnTeam(KeyError):
    """An acknowledgement from someone the incident's team does not list and nobody called."""


def assemble(db: Database, incident: Incident, plan: RunbookPlan, cat: Catalog) -> Team:
    """The TKK for this severity from the roster by level and role; a role nobody holds is kept as
    a gap (recorded, evaluated) rather than stopping the response. Once per incident and severity."""
    roster = cat.roster
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None, "the incident was opened for a roster unit"
    with db.write() as session:
        if (row := session.get(TeamRow, (incident.id, plan.severity.value))) is not None:
            return Team.model_validate(row.data)
        members: list[TeamMember] = []
        for slot in plan.plan.team:
            acting = roster.stand_in(slot, unit)  # a unit without its own team: its Kanwil's holder, said so
            title = roster.roles[slot.role].title
            if acting.role != slot.role:
                title = f"{title} — dirangkap {roster.roles[acting.role].title}"
            base: dict[str, Any] = dict(
                role=slot.role, role_title=title, level=slot.level,
                org=roster.org_for(slot, unit), duty=slot.duty, informed_only=slot.informed_only,
            )
            members += [TeamMember(**base, name=p.name, contact=p.contact) for p in roster.holders(slot, unit)] or [TeamMember(**base)]
        team = Team(incident_id=incident.id, severity=plan.severity, members=members, assembled_at=utcnow())
        session.add(TeamRow(incident_id=incident.id, severity=plan.severity.value, assembled_at=team.assembled_at,
                            data=team.model_dump(mode="json")))
        record(
            session, "team.assembled", actor=system("runbook"), incident_id=incident.id, flow_run_id=incident.flow_run_id,
            details={
                "severity": plan.severity.value,
                "members": [{"name": m.name, "role": m.role, "org": m.org, "informed_only": m.informed_only} for m in members if m.name],
                "gaps": [f"{m.role}@{m.org}" for m in team.gaps],
            },
        )
        mark_stage(session, incident.id, Stage.TEAM)
    return team


def notify(
    db: Database,
    incident: Incident,
    key: str,
    recipients: list[Recipient],
    title: str,
    body: str,
    *,
    actor: str,
    flow_run_id: str | None = None,
) -> list[Notification]:
    """Send once per (incident, key, person): a re-run or a second watcher never notifies twice.
    ``flow_run_id``: the run that notifies (default: the incident's). Returns what this call sent
    (delivered or not)."""
    with db.write() as session:
        taken = set(
            session.scalars(
                select(NotificationRow.person).where(NotificationRow.incident_id == incident.id, NotificationRow.key == key)
            )
        )
        claimed = [r for r in {r.person: r for r in recipients}.values() if r.person not in taken]
        for r in claimed:
            session.add(NotificationRow(incident_id=incident.id, key=key, person=r.person, role=r.role, contact=mask(r.contact),
                                        title=title, ok=False, error="not sent yet", sent_at=utcnow()))
    deliveries = send_many([(r.contact, title, body) for r in claimed])
    sent = []
    with db.write() as session:
        for recipient, delivery in zip(claimed, deliveries):
            row = session.scalars(
                select(NotificationRow).where(NotificationRow.incident_id == incident.id, NotificationRow.key == key,
                                              NotificationRow.person == recipient.person)
            ).one()
            row.contact, row.ok, row.error, row.sent_at = delivery.contact, delivery.ok, delivery.error, utcnow()
            record(
                session, "notification.sent" if delivery.ok else "notification.failed", actor=actor,
                incident_id=incident.id, flow_run_id=flow_run_id or incident.flow_run_id,
                details={"key": key, "person": recipient.person, "role": recipient.role, "contact": delivery.contact,
                         "title": title, "error": delivery.error},
            )
            sent.append(Notification.model_validate(row, from_attributes=True))
    return sent


def call(db: Database, incident: Incident, team: Team, cat: Catalog, run: str) -> list[Notification]:
    """Tell every member the roster found that they are on this crisis's team, and what to do."""
    ack_minutes = cat.plan(incident.category, incident.severity).plan.acknowledge_within_minutes
    sent: list[Notification] = []
    for member in team.members:
        if member.name is None:
            continue  # a roster gap: recorded on the team and in the evaluation
        deputy = cat.roster.roles[member.role].deputy
        title, body = message(
            cat.templates_dir, "team_call.j2", incident=incident, member=member, run=run, ack_minutes=ack_minutes,
            deputy=cat.roster.roles[deputy].title if deputy else None,
        )
        recipient = Recipient(person=member.name, role=member.role, contact=member.contact)
        sent += notify(db, incident, f"tim:{team.severity.value}", [recipient], title, body, actor=system("runbook"))
    return sent


def acknowledge(db: Database, incident: Incident, name: str, *, via: str) -> str:
    """Record that ``name`` (a team member or a deputy called in) acknowledged the call."""
    with db.write() as session:
        return acknowledge_in(session, incident, name, via=via)


def acknowledge_in(session: Session, incident: Incident, name: str, *, via: str, proof: str | None = None) -> str:
    """``acknowledge`` inside another act's transaction (an acknowledgement proven by
    pasopati.decisions.steps). Raises NotOnTeam for someone neither on the team nor called."""
    wanted = name.strip().casefold()
    row = session.get(TeamRow, (incident.id, incident.severity.value))
    members = {m.name.casefold(): m for m in Team.model_validate(row.data).members if m.name} if row else {}
    called = {
        n.person.casefold(): n
        for n in session.scalars(select(NotificationRow).where(NotificationRow.incident_id == incident.id))
    }
    if wanted in members:
        person, role = members[wanted].name, members[wanted].role
    elif wanted in called:
        person, role = called[wanted].person, called[wanted].role
    else:
        raise NotOnTeam(f"{name!r} is not on the crisis team of incident {incident.id} and was not called as a deputy")
    assert person is not None
    if session.get(AcknowledgementRow, (incident.id, person)) is not None:
        return f"{person} ({role}) had already acknowledged incident {incident.id}"
    session.add(AcknowledgementRow(incident_id=incident.id, person=person, role=role, via=via, at=utcnow()))
    record(session, "team.acknowledged", actor=person, incident_id=incident.id, flow_run_id=incident.flow_run_id,
           details={"role": role, "via": via, "proof": proof})
    return f"{person} ({role}) acknowledged incident {incident.id}"


def message(templates_dir: Path, template: str, **context: Any) -> tuple[str, str]:
    """Title (first line) and body of ``templates/notify/<template>``. The incident's summary (the
    reporter's words) goes out with its personal data masked: notifications travel by e-mail and
    chat, outside the store (UU PDP 27/2022 Pasal 4)."""
    if isinstance(incident := context.get("incident"), Incident):
        context["incident"] = incident.model_copy(update={"summary": masked(incident.summary, child_unit=incident.unit_type == "lpka")})
    text = render(templates_dir, f"notify/{template}", **context)
    title, _, body = text.strip().partition("\n")
    return title.strip(), body.strip() + "\n"


def masked(text: str, *, child_unit: bool) -> str:
    """``text`` with every personal-data finding (pasopati.privacy) replaced by "[disamarkan]"."""
    for finding in reversed(scan(text, child_unit=child_unit)):
        text = text[: finding.start] + "[disamarkan]" + text[finding.end :]
    return text


# Reads ---------------------------------------------------------------------------------------------
def team(db: Database, incident_id: str, severity: Severity | str) -> Team | None:
    with db.read() as session:
        return team_in(session, incident_id, severity)


def team_in(session: Session, incident_id: str, severity: Severity | str) -> Team | None:
    row = session.get(TeamRow, (incident_id, Severity(severity).value))
    return Team.model_validate(row.data) if row else None


def notifications(db: Database, incident_id: str) -> list[Notification]:
    with db.read() as session:
        rows = session.scalars(select(NotificationRow).where(NotificationRow.incident_id == incident_id).order_by(NotificationRow.id))
        return [Notification.model_validate(r, from_attributes=True) for r in rows]


def acknowledgements(db: Database, incident_id: str) -> list[Acknowledgement]:
    with db.read() as session:
        rows = session.scalars(select(AcknowledgementRow).where(AcknowledgementRow.incident_id == incident_id))
        return [Acknowledgement.model_validate(r, from_attributes=True) for r in rows]
