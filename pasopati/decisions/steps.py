"""The other human steps at gates — verifying facts and redrafting after request-changes — each
proven and recorded at a gate round like a decision (pasopati.decisions.service has the rules).

Who may act: a named member of the incident's crisis team at its severity (TKK, Tim Komunikasi
Krisis: the roster holders the runbook calls in), or a holder of the approval authority. Every act
is one transaction: the round checked and closed, the proof checked, the facts or revisions
stored, and the audit events written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from pasopati.audit.service import record
from pasopati.db import Database
from pasopati.decisions import rounds
from pasopati.decisions.gates import GATE_VERIFICATION, REVISION_PREFIX
from pasopati.decisions.service import last_effective
from pasopati.decisions.tables import GateRoundRow
from pasopati.drafts.models import Draft
from pasopati.drafts.service import RevisionRefused, latest_of, revise_in
from pasopati.facts.models import Fact, VerificationAnswers
from pasopati.facts.service import (
    UnacceptedSource,
    UnknownChecklistItem,
    UntrueTranslation,
    check_submission,
    current_in,
    recorded_in,
    submit_in,
)
from pasopati.identity.codes import step_length
from pasopati.identity.models import Refusal
from pasopati.identity.prover import Prover
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import close_in
from pasopati.plan.catalog import Catalog
from pasopati.plan.roster import Person, Roster
from pasopati.plan.runbook import RunbookPlan
from pasopati.team.models import Team
from pasopati.team.service import NotOnTeam, acknowledge_in, team_in
from pasopati.texts import TextRefused
from pasopati.time import utcnow


@dataclass(frozen=True)
class Claim:
    """The proof offered with a redraft or a verification (pasopati.identity.prover.Claim)."""

    code: str | None
    link_token: str | None = None


@dataclass(frozen=True)
class StepOutcome:
    """How a submission at a verification or redraft round ended."""

    accepted: bool
    person: str
    refusal: str | None = None
    proof: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Waiting:
    """Where a single-answer gate stands: done, or waiting at ``key`` since ``row.opened_at``."""

    done: bool
    key: str | None = None


def open_step(db: Database, incident: Incident, gate: str, *, after: object = None) -> Waiting:
    """The round a verification (or redraft) waits at, opened if none is; done once one was accepted
    (for a redraft: accepted after ``after``, the request-changes time)."""
    with db.write() as session:
        row = rounds.latest(session, incident, gate)
        if row is not None and row.outcome == rounds.ACCEPTED and (after is None or row.closed_at >= after):  # type: ignore[operator]
            return Waiting(done=True)
        if not rounds.is_open(row):
            row = rounds.open_next(session, incident, gate, text_hash=None, flow_run_id=incident.flow_run_id)
        return Waiting(done=False, key=row.pause_key)  # type: ignore[union-attr]


def member(session: Session, incident: Incident, plan: RunbookPlan, name: str, roster: Roster) -> Person | str:
    """The roster person ``name`` if they are on the incident's team or hold the approval authority;
    otherwise why not (Indonesian, for the record)."""
    unit = roster.find_unit(incident.unit_id)
    assert unit is not None
    team: Team | None = team_in(session, incident.id, incident.severity)
    names = {m.name for m in team.members if m.name and not m.informed_only} if team else set()
    names |= {p.name for p in roster.holders(plan.plan.approval.authority, unit)}
    person = roster.person_named(name)
    if person is None or person.name not in names:
        return f"{name!r} bukan anggota tim krisis (TKK) insiden ini ({incident.unit_name}, {incident.severity.value})"
    return person


def verify(
    db: Database, incident: Incident, plan: RunbookPlan, key: str, answers: VerificationAnswers, roster: Roster, prover: Prover,
    *, from_run: bool,
) -> StepOutcome | None:
    """Record a verification submitted at round ``key``: the facts become new versions if the
    verifier is proven and on the team. ``from_run``: the run read it as its input (a round closed
    meanwhile, or already read, returns None: nothing to do); otherwise the CLI submits it."""
    with db.write() as session:
        row = _round(session, incident, GATE_VERIFICATION, key, from_run)
        if row is None:
            return None
        if isinstance(row, str):
            return _refused(session, incident, "verification.refused", answers.verified_by, row, key, answers.via)
        # Who first (a stranger learns nothing about the runbook), then what, then the proof (a
        # submission refused for its items never spends the verifier's one-time code).
        outcome = (_stranger(session, incident, plan, answers.verified_by, roster)
                   or _bad_items(session, incident, plan, answers.values, answers.source, answers.sources, answers.values_en,
                                 answers.verified_by)
                   or _prove(session, incident, plan, row, answers.verified_by, answers, roster, prover))
        if outcome.accepted:
            submit_in(session, incident, plan, answers.values, source=answers.source, sources=answers.sources,
                      values_en=answers.values_en, by=outcome.person,
                      change=f"verifikasi:{incident.severity.value}", via=answers.via, stage=Stage.VERIFIED, proof=outcome.proof)
        else:
            _refused(session, incident, "verification.refused", answers.verified_by, outcome.refusal or "", key, answers.via)
        if from_run or outcome.accepted:
            rounds.close(row, rounds.ACCEPTED if outcome.accepted else rounds.REFUSED)
        return outcome


def current_facts(db: Database, incident: Incident) -> list[Fact]:
    with db.read() as session:
        return current_in(session, incident.id)


def redraft(
    db: Database, incident: Incident, plan: RunbookPlan, team: Team, gate: str, key: str, seed: list[Draft], texts: dict[str, str],
    *, drafter: str, note: str, claim: object, via: str, roster: Roster, prover: Prover, cat: Catalog, from_run: bool,
) -> StepOutcome | None:
    """Record revised drafts submitted at redraft round ``key`` (texts: draft id → text; drafts not
    given are redrafted from the current facts)."""
    with db.write() as session:
        row = _round(session, incident, gate, key, from_run)
        if row is None:
            return None
        if isinstance(row, str):
            return _refused(session, incident, "revision.refused", drafter, row, key, via)
        outcome = _prove(session, incident, plan, row, drafter, claim, roster, prover)
        if outcome.accepted:
            asked = last_effective(session, incident, gate.removeprefix(REVISION_PREFIX))
            note = "; ".join(n for n in ((asked.reason if asked else ""), note) if n)  # what was asked, then what was done
            try:
                revise_in(session, incident, plan, team, latest_of(session, seed), texts, drafter=outcome.person, note=note, cat=cat)
            except RevisionRefused as exc:  # refused, recorded; the round stays open for a real revision
                return _refused(session, incident, "revision.refused", drafter, str(exc), key, via)
        else:
            _refused(session, incident, "revision.refused", drafter, outcome.refusal or "", key, via)
        if from_run or outcome.accepted:
            rounds.close(row, rounds.ACCEPTED if outcome.accepted else rounds.REFUSED)
        return outcome


def consume(db: Database, incident: Incident, key: str) -> None:
    """The run found nothing to act on at ``key`` (pasopati.decisions.rounds.consume)."""
    with db.write() as session:
        if (row := rounds.read_input(session, incident, key)) is not None:
            rounds.consume(session, incident, row, None)


def _bad_items(
    session: Session, incident: Incident, plan: RunbookPlan, values: dict[str, str], source: str, sources: dict[str, str],
    values_en: dict[str, str], claimed: str,
) -> StepOutcome | None:
    """A submission naming checklist items the runbook does not have, citing a source the runbook
    does not accept for an item, or translating a value into other figures is refused (recorded by
    the caller), never an exception that would end the run."""
    try:
        check_submission(plan, values, source, sources, values_en, {f.item_id: f.value for f in current_in(session, incident.id)})
    except UnknownChecklistItem as exc:
        return StepOutcome(accepted=False, person=claimed, refusal=f"butir daftar periksa tidak dikenal: {exc}")
    except UnacceptedSource as exc:
        return StepOutcome(accepted=False, person=claimed, refusal=f"sumber tidak diterima runbook: {exc}")
    except UntrueTranslation as exc:
        return StepOutcome(accepted=False, person=claimed, refusal=f"terjemahan Inggris ditolak: {exc}")
    except TextRefused as exc:
        return StepOutcome(accepted=False, person=claimed, refusal=f"nilai ditolak: {exc}")
    return None


def _stranger(session: Session, incident: Incident, plan: RunbookPlan, name: str, roster: Roster) -> StepOutcome | None:
    """A refusal when ``name`` is not on the incident's team (pasopati.decisions.steps.member)."""
    person = member(session, incident, plan, name, roster)
    return StepOutcome(accepted=False, person=name, refusal=person) if isinstance(person, str) else None


