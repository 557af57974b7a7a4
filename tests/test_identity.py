"""Proven identity (pasopati.identity) on SQLite and PostgreSQL: TOTP enrolment and codes, approval
links, and the secrets never stored or recorded in the clear. Codes are real pyotp codes computed
from the enrolled secret at chosen times; no Prefect server (the key is given directly)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from pasopati.audit import service as audit
from pasopati.db import Database, reset_cache
from pasopati.identity import codes, keys, links, service
from pasopati.identity.keys import CredentialKey
from pasopati.identity.models import (
    CredentialKeyError,
    Enrolment,
    EnrolmentRefused,
    NotInRoster,
    Proof,
    Refusal,
    both,
)
from pasopati.identity.service import LOCK_WINDOW
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Trigger
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.roster import Roster
from pasopati.plan.runbook import Severity
from pasopati.settings import get_settings

T0 = datetime(2026, 11, 30, 7, 0, 0, tzinfo=UTC)  # on a 30 s step boundary
GATE = T0 - timedelta(minutes=1)  # the gate opened a minute before T0
KEY = Fernet.generate_key().decode()  # the credential key given directly, as fast tests do



@pytest.fixture(autouse=True)
def rfc_default_step(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests pick moments on RFC 6238's default 30 s steps (the session shortens them)."""
    from pasopati.settings import get_settings

    monkeypatch.setenv("PASOPATI_TOTP_STEP_SECONDS", "30")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()

@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def roster(cat: Catalog) -> Roster:
    return cat.roster


@pytest.fixture(scope="module")
def key() -> CredentialKey:
    return CredentialKey(KEY)


@pytest.fixture
def ana(roster: Roster) -> str:
    return roster.people[0].name


@pytest.fixture
def budi(roster: Roster) -> str:
    return roster.people[1].name


def secret_of(enrolment: Enrolment) -> str:
    parsed = pyotp.parse_uri(enrolment.provisioning_uri)
    assert isinstance(parsed, pyotp.TOTP) and parsed.issuer == "PASOPATI" and parsed.name == enrolment.person
    return parsed.secret


def check(db: Database, roster: Roster, key: CredentialKey, name: str, code: str, now: datetime,
          not_before: datetime = GATE) -> Proof | Refusal:
    """verify_code inside a write transaction, as the decision code will call it."""
    with db.write() as session:
        return service.verify_code(session, name, code, not_before=not_before, now=now, key=key, roster=roster)


def kinds(db: Database) -> list[str]:
    return [e.kind for e in audit.events(db)]


def identity_events(db: Database, kind: str) -> list[dict[str, object]]:
    return [e.details for e in audit.events(db) if e.kind == kind]


# TOTP ---------------------------------------------------------------------------------------------
def test_a_code_is_accepted_once_and_its_step_never_again(db: Database, roster: Roster, key: CredentialKey, ana: str) -> None:
    enrolment = service.enrol(db, ana.upper().replace(" ", "-"), by=ana, key=key, roster=roster, now=T0)
    assert enrolment.person == ana and enrolment.mode == "baru"  # stored under the canonical roster name
    assert enrolment.provisioning_uri.startswith("otpauth://totp/PASOPATI:") and "issuer=PASOPATI" in enrolment.provisioning_uri
    assert "secret" not in repr(enrolment) and secret_of(enrolment) not in repr(enrolment)
    secret = secret_of(enrolment)

    code = codes.code_at(secret, T0 + timedelta(seconds=5))
    proof = check(db, roster, key, f"  {ana.lower()} ", f"{code[:3]} {code[3:]}", T0 + timedelta(seconds=12))
    assert proof == Proof(method="totp", person=ana, description="kode TOTP dari aplikasi autentikator", at=T0 + timedelta(seconds=12))

    again = check(db, roster, key, ana, code, T0 + timedelta(seconds=20))
    assert isinstance(again, Refusal) and again.code == "replayed_code" and "sudah dipakai" in again.reason
    earlier = check(db, roster, key, ana, codes.code_at(secret, T0 - timedelta(seconds=25)), T0 + timedelta(seconds=21))
    assert isinstance(earlier, Refusal) and earlier.code == "replayed_code"  # an older step than the last used one
    later = check(db, roster, key, ana, codes.code_at(secret, T0 + timedelta(seconds=31)), T0 + timedelta(seconds=40))
    assert isinstance(later, Proof)  # the next step's code
    drifted = check(db, roster, key, ana, codes.code_at(secret, T0 + timedelta(seconds=95)), T0 + timedelta(seconds=70))
    assert isinstance(drifted, Proof)  # one step ahead of the server's clock (valid_window=1)
    stale = check(db, roster, key, ana, codes.code_at(secret, T0 + timedelta(seconds=100)), T0 + timedelta(seconds=200))
    assert isinstance(stale, Refusal) and stale.code == "wrong_code"  # more than one step away
    assert identity_events(db, "identity.enrolled") == [
        {"person": ana, "mode": "baru", "reset": False, "enrolment": 1, "method": "totp"}
    ]
    assert len(identity_events(db, "identity.code_accepted")) == 3


