"""Deadlines while a crisis is open: undecided approvals escalate, unacknowledged team members
are replaced by their deputy, and update-cadence reminders go out. A gate nearing Prefect's pause
timeout is announced; one that reached it is recorded as expired (``pasopati reopen`` continues it).

It only ever widens who may act and tells people; it never decides anything itself (fail closed).
Run every ``PASOPATI_WATCH_SECONDS`` by the served ``pantau-tenggat/terjadwal`` deployment.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from pasopati.approvals.sending import send_links
from pasopati.audit.service import system
from pasopati.db import Database, get_database
from pasopati.decisions import rounds
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import APPROVAL_GATES, REVISION_PREFIX
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Escalation, Incident
from pasopati.plan.catalog import Catalog, catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.publications import service as publications
from pasopati.settings import get_settings
from pasopati.team import service as team_service
from pasopati.team.models import Recipient
from pasopati.texts import short_time
from pasopati.time import utcnow

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

    from pasopati.runs import Pending

WATCHER = system("pantau-tenggat")
log = logging.getLogger(__name__)


# Refused submissions at one gate within this window from which the team is told (once per window).
REFUSALS_ALERT = 10
REFUSALS_WINDOW = timedelta(minutes=60)
FORM_CHECK_WINDOW = timedelta(minutes=10)


class WatchReport(BaseModel):
    approvals_escalated: list[str] = []
    deputies_called: list[str] = []
    reminders_sent: list[str] = []
    runs_woken: list[str] = []
    refusals_alerted: list[str] = []
    expiry_warned: list[str] = []
    gates_expired: list[str] = []
    publications_stuck: list[str] = []


def watch(now: datetime | None = None, run_id: str | None = None) -> WatchReport:
    """One pass over every open crisis; ``run_id``: the watcher's own flow run, which the audit
    events of what it does carry (their actor is ``sistem:pantau-tenggat``)."""
    from pasopati.runs import awaiting_drafts, pending

    now = now or utcnow()
    report = WatchReport()
    db, cat = get_database(), catalog()
    waiting = pending()
    for item in waiting:
        if (incident := incidents.for_run(db, item.flow_run_id)) is None:
            continue
        if warn_expiring(db, cat, incident, item, now, run_id):
            report.expiry_warned.append(f"{incident.id} {item.key}")
        if _wake(db, incident, item.flow_run_id, item.key, now):
            report.runs_woken.append(f"{incident.id} {item.gate}")
        if _alert_refusals(db, cat, incident, item.gate, now, run_id):
            report.refusals_alerted.append(f"{incident.id} {item.gate}")
        if item.gate not in APPROVAL_GATES:
            continue
        drafts = awaiting_drafts(db, incident, item.gate)
        plan = cat.plan(incident.category, incident.severity)
        if drafts and now > (deadline := min(d.due_at for d in drafts)) and _escalate_approval(
            db, cat, incident, plan, item.gate, deadline, now, run_id
        ):
            report.approvals_escalated.append(f"{incident.id} {item.gate}")
            # The delegate may decide the round already open: their link goes out now.
            step = decisions.step(db, incident, plan, item.gate, drafts, cat.roster)
            send_links(db, incident, plan, step, flow_run_id=item.flow_run_id, cat=cat)
    open_now = incidents.open_incidents(db)
    report.gates_expired += expire_gates(db, cat, open_now, {item.flow_run_id for item in waiting}, now, run_id)
    for incident in open_now:
        plan = cat.plan(incident.category, incident.severity)
        report.deputies_called += _call_deputies(db, cat, incident, plan, now, run_id)
        if _remind(db, cat, incident, plan, now, run_id):
            report.reminders_sent.append(incident.id)
    report.publications_stuck += settle_stuck_publications(db, cat)
    return report


def settle_stuck_publications(db: Database, cat: Catalog) -> list[str]:
    """Publications left ``sending`` by a process that died (killed mid-publish): their deliveries
    are looked up on the remote or marked ambiguous — nothing is sent — and a run still shown
    Running with no process is marked Crashed, saying how to finish (`pasopati publish retry`)."""
    from datetime import timedelta

    from pasopati.publications import sending
    from pasopati.publications.models import PublicationStatus
    from pasopati.runs import crash_abandoned_run

    settings = get_settings()
    lease = timedelta(seconds=settings.publish_lease_seconds)
    found = []
    for publication in publications.needing_attention(db):
        if publication.status is not PublicationStatus.SENDING:
            continue
        released = publications.release_dead_claims(db, publication.id, lease)  # killed before its write-ahead
        if not publications.release_abandoned(db, publication.id, lease) and not released:
            continue
        if (incident := incidents.get(db, publication.incident_id)) is None:
            continue
        try:
            settled = sending.publish(db, incident, publication.draft_id, publication.channel, cat, settings, send=False)
        except Exception as exc:  # noqa: BLE001  one publication that cannot be settled never blinds the watcher to the rest
            found.append(f"{incident.id} {publication.channel}: cannot be settled: {exc}")
            log.error("publication %s on %s cannot be settled: %s", publication.draft_id, publication.channel, exc)
            continue
        found.append(f"{incident.id} {publication.channel}: {settled.label}")
        log.warning("publication %s on %s was left sending by a process that ended: now %s", publication.draft_id,
                    publication.channel, settled.label)
        if incident.flow_run_id:
            crash_abandoned_run(incident.flow_run_id, f"{publication.channel}: {settled.label}")
    return found


def _wake(db: Database, incident: Incident, flow_run_id: str, key: str, now: datetime) -> bool:
    """A run still suspended at a round already decided through the CLI or the approval page (its
    wake-up was lost) is woken; one Prefect paused without saving its form (seen in a burst of 20
    triggers) is repaired, then woken. Forms are checked only in a round's first minutes: the fault
    happens as a run suspends, and 531 waiting runs must not cost 531 API calls a minute."""
    from pasopati.runs import find_run, repair_schema, ring

    opened = decisions.round_opened_at(db, incident, key)  # None: decided (or unknown to the store)
    if opened is not None and now - opened > FORM_CHECK_WINDOW:
        return False
    flow_run = find_run(flow_run_id)
    if opened is not None and not repair_schema(flow_run):
        return False
    try:
        ring(flow_run, key, patience_seconds=5)
    except Exception:  # noqa: BLE001  the next pass tries again; the watcher never stops for one run
        return False
    return True


def _alert_refusals(db: Database, cat: Catalog, incident: Incident, gate: str, now: datetime, run_id: str | None) -> bool:
    """Tell the team once per window when a gate keeps refusing submissions (someone may be trying
    names or codes); the refusals themselves are all in the audit log."""
    since = now - REFUSALS_WINDOW
    refused = [d for d in decisions.decisions(db, incident.id) if not d.accepted and d.gate == gate and d.decided_at >= since]
    if len(refused) < REFUSALS_ALERT:
        return False
    title, body = team_service.message(
        cat.templates_dir, "refusals_alert.j2", incident=incident, gate=gate, count=len(refused),
        minutes=int(REFUSALS_WINDOW.total_seconds() // 60), names=sorted({d.approver for d in refused})[:10],
    )
    window = int(now.timestamp() // REFUSALS_WINDOW.total_seconds())
    return bool(team_service.notify(db, incident, f"penolakan:{gate}:{window}", _team_recipients(db, incident), title, body,
                                    actor=WATCHER, flow_run_id=run_id))


# Gate expiry --------------------------------------------------------------------------------------
# A run waits at a gate until Prefect's pause timeout (PASOPATI_INPUT_TIMEOUT_SECONDS when it
# suspended, 7 days by default), then Prefect ends it Failed "paused and never resumed" (and a
# retry of it cannot take new input: PrefectHQ/prefect#11414, #12279). Before that the watcher
# warns; after it, it records the gate as expired, and `pasopati reopen` continues the incident.
EXPIRY_WARNING_SHARE = 0.1
EXPIRY_WARNING_MAX = timedelta(hours=1)


def expiry_margin(wait: timedelta, interval: timedelta) -> timedelta:
    """How long before the pause timeout the warning goes out: the last 10 % of the wait or the
    last hour, whichever is shorter — but at least one watcher interval, so that a pass falls
    inside it (7 days' wait: the last hour; 5 hours: the last 30 minutes)."""
    return max(min(wait * EXPIRY_WARNING_SHARE, EXPIRY_WARNING_MAX), interval)


def warn_expiring(db: Database, cat: Catalog, incident: Incident, item: Pending, now: datetime, run_id: str | None) -> bool:
    """Tell the team and the gate's deciders, once per round, that the run waiting at ``item`` ends
    at Prefect's pause timeout unless someone decides first, and how to continue after it.
    True if this call sent it."""
    settings = get_settings()
    if item.expires_at is None or item.expired_at is not None or now >= item.expires_at:
        return False
    if now < item.expires_at - expiry_margin(item.expires_at - item.since, timedelta(seconds=settings.watch_seconds)):
        return False
    title, body = team_service.message(
        cat.templates_dir, "gate_expiring.j2", incident=incident, gate=item.gate, run=item.flow_run_id, run_name=item.run,
        waiting_for=item.waiting_for, since=short_time(item.since, incident.timezone), expires=short_time(item.expires_at, incident.timezone),
        ui_url=settings.ui_url,
    )
    key = f"gerbang-segera-kedaluwarsa:{incident.severity.value}:{item.key}"
    return bool(team_service.notify(db, incident, key, _gate_recipients(db, cat, incident, item.gate), title, body,
                                    actor=WATCHER, flow_run_id=run_id))


def expire_gates(db: Database, cat: Catalog, open_now: list[Incident], paused: set[str], now: datetime, run_id: str | None) -> list[str]:
    """Runbook runs Prefect's pause timeout ended while they waited at a gate: the round is still
    open in the store, at the incident's severity, opened by the run that carries the incident, and
    that run (not among the ``paused`` ones) ended Failed "paused and never resumed". Each is
    recorded once (``record_expiry``). Returns "<incident> <pause key>" for each recorded now.
    One Prefect call for all candidates; a run still suspended never costs one."""
    from pasopati.runs import paused_out, read_runs

    carried = {i.id: i for i in open_now if i.flow_run_id}
    candidates = [
        r for r in rounds.open_rounds(db, list(carried))
        if r.flow_run_id == carried[r.incident_id].flow_run_id and r.severity == carried[r.incident_id].severity.value
        and r.flow_run_id not in paused
    ]
    runs = read_runs(sorted({r.flow_run_id for r in candidates if r.flow_run_id})) if candidates else {}
    recorded = []
    for waited in candidates:
        flow_run = runs.get(waited.flow_run_id or "")
        if flow_run is None or not paused_out(flow_run) or flow_run.state.timestamp < waited.opened_at:  # type: ignore[union-attr]
            continue  # not a pause timeout; or a round opened after the run ended (a correction run's, named after it)
        if record_expiry(db, cat, carried[waited.incident_id], waited, flow_run, now, run_id):
            recorded.append(f"{waited.incident_id} {waited.pause_key}")
    return recorded


def record_expiry(
    db: Database, cat: Catalog, incident: Incident, waited: rounds.Round, flow_run: FlowRun, now: datetime, run_id: str | None
) -> bool:
    """Close the round as expired (``gate.expired``, actor ``sistem:pantau-tenggat``, at the time
    Prefect ended the run), tell the team and the deciders how to continue, and mark the Prefect run
    "Kedaluwarsa". Once per round: False, and nobody told, if it was recorded before."""
    from pasopati.runs import mark_expired

    run = str(flow_run.id)
    state = flow_run.state
    ended = datetime.fromtimestamp(state.timestamp.timestamp(), UTC) if state else now
    details = {"prefect_state": state.message if state else None, "continue": f"pasopati reopen {run}"}
    if not rounds.expire(db, incident, waited.pause_key, when=ended, actor=WATCHER, flow_run_id=run_id or run, details=details):
        return False
    title, body = team_service.message(
        cat.templates_dir, "gate_expired.j2", incident=incident, gate=waited.gate, run=run, run_name=flow_run.name,
        since=short_time(waited.opened_at, incident.timezone), expired=short_time(ended, incident.timezone),
    )
    team_service.notify(db, incident, f"gerbang-kedaluwarsa:{incident.severity.value}:{waited.pause_key}",
                        _gate_recipients(db, cat, incident, waited.gate), title, body, actor=WATCHER, flow_run_id=run_id)
    try:
        mark_expired(flow_run, waited.gate, waited.pause_key)
    except Exception as exc:  # noqa: BLE001  the store holds the expiry; the Prefect label is for the UI only
        log.warning("gate %s of run %s expired (recorded) but the Prefect run could not be marked: %s", waited.pause_key, run, exc)
    return True


def _gate_recipients(db: Database, cat: Catalog, incident: Incident, gate: str) -> list[Recipient]:
    """The team and whoever may decide at ``gate``: the approval authority (who may also verify
    and redraft) and, once the approval escalated, its delegate."""
    plan = cat.plan(incident.category, incident.severity)
    approval, unit = plan.plan.approval, cat.roster.find_unit(incident.unit_id)
    assert unit is not None, "the incident was opened for a roster unit"
    refs = [approval.authority]
    base = gate.removeprefix(REVISION_PREFIX)
    if approval.escalate_to and base in APPROVAL_GATES and decisions.is_escalated(db, incident, plan, base):
        refs.append(approval.escalate_to)
    deciders = [Recipient(person=p.name, role=p.role, contact=p.contact) for ref in refs for p in cat.roster.holders(ref, unit)]
    return [*deciders, *_team_recipients(db, incident)]


def _team_recipients(db: Database, incident: Incident) -> list[Recipient]:
    team = team_service.team(db, incident.id, incident.severity)
    members = team.members if team else []
    return [Recipient(person=m.name, role=m.role, contact=m.contact) for m in members if m.name and not m.informed_only]


def _escalate_approval(
    db: Database, cat: Catalog, incident: Incident, plan: RunbookPlan, gate: str, deadline: datetime, now: datetime, run_id: str | None
) -> bool:
    roster = cat.roster
    delegate = plan.plan.approval.escalate_to
    local = lambda t: t.astimezone().strftime("%H:%M")
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