def _round(session: Session, incident: Incident, gate: str, key: str, from_run: bool) -> GateRoundRow | str | None:
    if from_run:
        row = rounds.read_input(session, incident, key)
        if row is None:
            return None
        return row if rounds.is_open(row) else f"ronde {key} sudah ditutup ({row.outcome}) sebelum masukan ini dibaca"
    row = rounds.at(session, incident, key)
    if row is None or row.gate != gate or not rounds.is_open(row):
        current = rounds.latest(session, incident, gate)
        waiting = current.pause_key if rounds.is_open(current) else "tidak ada"  # type: ignore[union-attr]
        return f"ronde {key!r} tidak sedang terbuka; yang menunggu: {waiting}"
    return row


def _prove(
    session: Session, incident: Incident, plan: RunbookPlan, row: GateRoundRow, name: str, claim: object, roster: Roster, prover: Prover
) -> StepOutcome:
    person = member(session, incident, plan, name, roster)
    if isinstance(person, str):
        return StepOutcome(accepted=False, person=name, refusal=person)
    proof = prover.prove(session, person, claim, row, strong=False, incident_id=incident.id, flow_run_id=incident.flow_run_id)  # type: ignore[arg-type]
    if isinstance(proof, Refusal):
        return StepOutcome(accepted=False, person=person.name, refusal=proof.reason)
    return StepOutcome(accepted=True, person=person.name, proof=proof.description)