def test_wrong_and_malformed_codes_are_refused_and_recorded(db: Database, roster: Roster, key: CredentialKey, ana: str) -> None:
    secret = secret_of(service.enrol(db, ana, by="Operator Media Center", key=key, roster=roster, now=T0))
    right = codes.code_at(secret, T0)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = check(db, roster, key, ana, wrong, T0)
    assert isinstance(refused, Refusal) and refused.code == "wrong_code" and refused.reason.startswith("kode salah")
    malformed = check(db, roster, key, ana, "12ab56", T0)
    assert isinstance(malformed, Refusal) and malformed.code == "malformed_code"
    events = [e for e in audit.events(db) if e.kind == "identity.code_refused"]
    assert [(e.actor, e.details["refusal"], e.details["recent_failures"]) for e in events] == [
        (ana, "wrong_code", 1), (ana, "malformed_code", 2),
    ]
    assert audit.events(db)[0].actor == "Operator Media Center"  # enrolled by someone else
    assert isinstance(check(db, roster, key, ana, right, T0), Proof)  # a right code still works (and clears them)
    with db.read() as session:
        assert session.execute(sa.text("SELECT count(*) FROM identity_totp_failures")).scalar_one() == 0


def test_five_failures_lock_the_person_until_the_window_passes_even_across_restarts(
    db: Database, roster: Roster, key: CredentialKey, ana: str, budi: str
) -> None:
    secret = secret_of(service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0))
    budi_secret = secret_of(service.enrol(db, budi, by=budi, key=key, roster=roster, now=T0))
    for minute in range(5):
        now = T0 + timedelta(minutes=minute)
        refused = check(db, roster, key, ana, "000000" if codes.code_at(secret, now) != "000000" else "111111", now)
        assert isinstance(refused, Refusal) and refused.code == "wrong_code"
    assert refused.until == T0 + LOCK_WINDOW and "ditolak sampai 30 Nov 2026 14.15.00 WIB" in refused.reason

    restarted = Database(db.url)  # failures live in the store: a new process still sees them
    try:
        now = T0 + timedelta(minutes=10)
        locked = check(restarted, roster, key, ana, codes.code_at(secret, now), now)
        assert isinstance(locked, Refusal) and locked.code == "locked" and locked.until == T0 + LOCK_WINDOW
        assert locked.reason == "terlalu banyak kode salah; coba lagi setelah 30 Nov 2026 14.15.00 WIB (too many failed codes: try again after then)"
        assert isinstance(check(restarted, roster, key, budi, codes.code_at(budi_secret, now), now), Proof)  # per person
        listed = {p.person: p for p in service.people(restarted, roster=roster, now=now)}
        assert listed[ana].locked_until == T0 + LOCK_WINDOW and listed[budi].locked_until is None

        now = T0 + LOCK_WINDOW  # the first failure leaves the window: four remain, codes are checked again
        assert isinstance(check(restarted, roster, key, ana, codes.code_at(secret, now), now), Proof)
    finally:
        restarted.dispose()
    refusals = [d["refusal"] for d in identity_events(db, "identity.code_refused")]
    assert refusals == ["wrong_code"] * 5 + ["locked"]


