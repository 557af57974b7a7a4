"""The audit chain catches any edit; exports round-trip and verify on their own; the timeline an
auditor reads says who did what, proven how, and what exactly went out (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import text

from pasopati.audit import service as audit
from pasopati.audit.anchors import store_id
from pasopati.audit.chain import GENESIS
from pasopati.audit.export import verify_bundle, write_bundle
from pasopati.audit.models import Anchor
from pasopati.audit.timeline import build, render
from pasopati.db import Database, StoreUnavailable
from pasopati.db.schema import health
from pasopati.decisions.gates import GATE_HOLDING
from pasopati.decisions.models import Verdict
from pasopati.facts import service as facts
from pasopati.incidents import service as incidents
from pasopati.plan.catalog import Catalog, load_catalog
from pasopati.plan.runbook import Severity
from pasopati.settings import PROJECT_ROOT
from pasopati.time import utcnow
from tests.conftest import fresh_store
from tests.people import Authenticators, decide
from tests.records import published
from tests.test_store import authority, opened, stored_draft

TEMPLATES = PROJECT_ROOT / "templates"
UI = "http://127.0.0.1:4200"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def crisis(db: Database, cat: Catalog) -> str:
    """A small but complete crisis: opened, a figure and its correction, a refused and an accepted
    approval, a publication sent, closed. Returns the incident id."""
    incident = opened(db, cat, "keamanan-ketertiban", Severity.SEDANG)
    plan = cat.plan(incident.category, incident.severity)
    facts.submit(db, incident, plan, {"jumlah_wbp_terlibat": "3 orang"}, source="SDP", by="Petugas Verifikasi", change="v", via="uji")
    version = 1
    draft = stored_draft(db, incident, body="Tiga warga binaan (3 orang) kabur.\n", fact_versions={"jumlah_wbp_terlibat": version})
    auth = Authenticators(db)
    assert not decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, "Orang Luar").accepted
    (approver,) = authority(cat, incident)
    assert decide(db, auth, incident, plan, GATE_HOLDING, [draft], Verdict.APPROVE, approver, reason="sesuai").accepted
    published(db, incident, draft, "akun-upt", cat, "https://upt.example/p/1")
    facts.submit(db, incident, plan, {"jumlah_wbp_terlibat": "4 orang"}, source="Kepala KPLP", by="Petugas Verifikasi", change="k", via="koreksi")
    incidents.close(db, incident.id, by=approver, reason="tertangkap kembali", flow_run_id=incident.flow_run_id)
    return incident.id


def tamper(db: Database, *statements: str) -> None:
    """What an attacker with database access does: drop the append-only guard, then edit."""
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events"))
        for statement in statements:
            conn.execute(text(statement))


def test_an_untouched_chain_verifies_and_rows_cannot_be_changed_in_place(db: Database, cat: Catalog) -> None:
    crisis(db, cat)
    report = audit.verify(db)
    assert report.ok and report.events == audit.head(db)[0] >= 10
    for statement in ("UPDATE audit_events SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_events WHERE seq = 1"):
        with pytest.raises(sqlalchemy.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


EDITS: dict[str, tuple[Callable[[int], list[str]], str, Callable[[int], int]]] = {
    # name: (statements for a middle row n, problem kind, the row the report must name)
    "edited": (lambda n: [f"UPDATE audit_events SET details = details || ' ' WHERE seq = {n}"], "altered", lambda n: n),
    "edited-and-rehashed": (
        lambda n: [f"UPDATE audit_events SET actor = 'Orang Lain', hash = '{'f' * 64}' WHERE seq = {n}"], "altered", lambda n: n,
    ),
    "deleted": (lambda n: [f"DELETE FROM audit_events WHERE seq = {n}"], "missing", lambda n: n),
    "reordered": (
        lambda n: [
            f"UPDATE audit_events SET seq = -1 WHERE seq = {n}",
            f"UPDATE audit_events SET seq = {n} WHERE seq = {n + 1}",
            f"UPDATE audit_events SET seq = {n + 1} WHERE seq = -1",
        ],
        "reordered", lambda n: n,
    ),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_the_chain_names_the_first_altered_missing_or_reordered_row(db: Database, cat: Catalog, edit: str) -> None:
    crisis(db, cat)
    n = audit.head(db)[0] // 2
    statements, kind, named = EDITS[edit]
    tamper(db, *statements(n))
    report = audit.verify(db)
    assert report.problem is not None, f"{edit} went unnoticed"
    assert (report.problem.kind, report.problem.seq) == (kind, named(n)), report.problem


def test_an_inserted_row_is_named_even_with_a_valid_hash(db: Database, cat: Catalog) -> None:
    """An attacker who knows the format inserts a well-formed event and renumbers the rest: the
    next row still points at the row before the forgery."""
    crisis(db, cat)
    head, _ = audit.head(db)
    n = head // 2
    with db.read() as session:
        before = session.execute(text(f"SELECT hash, at FROM audit_events WHERE seq = {n - 1}")).one()
    from pasopati.audit.chain import canonical, event_hash

    at = before.at if not isinstance(before.at, str) else __import__("datetime").datetime.fromisoformat(before.at)
    at = at.replace(tzinfo=__import__("datetime").timezone.utc) if at.tzinfo is None else at
    details = canonical({"reason": "disisipkan"})
    forged = event_hash(prev_hash=before.hash, incident_prev_hash=None, at=at, kind="incident.closed", incident_id=None,
                        flow_run_id=None, actor="Penyusup", details_json=details)
    statements = [f"UPDATE audit_events SET seq = seq + 1000000 WHERE seq >= {n}", "UPDATE audit_events SET seq = seq - 999999 WHERE seq >= 1000000"]
    tamper(db, *statements)
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_events (seq, at, kind, incident_id, flow_run_id, actor, details, prev_hash, incident_prev_hash, hash)"
                 " VALUES (:seq, :at, 'incident.closed', NULL, NULL, 'Penyusup', :details, :prev, NULL, :hash)"),
            {"seq": n, "at": at if db.dialect != "sqlite" else at.strftime("%Y-%m-%d %H:%M:%S.%f"), "details": details, "prev": before.hash, "hash": forged},
        )
    report = audit.verify(db)
    assert report.problem is not None and (report.problem.kind, report.problem.seq) == ("inserted", n), report.problem


def test_a_truncated_tail_and_a_rewritten_chain_are_caught_by_the_head_and_the_anchors(db: Database, cat: Catalog) -> None:
    crisis(db, cat)
    head, digest = audit.head(db)
    anchor = Anchor(seq=head, hash=digest, at=utcnow(), store_id="uji")
    tamper(db, f"DELETE FROM audit_events WHERE seq = {head}")
    report = audit.verify(db)
    assert report.problem is not None and (report.problem.kind, report.problem.seq) == ("missing", head), report.problem
    # Also fix the head (the attacker rewrote the store consistently): only the anchor still knows.
    with db.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_head SET seq = {head - 1}, hash = (SELECT hash FROM audit_events WHERE seq = {head - 1})"))
    assert audit.verify(db).ok
    report = audit.verify(db, anchors=[anchor])
    assert report.problem is not None and (report.problem.kind, report.problem.seq) == ("anchor", head), report.problem


def test_export_round_trips_and_verifies_on_its_own(db: Database, cat: Catalog, tmp_path: Path) -> None:
    incident_id = crisis(db, cat)
    incident = incidents.get(db, incident_id)
    assert incident is not None
    subject = incidents.subject(incident)
    events = audit.events(db, incident_id=incident_id)
    for fmt in ("pdf", "csv", "json", "md", "text"):
        path = tmp_path / f"one-{fmt}.zip"
        manifest = write_bundle(path, events, [subject], fmt=fmt, full_chain=False, store_id="s", store_head=audit.head(db),  # type: ignore[arg-type]
                                anchors=[], ui_url=UI, templates_dir=TEMPLATES)
        check = verify_bundle(path)
        assert check.ok and check.events == len(events) == manifest["events"]["count"], check
    everything = tmp_path / "all.zip"
    store = store_id(db)  # the chain starts from the store's identity: an --all bundle must name the right one
    write_bundle(everything, audit.events(db), [subject], fmt="csv", full_chain=True, store_id=store, store_head=audit.head(db),
                 anchors=[Anchor(seq=3, hash=audit.events(db)[2].hash, at=utcnow(), store_id=store)], ui_url=UI, templates_dir=TEMPLATES)
    assert verify_bundle(everything).ok
    moved = tmp_path / "moved-head.zip"

    def move_head(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["store_head"]["seq"] += 5
        return json.dumps(manifest).encode()

    rewrite_zip(everything, moved, move_head)
    assert "store head" in (verify_bundle(moved).problem or "")

    # The PDF is a real PDF holding the timeline and the exact published text.
    from pypdf import PdfReader

    with zipfile.ZipFile(tmp_path / "one-pdf.zip") as bundle:
        pdf = PdfReader(io.BytesIO(bundle.read(f"timelines/{incident_id}.pdf")))
    content = " ".join(page.extract_text() for page in pdf.pages)
    assert "Tiga warga binaan (3 orang) kabur." in content and "akun-upt" in content and "Orang Luar" in content


def rewrite_zip(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            new.writestr(item.filename, change(item.filename, old.read(item.filename)))


def test_an_edited_bundle_fails_verification(db: Database, cat: Catalog, tmp_path: Path) -> None:
    incident_id = crisis(db, cat)
    incident = incidents.get(db, incident_id)
    assert incident is not None
    path = tmp_path / "b.zip"
    write_bundle(path, audit.events(db, incident_id=incident_id), [incidents.subject(incident)], fmt="csv", full_chain=False,
                 store_id="s", store_head=audit.head(db), anchors=[], ui_url=UI, templates_dir=TEMPLATES)

    def edit_event(name: str, data: bytes) -> bytes:
        return data.replace(b"3 orang", b"2 orang") if name == "events.jsonl" else data

    def edit_event_and_manifest(name: str, data: bytes) -> bytes:
        data = edit_event(name, data)
        if name == "manifest.json":
            manifest = json.loads(data)
            with zipfile.ZipFile(path) as original:
                edited = edit_event("events.jsonl", original.read("events.jsonl"))
            manifest["files"]["events.jsonl"] = __import__("hashlib").sha256(edited).hexdigest()
            data = json.dumps(manifest).encode()
        return data

    def drop_event(name: str, data: bytes) -> bytes:
        if name != "events.jsonl":
            return data
        lines = data.splitlines(keepends=True)
        return b"".join(lines[:3] + lines[4:])

    for label, change, expected in (
        ("file", edit_event, "events.jsonl altered"),
        ("event", edit_event_and_manifest, "altered"),
        ("timeline", lambda n, d: d + b"x" if n.startswith("timelines/") else d, "altered"),
    ):
        target = tmp_path / f"{label}.zip"
        rewrite_zip(path, target, change)
        check = verify_bundle(target)
        assert not check.ok and expected in (check.problem or ""), (label, check)
    target = tmp_path / "dropped.zip"
    rewrite_zip(path, target, drop_event)
    assert not verify_bundle(target).ok
    smuggled = tmp_path / "smuggled.zip"
    rewrite_zip(path, smuggled, lambda n, d: d)
    with zipfile.ZipFile(smuggled, "a") as bundle:
        bundle.writestr("timelines/palsu.pdf", b"%PDF-1.4 not ours")
    assert "does not list" in (verify_bundle(smuggled).problem or "")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert "not a readable bundle" in (verify_bundle(tmp_path / "junk.zip").problem or "")


def test_the_timeline_answers_who_approved_the_figure_proven_how_and_what_went_out(db: Database, cat: Catalog) -> None:
    incident_id = crisis(db, cat)
    incident = incidents.get(db, incident_id)
    assert incident is not None
    timeline = build(audit.events(db, incident_id=incident_id), incidents.subject(incident), UI, TEMPLATES)
    shown = render(timeline, "text", TEMPLATES).decode()
    (approver,) = authority(cat, incident)
    assert "WIB" in shown and "Lapas Kelas I Cipinang" in shown
    assert "Jumlah WBP" in shown or "jumlah" in shown.lower()
    assert "3 orang" in shown and "4 orang" in shown and "sebelumnya: 3 orang" in shown
    decision = next(r for r in timeline.rows if r.kind == "decision.recorded" and r.actor == approver)
    assert "DITERIMA" in decision.summary and "kode TOTP" in decision.summary and "kakanwil" in decision.summary
    refused = next(r for r in timeline.rows if r.kind == "decision.recorded" and r.actor == "Orang Luar")
    assert "DITOLAK SISTEM" in refused.summary and "tidak berwenang" in refused.summary
    sent = next(r for r in timeline.rows if r.kind == "publication.sent")
    assert "akun-upt" in sent.summary and approver in sent.summary and "https://upt.example/p/1" in sent.summary
    assert [t.body for t in timeline.texts] == ["Tiga warga binaan (3 orang) kabur.\n"] and timeline.texts[0].channels == ["akun-upt"]
    assert all(r.run_url and r.run_url.startswith(f"{UI}/runs/flow-run/") for r in timeline.rows)
    assert timeline.rows[-1].kind == "incident.closed" and timeline.header.upto_seq == audit.head(db)[0]


def test_health_tells_the_truth_about_a_deleted_corrupt_or_unwritable_store(tmp_path: Path) -> None:
    with fresh_store("sqlite", tmp_path) as db:
        assert health(db, thorough=True) == []
        path = tmp_path / "store.db"
        # Deleted under a running process: never a silent new empty store.
        moved = path.rename(tmp_path / "elsewhere.db")
        problems = health(db)
        assert problems and "no store at" in problems[0] or "deleted" in problems[0], problems
        with pytest.raises(StoreUnavailable), db.write():
            pass
        assert not path.exists(), "nothing recreated the file"
        moved.rename(path)
    with fresh_store("sqlite", tmp_path / "ro") as db:
        db.dispose()
    path = tmp_path / "ro" / "store.db"
    with unwritable(path):
        problems = health(Database(f"sqlite:///{path}"))
    assert problems and "readonly" in problems[0].lower(), problems
    corrupt = tmp_path / "corrupt.db"
    with fresh_store("sqlite", tmp_path / "c") as db:
        db.dispose()
    data = bytearray((tmp_path / "c" / "store.db").read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a page of garbage
    corrupt.write_bytes(bytes(data))
    problems = health(Database(f"sqlite:///{corrupt}"), thorough=True)
    assert problems, "a corrupt store must not look healthy"
    (tmp_path / "notadb.db").write_bytes(b"hello, this is not SQLite" * 100)
    assert health(Database(f"sqlite:///{tmp_path / 'notadb.db'}"))


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """The file cannot be written: immutable for root (who ignores file modes), read-only otherwise."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    path.chmod(0o444)
    try:
        yield
    finally:
        path.chmod(0o644)