def _refused(session: Session, incident: Incident, kind: str, claimed: str, why: str, key: str, via: str) -> StepOutcome:
    record(session, kind, actor=claimed, incident_id=incident.id, flow_run_id=incident.flow_run_id,
           details={"pause_key": key, "claimed": claimed, "refusal": why, "via": via})
    return StepOutcome(accepted=False, person=claimed, refusal=why)


@dataclass(frozen=True)
class Moment:
    """A proof's reference point for acts outside a gate round: a code must not predate it."""

    pause_key: str
    opened_at: datetime
    text_hash: str | None = None


def _outside_round(
    session: Session, incident: Incident, plan: RunbookPlan, name: str, claim: object, what: str, roster: Roster, prover: Prover,
    *, team_only: bool = True,
) -> StepOutcome:
    """Prove ``name`` for an act outside a gate round (a correction, an acknowledgement, a closure):
    any code the verifier's window accepts (RFC 6238: the current step ±1), once."""
    if team_only:
        person = member(session, incident, plan, name, roster)
    else:
        person = roster.person_named(name) or f"{name!r} tidak ada di roster"
    if isinstance(person, str):
        return StepOutcome(accepted=False, person=name, refusal=person)
    moment = Moment(pause_key=what, opened_at=utcnow() - step_length())  # no gate to predate: any code in the window
    proof = prover.prove(session, person, claim, moment, strong=False, incident_id=incident.id, flow_run_id=incident.flow_run_id)  # type: ignore[arg-type]
    if isinstance(proof, Refusal):
        return StepOutcome(accepted=False, person=person.name, refusal=proof.reason)
    return StepOutcome(accepted=True, person=person.name, proof=proof.description)