def test_a_code_from_before_the_gate_opened_is_refused(db: Database, roster: Roster, key: CredentialKey, ana: str) -> None:
    secret = secret_of(service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0))
    opened = T0 + timedelta(seconds=58)
    planted = codes.code_at(secret, T0 + timedelta(seconds=10))  # made 48 s before the gate opened
    # One second later the planted code's step (T0…T0+29 s) is still within the ±1 step window.
    refused = check(db, roster, key, ana, planted, opened + timedelta(seconds=1), not_before=opened)
    assert isinstance(refused, Refusal) and refused.code == "code_too_early"
    assert refused.reason == "kode dibuat sebelum gerbang dibuka (code from before the gate opened)"
    just_before = codes.code_at(secret, T0 + timedelta(seconds=40))  # its step starts 29 s before: one step of grace
    assert isinstance(check(db, roster, key, ana, just_before, opened + timedelta(seconds=2), not_before=opened), Proof)


def test_unknown_unenrolled_and_revoked_people_are_refused(
    db: Database, roster: Roster, key: CredentialKey, ana: str, budi: str
) -> None:
    with pytest.raises(NotInRoster, match="tidak ada di roster"):
        service.enrol(db, "Orang Luar", by="Orang Luar", key=key, roster=roster, now=T0)
    outsider = check(db, roster, key, "Orang Luar", "123456", T0)
    assert isinstance(outsider, Refusal) and outsider.code == "not_in_roster"
    unenrolled = check(db, roster, key, budi, "123456", T0)
    assert isinstance(unenrolled, Refusal) and unenrolled.code == "not_enrolled" and unenrolled.person == budi

    secret = secret_of(service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0))
    service.revoke(db, ana, by="Operator Media Center", roster=roster, now=T0)
    revoked = check(db, roster, key, ana, codes.code_at(secret, T0), T0)
    assert isinstance(revoked, Refusal) and revoked.code == "revoked"
    with pytest.raises(EnrolmentRefused, match="sudah dicabut"):
        service.revoke(db, ana, by="Operator Media Center", roster=roster, now=T0)
    with pytest.raises(EnrolmentRefused, match="belum terdaftar"):
        service.revoke(db, budi, by="Operator Media Center", roster=roster, now=T0)
    with db.read() as session:
        assert session.execute(sa.text("SELECT secret_encrypted, revoked_by FROM identity_totp")).one() == (None, "Operator Media Center")
    assert [s.status for s in service.people(db, roster=roster, now=T0)[:2]] == ["dicabut", "belum"]

    fresh = service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0 + timedelta(minutes=1))  # enrol again: no code needed
    assert fresh.mode == "baru" and isinstance(check(db, roster, key, ana, codes.code_at(secret_of(fresh), T0 + timedelta(minutes=1)), T0 + timedelta(minutes=1)), Proof)
    assert identity_events(db, "identity.revoked") == [{"person": ana, "method": "totp"}]


