"""Calling the crisis team: notify each member through their apprise contact, record every
attempt, take acknowledgements, and call a deputy for whoever did not acknowledge in time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pasopati.catalog import catalog
from pasopati.drafting import environment
from pasopati.models import Acknowledgement, Incident, Notification, Team, utcnow
from pasopati.store import get_store


class NotOnTeam(KeyError):
    """An acknowledgement from someone the incident's team does not list."""


@dataclass(frozen=True)
class Recipient:
    person: str
    role: str
    contact: str


def render(template: str, **context: Any) -> tuple[str, str]:
    """Title (first line) and body of ``templates/notify/<template>``."""
    text = environment(catalog().templates_dir).get_template(f"notify/{template}").render(**context)
    title, _, body = text.strip().partition("\n")
    return title.strip(), body.strip() + "\n"


def notify(incident: Incident, key: str, recipients: list[Recipient], title: str, body: str) -> list[Notification]:
    """Send once per (incident, key, person): a re-run or a second watcher never notifies twice.
    Every attempt is recorded, delivered or not. Returns what this call sent."""
    from pasopati.notify import mask, send_many

    store = get_store()
    claimed = [
        r
        for r in recipients
        if store.claim_notification(
            Notification(
                incident_id=incident.id, key=key, person=r.person, role=r.role, contact=mask(r.contact),
                title=title, sent_at=utcnow(),
            )
        )
    ]
    deliveries = send_many([(r.contact, title, body) for r in claimed])
    for recipient, delivery in zip(claimed, deliveries):
        store.finish_notification(
            incident.id, key, recipient.person, contact=delivery.contact, ok=delivery.ok, error=delivery.error
        )
    sent = {r.person for r in claimed}
    return [n for n in store.notifications(incident.id) if n.key == key and n.person in sent]


def call_team(incident: Incident, team: Team, run: str) -> list[Notification]:
    """Tell every member the roster found that they are on this crisis's team, and what to do."""
    roster = catalog().roster
    ack_minutes = catalog().plan(incident.category, incident.severity).plan.acknowledge_within_minutes
    sent: list[Notification] = []
    for member in team.members:
        if member.name is None:
            continue  # a roster gap: recorded on the team and in the evaluation
        deputy = roster.roles[member.role].deputy
        title, body = render(
            "team_call.j2",
            incident=incident,
            member=member,
            run=run,
            ack_minutes=ack_minutes,
            deputy=roster.roles[deputy].title if deputy else None,
        )
        recipient = Recipient(member.name, member.role, member.contact)
        sent += notify(incident, f"tim:{team.severity.value}", [recipient], title, body)
    return sent


def acknowledge(incident: Incident, name: str, *, via: str) -> str:
    """Record that ``name`` (a team member or a deputy called in) acknowledged the call."""
    store = get_store()
    team = store.team(incident.id, incident.severity.value)
    wanted = name.strip().casefold()
    members = {m.name.casefold(): m for m in team.members if m.name} if team else {}
    called = {n.person.casefold(): n for n in store.notifications(incident.id)}
    if wanted in members:
        person, role = members[wanted].name, members[wanted].role
    elif wanted in called:
        person, role = called[wanted].person, called[wanted].role
    else:
        raise NotOnTeam(f"{name!r} is not on the crisis team of incident {incident.id} and was not called as a deputy")
    assert person is not None
    new = store.acknowledge(Acknowledgement(incident_id=incident.id, person=person, role=role, via=via, at=utcnow()))  # type: ignore[arg-type]
    return f"{person} ({role}) {'acknowledged' if new else 'had already acknowledged'} incident {incident.id}"