def test_health_fails_on_a_full_disk(tmp_path: Path) -> None:
    """A store on a full file system: the write probe fails, /health says why (root: a 2 MB tmpfs)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        with fresh_store("sqlite", mount) as db:
            _fill(mount / "filler")
            problems = health(db)
            assert problems and ("full" in problems[0].lower() or "disk" in problems[0].lower()), problems
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path: Path) -> None:
    with path.open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass


def test_genesis_and_empty_chain() -> None:
    from pasopati.audit.service import verify_rows

    report = verify_rows([], lambda h: None)
    assert report.ok and report.head_hash == GENESIS and report.events == 0


def test_up_refuses_a_corrupt_or_unwritable_store(tmp_path: Path) -> None:
    """`pasopati up` checks the store before starting anything (pasopati.launcher.prepare_store)."""
    from pasopati.launcher import prepare_store
    from pasopati.settings import Settings

    settings = Settings(data_dir=tmp_path)
    assert "migrated empty" in prepare_store(settings)  # first start: created and migrated
    path = tmp_path / "pasopati.db"
    with unwritable(path), pytest.raises(StoreUnavailable, match="readonly"):
        prepare_store(settings)
    path.write_bytes(b"not a database at all " * 200)
    with pytest.raises(StoreUnavailable, match="not a database"):
        prepare_store(settings)
    # Missing, where PASOPATI ran before: refused, never silently replaced by an empty store.
    path.unlink()
    (tmp_path / "intake-tokens.json").write_text("{}")
    with pytest.raises(StoreUnavailable, match="is missing, but PASOPATI ran"):
        prepare_store(settings)
    assert not path.exists()


def test_the_audit_cli_says_what_it_cannot_check(db: Database, cat: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No silent "ok": verify without reachable anchors fails unless told --no-anchors; an unknown
    figure, unit or Kanwil is an error naming what exists."""
    from prefect.settings import PREFECT_API_URL, temporary_settings
    from typer.testing import CliRunner

    from pasopati.db import reset_cache
    from pasopati.settings import get_settings
    from tests.conftest import free_port

    incident_id = crisis(db, cat)
    monkeypatch.setenv("PASOPATI_DATABASE_URL", db.url)
    get_settings.cache_clear()
    reset_cache()
    runner = CliRunner()
    try:
        with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{free_port()}/api"}):  # nothing listens there
            check_the_cli(runner, incident_id)
    finally:
        get_settings.cache_clear()
        reset_cache()


def check_the_cli(runner: Any, incident_id: str) -> None:
    from pasopati.cli import app

    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and "NOT VERIFIED" in result.output and "--no-anchors" in result.output
    result = runner.invoke(app, ["audit", "verify", "--no-anchors"])
    assert result.exit_code == 0 and result.output.startswith("ok:") and "anchors not checked" in result.output
    result = runner.invoke(app, ["audit", "show", incident_id, "--fact", "jumlah_naga"])
    assert result.exit_code == 2 and "jumlah_wbp_terlibat" in result.output
    result = runner.invoke(app, ["audit", "list", "--unit", "Lapas Atlantis"])
    assert result.exit_code == 2 and "Lapas Kelas I Cipinang" in result.output
    result = runner.invoke(app, ["audit", "list", "--kanwil", "DKI Jakarta"])
    assert result.exit_code == 0 and incident_id in result.output
    result = runner.invoke(app, ["audit", "show", "tidak-ada-insiden"])
    assert result.exit_code == 2 and "no incident" in result.output