def test_re_enrolment_needs_the_current_code_or_a_reset_which_is_flagged(
    db: Database, roster: Roster, key: CredentialKey, ana: str
) -> None:
    first = secret_of(service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0))
    with pytest.raises(EnrolmentRefused, match="sudah terdaftar"):
        service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0)
    with pytest.raises(EnrolmentRefused, match="kode saat ini ditolak: kode salah") as refused:
        service.enrol(db, ana, by=ana, current_code="000000" if codes.code_at(first, T0) != "000000" else "111111",
                      key=key, roster=roster, now=T0)
    assert refused.value.refusal is not None and refused.value.refusal.code == "wrong_code"  # and it stays recorded:
    assert [d["refusal"] for d in identity_events(db, "identity.code_refused")] == ["wrong_code"]

    now = T0 + timedelta(minutes=1)
    second = service.enrol(db, ana, by=ana, current_code=codes.code_at(first, now), key=key, roster=roster, now=now)
    assert second.mode == "ganti-dengan-kode" and secret_of(second) != first
    old = check(db, roster, key, ana, codes.code_at(first, now + timedelta(seconds=30)), now + timedelta(seconds=30))
    assert isinstance(old, Refusal) and old.code == "wrong_code"  # the old app's codes are gone

    reset = service.enrol(db, ana, by="Operator Media Center", replace=True, key=key, roster=roster, now=now)
    assert reset.mode == "reset"
    enrolled = [e for e in audit.events(db) if e.kind == "identity.enrolled"]
    assert [(e.actor, e.details["mode"], e.details["reset"], e.details["enrolment"]) for e in enrolled] == [
        (ana, "baru", False, 1), (ana, "ganti-dengan-kode", False, 2), ("Operator Media Center", "reset", True, 3),
    ]
    later = now + timedelta(minutes=2)
    assert isinstance(check(db, roster, key, ana, codes.code_at(secret_of(reset), later), later), Proof)


def test_a_secret_is_bound_to_its_key_and_its_person(db: Database, roster: Roster, key: CredentialKey, ana: str, budi: str) -> None:
    secret = secret_of(service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0))
    service.enrol(db, budi, by=budi, key=key, roster=roster, now=T0)
    with pytest.raises(CredentialKeyError, match="tidak dapat dibuka"):
        check(db, roster, CredentialKey.generate(), ana, codes.code_at(secret, T0), T0)
    with db.engine.begin() as connection:  # someone with write access copies Ana's sealed secret onto Budi's row
        sealed = connection.execute(sa.text("SELECT secret_encrypted FROM identity_totp WHERE person = :p"), {"p": ana}).scalar_one()
        connection.execute(sa.text("UPDATE identity_totp SET secret_encrypted = :s WHERE person = :p"), {"s": sealed, "p": budi})
    with pytest.raises(CredentialKeyError, match="milik orang lain"):
        check(db, roster, key, budi, codes.code_at(secret, T0), T0)
    rotated = CredentialKey(Fernet.generate_key(), KEY)  # a new key first, the old one still listed
    assert isinstance(check(db, roster, rotated, ana, codes.code_at(secret, T0), T0), Proof)  # an old key still opens


# Approval links -----------------------------------------------------------------------------------
def opened_incident(db: Database, cat: Catalog) -> tuple[str, str]:
    plan = cat.plan("keamanan-ketertiban", Severity.BERAT)
    trigger = Trigger(unit="lapas-cipinang", summary="Tiga warga binaan kabur dari blok B", reported_by="Operator Uji", source="cli", new_incident_reason="uji: krisis tersendiri")
    incident = incidents.open_for_run(db, plan, trigger, cat.roster, str(uuid.uuid4()), None)
    assert incident.flow_run_id is not None
    return incident.id, incident.flow_run_id


TEXT = hashlib.sha256(b"Tiga warga binaan kabur.\n").hexdigest()


def issue(db: Database, roster: Roster, person: str, incident: tuple[str, str], *, pause_key: str = "persetujuan-awal",
          expires_at: datetime | None = None) -> str:
    with db.write() as session:
        return links.issue_link(session, person=person, incident_id=incident[0], flow_run_id=incident[1], pause_key=pause_key,
                                text_hash=TEXT, expires_at=expires_at or T0 + timedelta(minutes=30), now=T0, roster=roster)


def redeem(db: Database, token: str, *, pause_key: str = "persetujuan-awal", text_hash: str = TEXT,
           now: datetime = T0 + timedelta(minutes=1)) -> Proof | Refusal:
    with db.write() as session:
        return links.redeem_link(session, token, pause_key=pause_key, text_hash=text_hash, now=now)


