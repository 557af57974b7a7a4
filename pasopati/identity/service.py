"""TOTP credentials: enrol, revoke and list people, and check a code inside the act it proves.

Rules (``codes`` has the RFC 6238 arithmetic):

- Only roster people enrol; identity is the canonical roster name (``Roster.person_named``).
- Re-enrolling someone enrolled needs their current valid code, or ``replace=True``: an operator's
  reset, flagged ``reset: true`` in its ``identity.enrolled`` event.
- ``verify_code`` accepts a code for the current step ±1, once per step (``last_used_step``), and not
  for a step starting earlier than one step before ``not_before`` (when the gate opened: an answer
  written before then cannot carry a valid code).
- After ``LOCK_FAILURES`` failed codes for one person within ``LOCK_WINDOW``, every further code is
  refused until the oldest of them leaves the window; failures are rows, so restarts keep them.

Every act is one transaction with its audit event: ``enrol``/``revoke`` open their own;
``verify_code`` writes into the caller's (the decision's), which must commit for a refusal and its
failure count to be kept — roll it back and the attempt is forgotten.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pasopati.audit.service import record
from pasopati.db import Database, clean_text
from pasopati.identity import codes
from pasopati.identity.keys import KeyProvider, seal, unseal
from pasopati.identity.models import (
    Enrolment,
    EnrolmentRefused,
    NotInRoster,
    PersonStatus,
    Proof,
    Refusal,
    RefusalCode,
)
from pasopati.identity.tables import TotpCredentialRow, TotpFailureRow
from pasopati.plan.roster import Person, Roster
from pasopati.texts import short_time
from pasopati.time import utcnow

LOCK_FAILURES = 5
LOCK_WINDOW = timedelta(minutes=15)
DISPLAY_ZONE = "Asia/Jakarta"  # the media center's zone, for "until" in refusals
CODE_PROOF = "kode TOTP dari aplikasi autentikator"


def _roster(roster: Roster | None) -> Roster:
    if roster is not None:
        return roster
    from pasopati.plan.catalog import catalog

    return catalog().roster


def person_of(name: str, roster: Roster | None = None) -> Person:
    """The roster person called ``name`` (case, spacing and -_. ignored); NotInRoster otherwise."""
    person = _roster(roster).person_named(clean_text(name))
    if person is None:
        raise NotInRoster(f"{name!r} tidak ada di roster (not a person of the roster: runbooks/roster.yaml)")
    return person


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment


# Enrol, revoke, list ------------------------------------------------------------------------------
def enrol(
    db: Database,
    name: str,
    *,
    by: str,
    replace: bool = False,
    current_code: str | None = None,
    key: KeyProvider,
    roster: Roster | None = None,
    now: datetime | None = None,
) -> Enrolment:
    """A new TOTP secret for roster person ``name``, sealed with ``key``; returns its URI (once).

    ``by``: who does it (the person themselves, or an operator). Someone already enrolled needs
    ``current_code`` (checked like any code: counted if wrong, refused while locked) or ``replace``.
    Raises NotInRoster, EnrolmentRefused (its ``refusal`` set when a code was refused, which stays
    recorded), CredentialKeyError."""
    person = person_of(name, roster).name
    now = _aware(now or utcnow(), "now")
    by = clean_text(by).strip() or person
    refusal: Refusal | None = None
    enrolment: Enrolment | None = None
    with db.write() as session:
        row = session.get(TotpCredentialRow, person)
        active = row is not None and row.revoked_at is None
        if active and current_code is None and not replace:
            raise EnrolmentRefused(
                f"{person} sudah terdaftar: beri kode saat ini (--code) atau --replace untuk reset"
                " (already enrolled: give the current code, or --replace to reset)"
            )
        if active and current_code is not None:
            assert row is not None
            checked = _check(session, row, current_code, now=now, not_before=None, key=key, incident_id=None, flow_run_id=None)
            refusal = checked if isinstance(checked, Refusal) else None
        if refusal is None:
            mode = ("ganti-dengan-kode" if current_code is not None else "reset") if active else "baru"
            secret = codes.new_secret()
            if row is None:
                row = TotpCredentialRow(person=person, enrolments=0)
                session.add(row)
            row.secret_encrypted = seal(key, person, secret)
            row.enrolled_at, row.enrolled_by, row.enrolments = now, by, row.enrolments + 1
            row.last_used_step = row.last_used_at = row.revoked_at = row.revoked_by = None
            session.execute(delete(TotpFailureRow).where(TotpFailureRow.person == person))
            record(session, "identity.enrolled", actor=by, details={
                "person": person, "mode": mode, "reset": mode == "reset", "enrolment": row.enrolments, "method": "totp",
            })
            uri = codes.provisioning_uri(secret, person)
            enrolment = Enrolment(person=person, provisioning_uri=uri, enrolled_at=now, by=by, mode=mode)
    if enrolment is None:  # the current code was refused: that refusal is committed, then reported
        assert refusal is not None
        raise EnrolmentRefused(f"kode saat ini ditolak: {refusal.reason}", refusal)
    return enrolment


def revoke(db: Database, name: str, *, by: str, roster: Roster | None = None, now: datetime | None = None) -> None:
    """Revoke ``name``'s TOTP credential: the secret is erased, codes are refused until they enrol
    again. Raises NotInRoster, EnrolmentRefused (not enrolled, or already revoked)."""
    person = person_of(name, roster).name
    now = _aware(now or utcnow(), "now")
    by = clean_text(by).strip() or person
    with db.write() as session:
        row = session.get(TotpCredentialRow, person)
        if row is None or row.revoked_at is not None:
            state = "belum terdaftar (not enrolled)" if row is None else "sudah dicabut (already revoked)"
            raise EnrolmentRefused(f"{person} {state}")
        row.secret_encrypted, row.revoked_at, row.revoked_by = None, now, by
        record(session, "identity.revoked", actor=by, details={"person": person, "method": "totp"})


def people(db: Database, *, roster: Roster | None = None, now: datetime | None = None) -> list[PersonStatus]:
    """Every roster person, in roster order, with their credential's state (no secrets)."""
    now = _aware(now or utcnow(), "now")
    everyone = _roster(roster).people
    with db.read() as session:
        rows = {r.person: r for r in session.scalars(select(TotpCredentialRow))}
        recent = session.execute(
            select(TotpFailureRow.person, TotpFailureRow.at).where(TotpFailureRow.at > now - LOCK_WINDOW).order_by(TotpFailureRow.at)
        ).tuples().all()
    failures: dict[str, list[datetime]] = {}
    for who, at in recent:
        failures.setdefault(who, []).append(at)
    result = []
    for p in everyone:
        row = rows.get(p.name)
        status = "belum" if row is None else "dicabut" if row.revoked_at is not None else "terdaftar"
        result.append(PersonStatus(
            person=p.name, role=p.role, org=p.org, status=status,
            enrolled_at=row.enrolled_at if row else None, enrolled_by=row.enrolled_by if row else None,
            last_used_at=row.last_used_at if row else None, locked_until=_unlock_at(failures.get(p.name, [])),
        ))
    return result


