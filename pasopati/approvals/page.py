"""The approval page's acts: read what a link grants, and record the decision made with it.

``read`` never writes (``identity.links.peek_link``): mail scanners and a second look cost nothing.
``decide`` records through ``decisions.service.submit`` — the link is redeemed there, inside the
decision's transaction, and every refusal is recorded with what was claimed — then revokes the
round's other links once it is decided and wakes the run.

Unknown tokens: answered 404 without writing anything. ``identity.links.redeem_link`` would record
an ``identity.link_refused`` event for each, so anyone could append to the audit chain by posting
random tokens; a token the store does not know names nobody and no round, so there is nothing to
audit. The same holds for links the store knows but that grant nothing any more (used, expired,
revoked): 410, nothing written. A link that still grants something writes at most
``limits.LinkBudget`` refusals per window.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pasopati.approvals.form import PageForm, answer, problems
from pasopati.approvals.limits import LinkBudget
from pasopati.approvals.models import (
    DraftView,
    FactLine,
    Invalid,
    Outcome,
    PageView,
    Stop,
    Wake,
)
from pasopati.approvals.sending import SENDER
from pasopati.db import Database
from pasopati.decisions import service as decisions
from pasopati.decisions.authority import diff
from pasopati.decisions.gates import APPROVAL_GATES, gate_of
from pasopati.decisions.models import gate_text_hash
from pasopati.drafts import service as drafts_service
from pasopati.drafts.models import Draft
from pasopati.facts import service as facts
from pasopati.forms import text_field
from pasopati.identity import links
from pasopati.identity.models import LinkGrant, Refusal
from pasopati.identity.prover import STRONG, Prover
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import Catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.runs import awaiting_drafts
from pasopati.time import utcnow

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,64}")  # secrets.token_urlsafe(32) is 43 of these
GONE = {"expired_link": 410, "used_link": 410, "revoked_link": 410}
log = logging.getLogger(__name__)

Waker = Callable[[str, str], Wake]


@dataclass(frozen=True)
class Context:
    """A valid link and where its round stands now."""

    grant: LinkGrant
    incident: Incident
    plan: RunbookPlan
    gate: str
    seed: list[Draft]
    stop: Stop | None  # the round was decided, or its text moved on: 409


def context(db: Database, token: str, cat: Catalog, now: datetime | None = None) -> Context | Stop:
    """What ``token`` grants and the state of its round, read without writing; a Stop if it grants nothing."""
    if not TOKEN_SHAPE.fullmatch(token):
        return Stop(kind="unknown_link", status=404)
    with db.read() as session:
        grant = links.peek_link(session, token, now=now or utcnow())
    if isinstance(grant, Refusal):
        kind = grant.code if grant.code in GONE else "unknown_link"
        return Stop(kind=kind, status=GONE.get(kind, 404), person=grant.person)  # type: ignore[arg-type]
    incident = incidents.get(db, grant.incident_id)
    gate = gate_of(grant.pause_key)
    if incident is None or gate not in APPROVAL_GATES:
        return Stop(kind="unknown_link", status=404)
    plan = cat.plan(incident.category, incident.severity)
    seed = awaiting_drafts(db, incident, gate)
    return Context(grant, incident, plan, gate, seed, _moved_on(db, incident, gate, grant, seed))


def _moved_on(db: Database, incident: Incident, gate: str, grant: LinkGrant, seed: list[Draft]) -> Stop | None:
    row = decisions.open_round(db, incident, gate)
    if row is None or row.pause_key != grant.pause_key:
        taken = [d for d in decisions.decisions(db, incident.id) if d.accepted and d.pause_key == grant.pause_key
                 and d.severity == incident.severity]
        return Stop(kind="round_closed", status=409, decided=taken[-1] if taken else None, person=grant.person)
    if row.text_hash != grant.text_hash or gate_text_hash(seed) != grant.text_hash:
        return Stop(kind="text_changed", status=409, person=grant.person)
    return None


def read(db: Database, token: str, cat: Catalog, now: datetime | None = None) -> PageView | Stop:
    """The page for ``token``: a PageView while its round is open on the text it was sent for, else a Stop."""
    found = context(db, token, cat, now)
    if isinstance(found, Stop):
        return found
    return found.stop or view(db, found, cat)


def view(db: Database, ctx: Context, cat: Catalog) -> PageView:
    incident, plan, drafts = ctx.incident, ctx.plan, ctx.seed
    roster, approval = cat.roster, plan.plan.approval
    escalated = approval.escalate_to is not None and decisions.is_escalated(db, incident, plan, ctx.gate)
    titles = {name: channel.title for name, channel in cat.channels.channels.items()}
    return PageView(
        person=ctx.grant.person, incident=incident, gate=ctx.gate, key=ctx.grant.pause_key, text_hash=ctx.grant.text_hash,
        expires_at=ctx.grant.expires_at, deadline=min((d.due_at for d in drafts), default=None),
        authority=roster.roles[approval.authority.role].title,
        delegate=roster.roles[approval.escalate_to.role].title if escalated and approval.escalate_to else None,
        approvers_required=approval.approvers_required, approvers=decisions.approvers_of_all(db, drafts),
        strong=plan.severity in STRONG,
        drafts=[DraftView(draft=d, field=text_field(d), channels=[titles.get(c, c) for c in d.channels], diff=_diff(db, d))
                for d in drafts],
        facts=fact_lines(db, incident, drafts),
    )


def _diff(db: Database, draft: Draft) -> str | None:
    parent = drafts_service.get(db, draft.parent_id) if draft.parent_id else None
    return diff(parent, draft) if parent else None


def fact_lines(db: Database, incident: Incident, drafts: list[Draft]) -> list[FactLine]:
    """Each checklist item's current version (value, source, who, when), with the versions the drafts state."""
    current: dict[str, FactLine] = {}
    for fact in facts.history(db, incident.id):  # versions ascend within an item: the last wins
        current[fact.item_id] = FactLine(**fact.model_dump(include={"item_id", "label", "value", "source", "version", "verified_by",
                                                                    "recorded_at", "public"}))
    for draft in drafts:
        for item, version in draft.fact_versions.items():
            if item in current and version not in current[item].used:
                current[item].used.append(version)
    return list(current.values())