def test_a_link_is_single_use_and_bound_to_its_gate_round_and_text(db: Database, cat: Catalog, roster: Roster, ana: str) -> None:
    incident = opened_incident(db, cat)
    token = issue(db, roster, ana.lower(), incident)
    assert len(token) >= 43  # 32 random bytes, url-safe base64
    with db.read() as session:
        grant = links.peek_link(session, token, now=T0 + timedelta(minutes=1))
        assert links.peek_link(session, token, now=T0 + timedelta(minutes=2)) == grant  # peeking consumes nothing
        stored = session.execute(sa.text("SELECT token_sha256, person FROM identity_links")).one()
    assert not isinstance(grant, Refusal)
    assert (grant.person, grant.incident_id, grant.flow_run_id, grant.pause_key, grant.text_hash, grant.via) == (
        ana, *incident, "persetujuan-awal", TEXT, "email")
    assert stored == (hashlib.sha256(token.encode()).hexdigest(), ana)  # only the hash

    other_gate = redeem(db, token, pause_key="persetujuan-awal-ke-2")
    assert isinstance(other_gate, Refusal) and other_gate.code == "other_gate"
    changed = redeem(db, token, text_hash=hashlib.sha256(b"teks lain").hexdigest())
    assert isinstance(changed, Refusal) and changed.code == "text_changed"
    assert changed.reason == "teks berubah sejak tautan dikirim (the text changed since the link was sent)"

    proof = redeem(db, token)
    assert isinstance(proof, Proof) and (proof.method, proof.person) == ("tautan", ana)
    assert proof.description == "tautan sekali pakai ke kontak sendiri (email)"
    used = redeem(db, token, now=T0 + timedelta(minutes=2))
    assert isinstance(used, Refusal) and used.code == "used_link"
    with db.read() as session:
        assert isinstance(peeked := links.peek_link(session, token, now=T0), Refusal) and peeked.code == "used_link"
    unknown = redeem(db, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert isinstance(unknown, Refusal) and unknown.code == "unknown_link" and unknown.person is None

    refused = [e for e in audit.events(db) if e.kind == "identity.link_refused"]
    assert [(e.actor, e.incident_id, e.details["refusal"]) for e in refused] == [
        (ana, incident[0], "other_gate"), (ana, incident[0], "text_changed"), (ana, incident[0], "used_link"),
        ("sistem:identitas", None, "unknown_link"),
    ]
    redeemed = [e for e in audit.events(db) if e.kind == "identity.link_redeemed"]
    assert [(e.actor, e.incident_id, e.flow_run_id) for e in redeemed] == [(ana, *incident)]


def test_links_expire_and_are_revoked_when_the_round_closes(db: Database, cat: Catalog, roster: Roster, ana: str, budi: str) -> None:
    incident = opened_incident(db, cat)
    expiring = issue(db, roster, ana, incident, expires_at=T0 + timedelta(minutes=10))
    expired = redeem(db, expiring, now=T0 + timedelta(minutes=10))
    assert isinstance(expired, Refusal) and expired.code == "expired_link"

    open_ones = [issue(db, roster, ana, incident), issue(db, roster, budi, incident)]
    elsewhere = issue(db, roster, ana, incident, pause_key="verifikasi")
    with db.write() as session:
        assert links.revoke_links(session, incident[0], "persetujuan-awal", now=T0) == 3  # the expired one too (unused)
        assert links.revoke_links(session, incident[0], "persetujuan-awal", now=T0) == 0
    for token in open_ones:
        refused = redeem(db, token)
        assert isinstance(refused, Refusal) and refused.code == "revoked_link"
    assert isinstance(redeem(db, elsewhere, pause_key="verifikasi"), Proof)
    with pytest.raises(ValueError, match="expires_at"):
        issue(db, roster, ana, incident, expires_at=T0 - timedelta(seconds=1))
    with pytest.raises(NotInRoster):
        issue(db, roster, "Orang Luar", incident)
    assert identity_events(db, "identity.links_revoked")[0]["pause_key"] == "persetujuan-awal"


def test_a_link_and_a_code_of_the_same_person_make_one_proof(db: Database, cat: Catalog, roster: Roster, key: CredentialKey,
                                                             ana: str, budi: str) -> None:
    incident = opened_incident(db, cat)
    secret = secret_of(service.enrol(db, ana, by=ana, key=key, roster=roster, now=T0))
    now = T0 + timedelta(minutes=1)
    with db.write() as session:  # one decision transaction: link and code together
        link = links.redeem_link(session, issue_link_in(session, roster, ana, incident), pause_key="persetujuan-awal", text_hash=TEXT, now=now)
        code = service.verify_code(session, ana, codes.code_at(secret, now), not_before=T0, now=now, key=key, roster=roster,
                                   incident_id=incident[0], flow_run_id=incident[1])
    assert isinstance(link, Proof) and isinstance(code, Proof)
    combined = both(link, code)
    assert isinstance(combined, Proof) and combined.method == "tautan+totp"
    assert combined.description == "tautan sekali pakai ke kontak sendiri (email) + kode TOTP"
    assert combined.audit() == {"method": "tautan+totp", "person": ana, "description": combined.description}
    mixed = both(link, Proof(method="totp", person=budi, description="kode TOTP dari aplikasi autentikator", at=now))
    assert isinstance(mixed, Refusal) and mixed.code == "other_person"
    accepted = [e for e in audit.events(db) if e.kind == "identity.code_accepted"]
    assert [(e.incident_id, e.flow_run_id) for e in accepted] == [incident]


def issue_link_in(session: sa.orm.Session, roster: Roster, person: str, incident: tuple[str, str]) -> str:
    return links.issue_link(session, person=person, incident_id=incident[0], flow_run_id=incident[1], pause_key="persetujuan-awal",
                            text_hash=TEXT, expires_at=T0 + timedelta(minutes=30), now=T0, roster=roster)


# Secrets at rest and in the audit log -------------------------------------------------------------
def test_no_secret_is_stored_or_recorded_in_the_clear_and_the_chain_verifies(
    db: Database, cat: Catalog, roster: Roster, key: CredentialKey, ana: str, budi: str
) -> None:
    enrolments = [service.enrol(db, p, by=p, key=key, roster=roster, now=T0) for p in (ana, budi)]
    enrolments.append(service.enrol(db, ana, by="Operator Media Center", replace=True, key=key, roster=roster, now=T0))
    secrets_ = [secret_of(e) for e in enrolments]
    now = T0 + timedelta(seconds=30)
    assert isinstance(check(db, roster, key, ana, codes.code_at(secrets_[2], now), now), Proof)
    check(db, roster, key, budi, "999999" if codes.code_at(secrets_[1], now) != "999999" else "888888", now)
    incident = opened_incident(db, cat)
    tokens = [issue(db, roster, ana, incident), issue(db, roster, budi, incident)]
    redeem(db, tokens[0])
    redeem(db, tokens[1], text_hash="0" * 64)

    stored = []
    with db.engine.connect() as connection:  # every table the store has, as the database returns it
        for table in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f"SELECT * FROM {table}")):
                stored.extend(str(v) for v in row)
    everything = "\n".join(stored)
    for secret in secrets_:
        assert secret not in everything and secret.lower() not in everything
    for token in tokens:
        assert token not in everything and hashlib.sha256(token.encode()).hexdigest() in everything  # only as its hash
    if db.sqlite:  # and not in the file's bytes either (free pages, WAL)
        raw = b"".join(p.read_bytes() for p in Path(db.sqlite.path).parent.glob(f"{Path(db.sqlite.path).name}*"))
        assert not any(s.encode() in raw for s in secrets_) and not any(t.encode() in raw for t in tokens)

    details = json.dumps([e.details for e in audit.events(db)])
    for value in [*secrets_, *tokens, *(hashlib.sha256(t.encode()).hexdigest() for t in tokens), "otpauth"]:
        assert value not in details
    assert set(kinds(db)) >= {
        "identity.enrolled", "identity.code_accepted", "identity.code_refused", "identity.link_issued",
        "identity.link_redeemed", "identity.link_refused",
    }
    report = audit.verify(db)
    assert report.ok and report.events == len(audit.events(db))


