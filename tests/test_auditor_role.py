"""A read-only PostgreSQL role for auditors (docs/auditor-role.sql): with it, every `pasopati audit`
command works through the real CLI, and nothing can be written — neither by SQL on its own
connection nor by a command that writes.

PostgreSQL only. `pasopati audit anchor` is not run here: it needs a Prefect server (it writes
there, not to the store); `audit verify --no-anchors` and `audit export` never need one, and
export notes the anchors it could not read (PREFECT_API_URL points at a closed local port)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg.errors
import pytest
import sqlalchemy
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from pasopati.cli import app
from pasopati.db import Database, reset_cache
from pasopati.db.schema import head_revision, upgrade
from pasopati.decisions import service as decisions
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import StepKind, Verdict
from pasopati.facts import service as facts
from pasopati.incidents import service as incidents
from pasopati.plan.catalog import load_catalog
from pasopati.plan.runbook import Severity
from pasopati.settings import PROJECT_ROOT, get_settings
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    free_port,
    postgres_url,
)
from tests.people import Authenticators, decide
from tests.records import published
from tests.test_store import authority, opened, stored_draft

ROLE_SQL = PROJECT_ROOT / "docs" / "auditor-role.sql"
ITEM = "jumlah_wbp_terlibat"
VERIFIER, CLOSER = "Petugas Verifikasi", "Kepala Humas"

runner = CliRunner()


def role_statements(values: dict[str, str]) -> list[str]:
    """docs/auditor-role.sql as `psql -v name=value … -f` sends it: comments dropped, each
    :"name" an identifier and :'name' a literal, split into statements."""
    used: set[str] = set()

    def substitute(match: re.Match[str]) -> str:
        quote, name = match.group(1), match.group(2)
        used.add(name)
        value = values[name]
        return '"' + value.replace('"', '""') + '"' if quote == '"' else "'" + value.replace("'", "''") + "'"

    script = "\n".join(line.split("--", 1)[0] for line in ROLE_SQL.read_text().splitlines())
    assert not re.search(r"^\s*\\", script, re.MULTILINE), "psql meta-commands: the test cannot run them"
    script = re.sub(r""":(["'])(\w+)\1""", substitute, script)
    assert used == set(values), f"the file uses the variables {sorted(used)}, the test gives {sorted(values)}"
    return [s.strip() for s in script.split(";") if s.strip()]


@dataclass(frozen=True)
class Store:
    url: str  # as the owner (the role that ran the migrations)
    auditor_url: str
    role: str
    closed: str  # keamanan-ketertiban/berat: facts, draft, approval, publication, closed
    open_health: str  # kesehatan/sedang: still open
    open_opinion: str  # opini-publik/ringan: still open
    approver: str
    draft_body: str
    kanwil: str


def fill(db: Database) -> dict[str, str]:
    """A few incidents made through the services, as the runbooks make them."""
    cat = load_catalog()
    first = opened(db, cat, "keamanan-ketertiban", Severity.BERAT, summary="Tiga warga binaan kabur dari blok B")
    plan = cat.plan(first.category, first.severity)
    facts.submit(db, first, plan, {ITEM: "3"}, source="SDP", by=VERIFIER, change="verifikasi:berat", via="uji")
    facts.submit(db, first, plan, {ITEM: "4"}, source="KPLP", by=VERIFIER, change="koreksi:a", via="uji")
    body = "Empat warga binaan Lapas Cipinang tidak berada di blok B saat apel pagi."
    draft = stored_draft(db, first, body=body, fact_versions={ITEM: 2})  # the current version
    approver = authority(cat, first)[0]
    assert decide(db, Authenticators(db), first, plan, GATE_HOLDING, [draft], Verdict.APPROVE, approver).accepted
    assert decisions.step(db, first, plan, GATE_HOLDING, [draft], cat.roster).kind is StepKind.APPROVED
    published(db, first, draft, "akun-upt", cat, "outbox/uji")
    assert incidents.close(db, first.id, by=CLOSER, reason="WBP kembali", flow_run_id=first.flow_run_id)
    health = opened(db, cat, "kesehatan", Severity.SEDANG, summary="Keracunan makanan di dapur lapas")
    opinion = opened(db, cat, "opini-publik", Severity.RINGAN, summary="Video viral tentang kunjungan")
    return {
        "closed": first.id, "open_health": health.id, "open_opinion": opinion.id, "approver": approver,
        "draft_body": body, "kanwil": first.kanwil_name,
    }


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    """A fresh database migrated and filled by its owner, then the auditor role made by the file."""
    admin = postgres_url()
    if admin is None:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432")
    url = create_postgres_database(admin, "pasopati_auditor")
    role = f"pasopati_auditor_{uuid.uuid4().hex[:10]}"
    target = make_url(url)
    try:
        owner = Database(url)
        upgrade(owner)
        records = fill(owner)
        owner.dispose()
        engine = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                values = {"db": target.database, "schema": "public", "owner": target.username, "auditor": role}
                for statement in role_statements(values):
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()
        auditor_url = target.set(username=role, password=None).render_as_string(hide_password=False)
        yield Store(url=url, auditor_url=auditor_url, role=role, **records)
    finally:
        drop_postgres_database(url)
        engine = sqlalchemy.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        engine.dispose()


@pytest.fixture
def auditor(store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """The CLI configured as an auditor: PASOPATI_DATABASE_URL logs in as the role; Prefect unreachable."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv("PASOPATI_DATABASE_URL", store.auditor_url)
    get_settings.cache_clear()
    reset_cache()
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):
        yield store
    get_settings.cache_clear()
    reset_cache()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"pasopati {' '.join(args)} → {result.exit_code}: {result.output}{result.exception!r}"
    return result.stdout


def test_the_cli_logs_in_as_the_read_only_role(auditor: Store) -> None:
    engine = sqlalchemy.create_engine(auditor.auditor_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT current_user").scalar() == auditor.role
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
        assert conn.exec_driver_sql("SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = current_user").scalar() is False
    engine.dispose()
    assert ok("db", "current").strip().endswith(f"this PASOPATI needs {head_revision()}")


def test_audit_list_with_filters(auditor: Store) -> None:
    everything = ok("audit", "list")
    ids = [line.split()[0] for line in everything.splitlines()]
    assert ids == [auditor.open_opinion, auditor.open_health, auditor.closed]  # newest first
    assert "closed keamanan-ketertiban/berat" in everything and "Lapas Kelas I Cipinang" in everything and "runs:1" in everything
    assert ok("audit", "list", "--state", "closed").split()[0] == auditor.closed
    assert [line.split()[0] for line in ok("audit", "list", "--category", "kesehatan", "--unit", "Lapas Kelas I Cipinang").splitlines()] == [auditor.open_health]
    assert len(ok("audit", "list", "--kanwil", auditor.kanwil, "--state", "open").splitlines()) == 2
    assert ok("audit", "list", "--severity", "luar-biasa") == "no incidents match\n"
    assert ok("audit", "list", "--to", "2000-01-01") == "no incidents match\n"


def test_audit_show_in_every_format(auditor: Store) -> None:
    incident = auditor.closed
    text = ok("audit", "show", incident)
    for expected in (incident, "Tiga warga binaan kabur dari blok B", VERIFIER, auditor.approver, CLOSER, auditor.draft_body):
        assert expected in text, expected
    md = ok("audit", "show", incident[:8], "--format", "md")
    assert incident in md and auditor.approver in md and auditor.draft_body in md
    rows = list(csv.DictReader(io.StringIO(ok("audit", "show", incident, "--format", "csv"))))
    kinds = [r["jenis"] for r in rows]
    for kind in ("incident.opened", "fact.recorded", "draft.created", "decision.recorded", "publication.sent", "incident.closed"):
        assert kind in kinds, kind
    assert {r["pelaku"] for r in rows} >= {VERIFIER, auditor.approver, CLOSER}
    timeline = json.loads(ok("audit", "show", incident, "--format", "json"))
    assert timeline["header"]["incident_id"] == incident and len(timeline["rows"]) == len(rows)
    assert [t["body"] for t in timeline["texts"]] == [auditor.draft_body] and timeline["texts"][0]["channels"] == ["akun-upt"]
    assert timeline["header"]["upto_hash"] == timeline["rows"][-1]["hash"]


def test_audit_show_one_facts_trail(auditor: Store) -> None:
    rows = json.loads(ok("audit", "show", auditor.closed, "--fact", ITEM, "--format", "json"))["rows"]
    assert [r["kind"] for r in rows] == [
        "fact.recorded", "fact.recorded", "draft.created", "decision.recorded", "publication.sending", "publication.sent",
    ]
    assert [r["actor"] for r in rows][:2] == [VERIFIER, VERIFIER] and rows[3]["actor"] == auditor.approver
    # An incident where nobody recorded that figure: said so, not an empty timeline that looks like "nothing happened".
    result = runner.invoke(app, ["audit", "show", auditor.open_health, "--fact", ITEM])
    assert result.exit_code == 2 and "no version of that item was recorded" in result.output


@pytest.mark.parametrize("fmt", ["pdf", "csv", "json", "md"])
def test_audit_export_of_one_incident_verifies_as_a_bundle(auditor: Store, fmt: str, tmp_path: Path) -> None:
    bundle = tmp_path / f"bukti.{fmt}.zip"
    result = runner.invoke(app, ["audit", "export", auditor.closed, "--format", fmt, "--out", str(bundle)])
    assert result.exit_code == 0, f"{result.output}{result.exception!r}"
    events = len(json.loads(ok("audit", "show", auditor.closed, "--format", "json"))["rows"])
    assert result.stdout == f"wrote {bundle}: {events} events, 1 incident(s), timelines as {fmt}\n"
    assert "note: anchors not read from Prefect (ConnectError" in result.stderr  # no server here: noted, not fatal
    with zipfile.ZipFile(bundle) as z:
        timeline = z.read(f"timelines/{auditor.closed}.{fmt}")
        assert json.loads(z.read("manifest.json"))["incidents"][auditor.closed]["events"] == events
    assert timeline.startswith(b"%PDF") if fmt == "pdf" else auditor.approver.encode() in timeline
    assert ok("audit", "verify", "--bundle", str(bundle)) == (
        f"ok: {bundle}: {events} events of 1 incident(s) verify (hashes, links, files)\n"
        f"ok: and every event matches the store {make_url(auditor.auditor_url).render_as_string(hide_password=True)}\n"
    )


def test_audit_export_all_and_verify_the_store(auditor: Store, tmp_path: Path) -> None:
    chain = ok("audit", "verify", "--no-anchors")
    match = re.fullmatch(r"ok: (\d+) events, head (\d+) [0-9a-f]{16}…, anchors not checked \(--no-anchors\) \([\d,]+ events/s\)\n", chain)
    assert match and match.group(1) == match.group(2), chain
    bundle = tmp_path / "semua.zip"
    assert ok("audit", "export", "--all", "--out", str(bundle)).startswith(f"wrote {bundle}: {match.group(1)} events, 3 incident(s), timelines as pdf")
    verified = ok("audit", "verify", "--bundle", str(bundle))
    assert verified.startswith(f"ok: {bundle}: {match.group(1)} events of 3 incident(s) verify (hashes, links, files)\n")
    assert "every event matches the store" in verified


WRITES = {
    "insert-audit-event": "INSERT INTO audit_events (seq, at, kind, actor, details, prev_hash, hash)"
    " VALUES (999999, now(), 'incident.opened', 'penyusup', '{}', 'x', 'y')",
    "move-chain-head": "UPDATE audit_head SET seq = seq + 1",
    "update-incident": "UPDATE incidents SET summary = 'diubah'",
    "delete-facts": "DELETE FROM facts",
    "truncate-decisions": "TRUNCATE decisions",
    "take-writer-lock": "SELECT id FROM store_meta WHERE id = 1 FOR UPDATE",
    "create-table": "CREATE TABLE catatan_auditor (id int)",
}


@pytest.mark.parametrize("statement", WRITES.values(), ids=WRITES.keys())
def test_the_role_cannot_write(store: Store, statement: str) -> None:
    """Refused twice over: by the role's read-only default, and — once the session turns that off,
    which any role may — by the missing grants."""
    engine = sqlalchemy.create_engine(store.auditor_url)
    try:
        with engine.connect() as conn:
            with pytest.raises(sqlalchemy.exc.DBAPIError) as refused:
                conn.exec_driver_sql(statement)
            assert isinstance(refused.value.orig, psycopg.errors.ReadOnlySqlTransaction), refused.value.orig
            conn.rollback()
            conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
            conn.commit()
            with pytest.raises(sqlalchemy.exc.DBAPIError) as denied:
                conn.exec_driver_sql(statement)
            assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege), denied.value.orig
            assert "permission denied" in str(denied.value.orig)
            conn.rollback()
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar()  # reading still works
    finally:
        engine.dispose()
    owner = sqlalchemy.create_engine(store.url)
    with owner.connect() as conn:  # and nothing changed
        assert conn.exec_driver_sql("SELECT count(*) FROM incidents WHERE summary = 'diubah'").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_events WHERE actor = 'penyusup'").scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM facts").scalar() == 2
        assert conn.exec_driver_sql("SELECT to_regclass('catatan_auditor')").scalar() is None
    owner.dispose()


def test_a_command_that_writes_fails_cleanly(auditor: Store) -> None:
    result = runner.invoke(app, ["db", "check"])
    assert result.exit_code == 2, f"{result.output}{result.exception!r}"
    assert result.stdout == "" and result.stderr.startswith("error: the store ") and result.stderr.count("\n") == 1
    assert "read-only transaction" in result.stderr and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_tables_of_later_migrations_are_readable(store: Store) -> None:
    """The default privileges (FOR ROLE the owner) cover a table the owner creates after the file ran."""
    owner = sqlalchemy.create_engine(store.url)
    with owner.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE migrasi_berikutnya (id int)")
        conn.exec_driver_sql("INSERT INTO migrasi_berikutnya VALUES (7)")
    auditor = sqlalchemy.create_engine(store.auditor_url)
    try:
        with auditor.connect() as conn:
            assert conn.exec_driver_sql("SELECT id FROM migrasi_berikutnya").scalar() == 7
            conn.rollback()
            conn.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
            conn.commit()
            with pytest.raises(sqlalchemy.exc.DBAPIError) as denied:
                conn.exec_driver_sql("INSERT INTO migrasi_berikutnya VALUES (8)")
            assert isinstance(denied.value.orig, psycopg.errors.InsufficientPrivilege)
    finally:
        auditor.dispose()
        with owner.begin() as conn:
            conn.exec_driver_sql("DROP TABLE migrasi_berikutnya")
        owner.dispose()