# Checking a code ----------------------------------------------------------------------------------
def verify_code(
    session: Session,
    name: str,
    code: str,
    *,
    not_before: datetime,
    now: datetime | None = None,
    key: KeyProvider,
    roster: Roster | None = None,
    incident_id: str | None = None,
    flow_run_id: str | None = None,
) -> Proof | Refusal:
    """Check ``name``'s TOTP ``code`` in the caller's write transaction ``session``.

    ``not_before``: when the gate being answered opened (aware). A Proof marks the code's step used
    (``identity.code_accepted``); a Refusal is recorded (``identity.code_refused``) and, for a wrong,
    malformed, replayed or too-early code, counted towards the lock. Raises CredentialKeyError when
    ``key`` cannot open the stored secret (a configuration fault, not the person's)."""
    now = _aware(now or utcnow(), "now")
    _aware(not_before, "not_before")
    ids = {"incident_id": incident_id, "flow_run_id": flow_run_id}
    person = _roster(roster).person_named(clean_text(name))
    if person is None:
        return _refuse(session, "not_in_roster", f"{name!r} tidak ada di roster (not a person of the roster)",
                       None, actor=clean_text(name), now=now, count=False, **ids)
    row = session.get(TotpCredentialRow, person.name)
    if row is None or row.revoked_at is not None:
        code_, reason = (
            ("not_enrolled", f"{person.name} belum mendaftarkan TOTP (not enrolled: `pasopati people enrol`)")
            if row is None else ("revoked", f"TOTP {person.name} sudah dicabut; daftar ulang dulu (revoked: enrol again)")
        )
        return _refuse(session, code_, reason, person.name, now=now, count=False, **ids)
    return _check(session, row, code, now=now, not_before=not_before, key=key, **ids)