# Command line -------------------------------------------------------------------------------------
@pytest.fixture
def cli_store(db: Database, monkeypatch: pytest.MonkeyPatch, key: CredentialKey) -> Iterator[Database]:
    """`pasopati` pointed at ``db`` with the credential key in PASOPATI_CREDENTIAL_KEY (no Prefect server)."""
    monkeypatch.setenv("PASOPATI_DATABASE_URL", db.url)
    monkeypatch.setenv("PASOPATI_CREDENTIAL_KEY", KEY)
    get_settings.cache_clear()
    reset_cache()
    yield db
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_cache()


def test_people_enrol_list_and_revoke_from_the_command_line(cli_store: Database, roster: Roster, key: CredentialKey, ana: str) -> None:
    from pasopati.cli import app

    runner = CliRunner()
    enrolled = runner.invoke(app, ["people", "enrol", ana.lower()])
    assert enrolled.exit_code == 0, enrolled.output
    lines = enrolled.output.splitlines()
    uri = next(line for line in lines if line.startswith("otpauth://totp/PASOPATI:"))
    assert "▀" in enrolled.output or "▄" in enrolled.output  # the terminal QR
    assert lines[-1].startswith(f"{ana} (baru): pindai QR ini") and "Scan this QR" in lines[-1]
    secret = pyotp.parse_uri(uri).secret

    again = runner.invoke(app, ["people", "enrol", ana])
    assert again.exit_code == 2 and again.output.strip().startswith("error: ") and "sudah terdaftar" in again.output
    now = datetime.now(UTC)
    renewed = runner.invoke(app, ["people", "enrol", ana, "--code", pyotp.TOTP(secret).at(now)])
    assert renewed.exit_code == 0, renewed.output
    assert pyotp.parse_uri(next(x for x in renewed.output.splitlines() if x.startswith("otpauth://"))).secret != secret

    listed = runner.invoke(app, ["people", "list"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split("  ")[0]: line for line in listed.output.splitlines()[1:]}
    assert len(rows) == len(roster.people) and "terdaftar" in rows[ana] and "belum" in rows[roster.people[1].name]
    assert secret not in listed.output

    revoked = runner.invoke(app, ["people", "revoke", ana, "--by", "Operator Media Center"])
    assert revoked.exit_code == 0 and revoked.output.strip() == f"TOTP {ana} dicabut (revoked)"
    assert "dicabut" in {line.split("  ")[0]: line for line in runner.invoke(app, ["people", "list"]).output.splitlines()}[ana]
    unknown = runner.invoke(app, ["people", "enrol", "Orang Luar"])
    assert unknown.exit_code == 2 and unknown.output.strip() == "error: 'Orang Luar' tidak ada di roster (not a person of the roster: runbooks/roster.yaml)"
    assert [e.details.get("mode") for e in audit.events(cli_store) if e.kind == "identity.enrolled"] == ["baru", "ganti-dengan-kode"]


def test_enrol_without_a_reachable_prefect_server_says_so_in_one_line(
    cli_store: Database, monkeypatch: pytest.MonkeyPatch, ana: str
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pasopati.cli import app
    from tests.conftest import free_port

    monkeypatch.delenv("PASOPATI_CREDENTIAL_KEY")
    get_settings.cache_clear()
    keys.forget_cached_keys()
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):  # nobody listens there
        result = CliRunner().invoke(app, ["people", "enrol", ana])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "cannot be reached" in result.output and "PASOPATI_CREDENTIAL_KEY" in result.output
    assert [e for e in audit.events(cli_store) if e.kind.startswith("identity.")] == []
