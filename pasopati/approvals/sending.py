"""Send the approval links of a gate round that just opened: one per person who may decide, through
their own roster contact, once per round and person.

``send_links`` is called for every DECIDE step the run asks for, also again for the same open
round (a re-run after a crash): who already got this round's notification is skipped, so a round's
links go out once. Called again after the round was escalated (``decisions.authority.deciders``
then names the delegate too), it sends only to the newcomers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pasopati.audit.service import system
from pasopati.db import Database
from pasopati.decisions.authority import deciders
from pasopati.decisions.gates import pause_key
from pasopati.decisions.models import GateStep, StepKind
from pasopati.drafts.models import Draft
from pasopati.identity import links
from pasopati.identity.prover import STRONG
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog, catalog
from pasopati.plan.roster import Person
from pasopati.plan.runbook import RunbookPlan
from pasopati.settings import Settings, get_settings
from pasopati.team import service as team_service
from pasopati.team.models import Notification, Recipient
from pasopati.texts import local_time
from pasopati.time import utcnow

SENDER = system("halaman-persetujuan")
LONGEST = timedelta(hours=24)  # no link outlives a day, whatever the deadline or the setting
PATH = "/setuju/"
log = logging.getLogger(__name__)


def notification_key(incident: Incident, key: str) -> str:
    """``tautan:<severity>:<pause key>``: rounds restart at each severity of an escalated incident."""
    return f"tautan:{incident.severity.value}:{key}"


def link_url(token: str, settings: Settings | None = None) -> str:
    return f"{(settings or get_settings()).public_base_url}{PATH}{token}"


def expiry(drafts: list[Draft], now: datetime, settings: Settings | None = None) -> datetime:
    """Until the drafts' deadline, but at least ``approval_link_minutes`` from now (a deadline may be
    minutes away or already past: the authority may still decide after it) and at most 24 hours."""
    shortest = timedelta(minutes=(settings or get_settings()).approval_link_minutes)
    deadline = min((d.due_at for d in drafts), default=now)
    return now + min(max(deadline - now, shortest), LONGEST)


def deciders_now(db: Database, incident: Incident, plan: RunbookPlan, gate: str, cat: Catalog) -> list[Person]:
    """The roster people who may decide at ``gate`` now (authority; the delegate once escalated)."""
    unit = cat.roster.find_unit(incident.unit_id)
    assert unit is not None, "an incident is opened for a roster unit"
    with db.read() as session:
        refs = deciders(session, incident, plan, gate)
    return list({p.name: p for ref in refs for p in cat.roster.holders(ref, unit)}.values())


def send_links(
    db: Database, incident: Incident, plan: RunbookPlan, step: GateStep, *, flow_run_id: str | None = None,
    cat: Catalog | None = None, now: datetime | None = None,
) -> list[Notification]:
    """Issue and send this round's links to whoever may decide and has not got one yet; returns the
    notifications this call attempted (delivered or not: each is recorded by ``team.service.notify``).

    ``flow_run_id``: the run waiting at the round (default: the current Prefect flow run, else the
    incident's). Never raises: a person without a contact, an undeliverable contact, even a fault
    here is logged (deliveries are recorded too) and the gate still works through the CLI and the
    Prefect UI — a link is a convenience, never the only way to decide."""
    if step.kind is not StepKind.DECIDE or not step.key or not step.text_hash:
        return []
    try:
        return _send(db, incident, plan, step, flow_run_id, cat or catalog(), now or utcnow())
    except Exception:  # see above: the run must go on waiting at its gate
        log.exception("approval links of %s for incident %s not sent", step.key, incident.id)
        return []


def _send(
    db: Database, incident: Incident, plan: RunbookPlan, step: GateStep, flow_run_id: str | None, cat: Catalog, now: datetime
) -> list[Notification]:
    assert step.key and step.text_hash
    run_id = flow_run_id or _current_run() or incident.flow_run_id or ""
    key = notification_key(incident, step.key)
    told = {n.person for n in team_service.notifications(db, incident.id) if n.key == key}
    people = [p for p in deciders_now(db, incident, plan, step.gate, cat) if p.name not in told and p.name not in step.approvers]
    if missing := [p.name for p in people if not p.contact.strip()]:
        log.warning("no roster contact to send the approval link of %s to: %s", step.key, ", ".join(missing))
    people = [p for p in people if p.contact.strip()]
    if not people:
        return []
    expires = expiry(step.drafts, now)
    with db.write() as session:
        if step.round > 1:  # the previous round closed: its unused links die with it
            links.revoke_links(session, incident.id, pause_key(step.gate, step.round - 1), now=now, actor=SENDER, flow_run_id=run_id)
        tokens = {
            p.name: links.issue_link(session, person=p.name, incident_id=incident.id, flow_run_id=run_id, pause_key=step.key,
                                     text_hash=step.text_hash, expires_at=expires, now=now, roster=cat.roster, actor=SENDER)
            for p in people
        }
    sent: list[Notification] = []
    for person in people:
        title, body = team_service.message(
            cat.templates_dir, "approval_request.j2", incident=incident, person=person.name, gate=step.gate, key=step.key,
            url=link_url(tokens[person.name]), expires=local_time(expires, incident.timezone),
            deadline=local_time(min(d.due_at for d in step.drafts), incident.timezone) if step.drafts else None,
            strong=plan.severity in STRONG, drafts=step.drafts,
        )
        sent += team_service.notify(db, incident, key, [Recipient(person=person.name, role=person.role, contact=person.contact)],
                                    title, body, actor=SENDER, flow_run_id=run_id)
    return sent


def _current_run() -> str | None:
    """The Prefect flow run this is called from (a task of it), if any."""
    from prefect.runtime import flow_run

    run_id = flow_run.id
    return str(run_id) if run_id else None