def check_code(
    db: Database,
    name: str,
    code: str,
    *,
    not_before: datetime,
    now: datetime | None = None,
    key: KeyProvider,
    roster: Roster | None = None,
    incident_id: str | None = None,
    flow_run_id: str | None = None,
) -> Proof | Refusal:
    """``verify_code`` in a write transaction of its own (for callers with no act to join)."""
    with db.write() as session:
        return verify_code(session, name, code, not_before=not_before, now=now, key=key, roster=roster,
                           incident_id=incident_id, flow_run_id=flow_run_id)


def _check(
    session: Session,
    row: TotpCredentialRow,
    code: str,
    *,
    now: datetime,
    not_before: datetime | None,
    key: KeyProvider,
    incident_id: str | None,
    flow_run_id: str | None,
) -> Proof | Refusal:
    """The code against an active credential: lock, shape, value, replay, age — in that order."""
    person, ids = row.person, {"incident_id": incident_id, "flow_run_id": flow_run_id}
    until = _unlock_at(_recent_failures(session, person, now))
    if until is not None:
        reason = f"terlalu banyak kode salah; coba lagi setelah {_when(until)} (too many failed codes: try again after then)"
        return _refuse(session, "locked", reason, person, now=now, count=False, until=until, **ids)
    compact = codes.normalised(code)
    if compact is None:
        return _refuse(session, "malformed_code", "kode harus 6 angka (a code is 6 digits)", person, now=now, **ids)
    assert row.secret_encrypted is not None
    steps = codes.matching_steps(unseal(key, person, row.secret_encrypted), compact, now)
    if not steps:
        return _refuse(session, "wrong_code", "kode salah (wrong code)", person, now=now, **ids)
    fresh = [s for s in steps if row.last_used_step is None or s > row.last_used_step]
    if not fresh:
        reason = "kode ini sudah dipakai; tunggu kode berikutnya (code already used: wait for the next one)"
        return _refuse(session, "replayed_code", reason, person, now=now, **ids)
    timely = [s for s in fresh if not_before is None or codes.step_start(s) >= not_before - codes.step_length()]
    if not timely:
        reason = "kode dibuat sebelum gerbang dibuka (code from before the gate opened)"
        return _refuse(session, "code_too_early", reason, person, now=now, **ids)
    row.last_used_step, row.last_used_at = max(timely), now
    session.execute(delete(TotpFailureRow).where(TotpFailureRow.person == person))
    record(session, "identity.code_accepted", actor=person, details={"person": person, "method": "totp", "step": max(timely)}, **ids)
    return Proof(method="totp", person=person, description=CODE_PROOF, at=now)


def _refuse(
    session: Session,
    code: RefusalCode,
    reason: str,
    person: str | None,
    *,
    now: datetime,
    actor: str | None = None,
    count: bool = True,
    until: datetime | None = None,
    incident_id: str | None = None,
    flow_run_id: str | None = None,
) -> Refusal:
    """Record the refusal (and count it as a failed code when ``count``); the Refusal to return."""
    failures = None
    if count and person is not None:
        session.execute(delete(TotpFailureRow).where(TotpFailureRow.person == person, TotpFailureRow.at <= now - LOCK_WINDOW))
        session.add(TotpFailureRow(person=person, at=now, reason=code))
        with session.no_autoflush:
            recent = [*_recent_failures(session, person, now), now]
        failures, until = len(recent), _unlock_at(recent)
        if until is not None:
            reason = f"{reason}; kode berikutnya ditolak sampai {_when(until)} (further codes refused until then)"
    record(session, "identity.code_refused", actor=actor or person or "?", incident_id=incident_id, flow_run_id=flow_run_id,
           details={"person": person, "method": "totp", "refusal": code, "reason": reason, "recent_failures": failures,
                    "locked_until": until.isoformat() if until else None})
    return Refusal(code=code, reason=reason, person=person, until=until)


def _recent_failures(session: Session, person: str, now: datetime) -> list[datetime]:
    """Times of ``person``'s failed codes within the window before ``now``, oldest first (flushed rows)."""
    query = select(TotpFailureRow.at).where(TotpFailureRow.person == person, TotpFailureRow.at > now - LOCK_WINDOW)
    return list(session.scalars(query.order_by(TotpFailureRow.at)))


def _unlock_at(failures: list[datetime]) -> datetime | None:
    """With ≥ LOCK_FAILURES failures in the window (oldest first): when enough of them have left it."""
    return failures[-LOCK_FAILURES] + LOCK_WINDOW if len(failures) >= LOCK_FAILURES else None


def _when(moment: datetime) -> str:
    return short_time(moment, DISPLAY_ZONE)