def correct(
    db: Database, incident: Incident, plan: RunbookPlan, values: dict[str, str], *, source: str, by: str, claim: object, change: str,
    via: str, roster: Roster, prover: Prover, values_en: dict[str, str] | None = None,
) -> StepOutcome:
    """Corrected facts after verification, by a proven member of the team: new versions under
    ``change`` (the correction run then flags what was published with the old values)."""
    with db.write() as session:
        if done := recorded_in(session, incident.id, change):  # a re-run of the same correction: proven then
            return StepOutcome(accepted=True, person=done[0].verified_by, message="already recorded")
        outcome = _bad_items(session, incident, plan, values, source, {}, values_en or {}, by) or _outside_round(session, incident, plan, by, claim, "koreksi", roster, prover)
        if outcome.accepted:
            submit_in(session, incident, plan, values, source=source, values_en=values_en, by=outcome.person, change=change, via=via,
                      proof=outcome.proof)
        else:
            _refused(session, incident, "correction.refused", by, outcome.refusal or "", "koreksi", via)
        return outcome


def acknowledge(db: Database, incident: Incident, name: str, *, claim: object, via: str, roster: Roster, prover: Prover) -> StepOutcome:
    """A proven acknowledgement of the team call (pasopati.team.service.acknowledge_in); refused
    ones — unproven, or proven but neither on the team nor called as a deputy — are recorded."""
    with db.write() as session:
        outcome = _outside_round(session, incident, None, name, claim, "tanda-terima", roster, prover, team_only=False)  # type: ignore[arg-type]
        if not outcome.accepted:
            _refused(session, incident, "team.acknowledgement_refused", name, outcome.refusal or "", "tanda-terima", via)
            return outcome
        try:
            message = acknowledge_in(session, incident, outcome.person, via=via, proof=outcome.proof)
        except NotOnTeam as exc:  # proven, but neither on the team nor called as a deputy: refused, recorded
            why = f"{outcome.person} bukan anggota tim krisis insiden ini dan tidak dipanggil sebagai deputi ({exc})"
            return _refused(session, incident, "team.acknowledgement_refused", name, why, "tanda-terima", via)
        return StepOutcome(accepted=True, person=outcome.person, proof=outcome.proof, message=message)


def close(
    db: Database, incident: Incident, plan: RunbookPlan, *, by: str, reason: str, claim: object, flow_run_id: str | None,
    roster: Roster, prover: Prover,
) -> StepOutcome:
    """Close the crisis, by a proven member of its team or a holder of its approval authority.
    ``message`` says whether this act closed it or it was closed already."""
    with db.write() as session:
        outcome = _outside_round(session, incident, plan, by, claim, "penutupan", roster, prover)
        if not outcome.accepted:
            _refused(session, incident, "incident.close_refused", by, outcome.refusal or "", "penutupan", "cli")
            return outcome
        closed = close_in(session, incident.id, by=outcome.person, reason=reason, flow_run_id=flow_run_id, proof=outcome.proof)
        message = f"closed by {outcome.person}: {reason}" if closed else "was already closed (nothing changed)"
        return StepOutcome(accepted=True, person=outcome.person, proof=outcome.proof, message=message)


def correction_recorded(db: Database, incident: Incident, change: str) -> bool:
    """Whether a proven correction ``change`` is in the store (the CLI records it before the run)."""
    with db.read() as session:
        return bool(recorded_in(session, incident.id, change))


def prove_publisher(
    db: Database, incident: Incident, plan: RunbookPlan, *, by: str, claim: object, act: str, roster: Roster, prover: Prover,
) -> StepOutcome:
    """An operator's act on publications (``act``: "kirim-ulang" to send again what failed,
    "putuskan-publikasi" to settle an ambiguous one): a proven member of the incident's team or a
    holder of its approval authority. The code is used up here; the act itself follows in its own
    transaction with this proof in its audit event. A refusal is recorded."""
    with db.write() as session:
        outcome = _outside_round(session, incident, plan, by, claim, act, roster, prover)
        if not outcome.accepted:
            _refused(session, incident, "publication.operator_refused", by, outcome.refusal or "", act, "cli")
        return outcome