def decide(
    db: Database, token: str, form: PageForm, *, cat: Catalog, prover: Prover, wake: Waker, budget: LinkBudget,
    now: datetime | None = None,
) -> Outcome | Invalid | Stop:
    """Record the decision ``form`` makes with ``token``.

    Stop: the link grants nothing (nothing written), its budget is spent (429), or its round moved
    on and the form holds no verdict to record. Invalid: the form is not a decision yet (nothing
    written). Outcome: recorded by ``decisions.service.submit``, accepted or refused."""
    found = context(db, token, cat, now)
    if isinstance(found, Stop):
        return found
    originals = {text_field(d): d.body for d in found.seed}
    if found.stop is None:
        page = view(db, found, cat)
        if errors := problems(form, originals, strong=page.strong):
            return Invalid(view=page, errors=errors)
    elif "verdict" in problems(form, originals, strong=False):
        return found.stop
    if not budget.allow(found.grant.link_id):
        return Stop(kind="too_many", status=429, person=found.grant.person)
    given = answer(form, person=found.grant.person, key=found.grant.pause_key, text_hash=found.grant.text_hash, token=token,
                   draft_ids={text_field(d): d.id for d in found.seed})
    decision = decisions.submit(db, found.incident, found.plan, found.gate, found.seed, given, cat.roster, prover)
    if not decision.accepted:
        again = context(db, token, cat)
        moved_on = found.stop is not None or (isinstance(again, Context) and again.stop is not None)  # also: decided meanwhile
        usable = isinstance(again, Context) and again.stop is None
        return Outcome(decision=decision, incident=found.incident, status=409 if moved_on else 403, link_usable=usable)
    with db.write() as session:  # the round is decided: nobody else's link of it may be used
        links.revoke_links(session, found.incident.id, found.grant.pause_key, actor=SENDER, flow_run_id=found.grant.flow_run_id)
    return Outcome(decision=decision, incident=found.incident, status=200, woke=wake(found.grant.flow_run_id, found.grant.pause_key))


def ring_run(flow_run_id: str, key: str) -> Wake:
    """Wake the run waiting at ``key`` (``runs.ring``). Never raises: a lost wake-up is repaired by
    the watcher (``pasopati.watch``), which wakes runs still waiting at a decided round."""
    from pasopati.runs import find_run, ring

    try:
        said = ring(find_run(flow_run_id), key)
    except Exception:  # the decision is recorded; waking is best effort here
        log.warning("decision recorded, but run %s could not be woken now; the watcher will", flow_run_id, exc_info=True)
        return "nanti"
    return "sudah-lanjut" if "already" in said else "lanjut"
