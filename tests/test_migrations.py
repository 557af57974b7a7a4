"""The store's migrations (pasopati.db.migrations) on real SQLite files and the machine's PostgreSQL.

The data is a real store made by the code before migrations existed (``tests/data/store_8932213.sql``,
commit 8932213: 13 tables, 8 incidents, 320 alerts, …). Every test builds its own store (a SQLite file
under ``tmp_path`` or a fresh PostgreSQL schema, dropped afterwards); no Prefect server is needed.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pasopati.audit import service as audit
from pasopati.audit.anchors import store_id
from pasopati.audit.chain import genesis
from pasopati.audit.models import AuditEvent
from pasopati.db import (
    Database,
    SchemaOutdated,
    StoreUnavailable,
    get_database,
    reset_cache,
)
from pasopati.db.schema import (
    BASELINE,
    UPGRADE_COMMAND,
    current_revision,
    downgrade,
    head_revision,
    require_current,
    upgrade,
)
from pasopati.settings import Settings, get_settings
from tests.conftest import postgres_schema

DUMP = Path(__file__).parent / "data" / "store_8932213.sql"
HEAD = "0008_run_starts"
FUTURE = "0099_from_a_newer_pasopati"
BASELINE_TABLES = (
    "incidents", "alerts", "runs", "teams", "facts", "drafts", "decisions", "publications",
    "stage_events", "evaluations", "escalations", "notifications", "acknowledgements",
)
ADDED_TABLES = {"audit_events", "audit_head", "store_meta", "identity_totp", "identity_totp_failures", "identity_links",
                "gate_rounds", "deliveries", "run_starts"}
# What the dump holds (the brief's and the file's own counts; 639 rows in all).
DUMP_COUNTS = {
    "incidents": 8, "alerts": 320, "runs": 9, "teams": 8, "facts": 12, "drafts": 24, "decisions": 14,
    "publications": 32, "stage_events": 42, "evaluations": 3, "escalations": 29, "notifications": 136,
    "acknowledgements": 2,
}
# 0002's backfill, as its docstring promises: one event per row, "at the record's own time", linked
# to the row's incident, by the person the row names where it names one.
RECORD_TIME = {
    "incidents": "opened_at", "alerts": "received_at", "runs": "started_at", "teams": "assembled_at",
    "facts": "recorded_at", "drafts": "created_at", "decisions": "decided_at", "publications": "published_at",
    "stage_events": "at", "evaluations": "created_at", "escalations": "at", "notifications": "sent_at",
    "acknowledgements": "at",
}
RECORD_ACTOR = {"facts": "verified_by", "drafts": "author", "decisions": "approver", "acknowledgements": "person"}
MIGRATION_ACTOR = "sistem:migrasi-0002"

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]  # table → primary key → column → value


# Stores ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dump_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dump loaded once into a SQLite file (tests copy it; nobody writes to this one)."""
    path = tmp_path_factory.mktemp("dump") / "store_8932213.db"
    connection = sqlite3.connect(path)
    connection.executescript(DUMP.read_text(encoding="utf-8"))
    connection.close()
    return path


@pytest.fixture(scope="module")
def dump_schema(dump_file: Path) -> dict[str, Any]:
    """Columns and primary keys of the 13 tables as the 8932213 code made them."""
    engine = sa.create_engine(f"sqlite:///{dump_file}")
    try:
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == set(BASELINE_TABLES)
        return {
            "columns": {t: [c["name"] for c in inspector.get_columns(t)] for t in BASELINE_TABLES},
            "pk": {t: inspector.get_pk_constraint(t)["constrained_columns"] for t in BASELINE_TABLES},
            "types": {t: {c["name"]: _generic(c["type"]) for c in inspector.get_columns(t)} for t in BASELINE_TABLES},
        }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def dump_rows(dump_file: Path, dump_schema: dict[str, Any]) -> Rows:
    engine = sa.create_engine(f"sqlite:///{dump_file}")
    try:
        rows = snapshot(engine, dump_schema)
    finally:
        engine.dispose()
    assert {t: len(r) for t, r in rows.items()} == DUMP_COUNTS
    return rows


@contextmanager
def empty_store(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A database with nothing in it: a SQLite path not yet created, or a new PostgreSQL schema."""
    if kind == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'store.db'}")
        try:
            yield db
        finally:
            db.dispose()
        return
    with postgres_schema("t_mig") as db:
        yield db


@contextmanager
def dump_store(kind: str, tmp_path: Path, dump_file: Path, how: str) -> Iterator[Database]:
    """The dump's data in a store:

    - ``how="dump"`` (SQLite only): the dump file itself, as 8932213 left it (no alembic_version);
    - ``how="baseline"``: an empty database brought to 0001_baseline, then every row copied in;
    - ``how="pre-migration"``: as ``baseline``, then alembic_version dropped (create_all's store)."""
    with empty_store(kind, tmp_path) as db:
        if how == "dump":
            assert db.sqlite is not None
            shutil.copyfile(dump_file, db.sqlite.path)
        else:
            assert upgrade(db, BASELINE) == (None, BASELINE)
            copy_rows(dump_file, db)
            if how == "pre-migration":
                with db.engine.begin() as connection:
                    connection.execute(sa.text("DROP TABLE alembic_version"))
                assert current_revision(db) is None
        yield db


def copy_rows(source: Path, db: Database) -> None:
    """Every row of the 13 tables of ``source`` into ``db`` (parents first; SQLite's naive UTC
    datetimes made aware; JSON columns as values), and PostgreSQL's id sequences moved past them."""
    src = sa.create_engine(f"sqlite:///{source}")
    src_meta, dst_meta = sa.MetaData(), sa.MetaData()
    src_meta.reflect(src, only=BASELINE_TABLES)
    try:
        with src.connect() as reading, db.engine.begin() as writing:
            dst_meta.reflect(writing, only=BASELINE_TABLES)
            for table in dst_meta.sorted_tables:  # foreign-key order: incidents, drafts before their children
                rows = [
                    {k: _utc(v) for k, v in row.items()}
                    for row in reading.execute(sa.select(src_meta.tables[table.name])).mappings()
                ]
                if rows:
                    writing.execute(table.insert(), rows)
            if writing.dialect.name == "postgresql":
                for table in dst_meta.sorted_tables:
                    if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                        writing.execute(sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                            f" (SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                        ))
    finally:
        src.dispose()


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def snapshot(engine: sa.Engine, schema: dict[str, Any]) -> Rows:
    """Every row of the 13 tables, every baseline column, as comparable values (datetimes aware UTC)."""
    rows: Rows = {}
    with engine.connect() as connection:
        for name in BASELINE_TABLES:
            columns = schema["columns"][name]
            table = sa.table(name, *(sa.column(c, schema["types"][name][c]) for c in columns))
            by_key = {}
            for row in connection.execute(sa.select(table)).mappings():
                values = {c: _utc(row[c]) for c in columns}
                by_key[tuple(values[c] for c in schema["pk"][name])] = values
            rows[name] = by_key
    return rows


def _generic(column_type: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any] | None:
    """The type to read a column back with on either database (None: the driver's value as is)."""
    if isinstance(column_type, sa.DateTime):
        return sa.DateTime(timezone=True)
    if isinstance(column_type, sa.JSON):
        return sa.JSON()
    if isinstance(column_type, sa.Boolean):
        return sa.Boolean()
    return None


def raw_sqlite_rows(path: Path, schema: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    """The bytes SQLite stores for each baseline column (no type processing), sorted."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for name in BASELINE_TABLES:
            columns = ", ".join(f'"{c}"' for c in schema["columns"][name])
            out[name] = sorted(connection.execute(f"SELECT {columns} FROM {name}").fetchall(), key=repr)
        return out
    finally:
        connection.close()


def table_names(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def counts(db: Database, tables: tuple[str, ...] = BASELINE_TABLES) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def stamp_unknown_revision(db: Database) -> None:
    """A store as a later PASOPATI would leave it: at a revision this one has never heard of."""
    upgrade(db, BASELINE)
    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})


@pytest.fixture
def store_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the process's settings (``get_settings``, ``get_database``) at a store for one test."""

    def use(*, data_dir: Path, database_url: str = "") -> None:
        monkeypatch.setenv("PASOPATI_DATA_DIR", str(data_dir))
        if database_url:
            monkeypatch.setenv("PASOPATI_DATABASE_URL", database_url)
        else:
            monkeypatch.delenv("PASOPATI_DATABASE_URL", raising=False)
        get_settings.cache_clear()
        reset_cache()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_cache()


# 0001_baseline -----------------------------------------------------------------------------------
def describe_schema(db_or_engine: Database | sa.Engine) -> dict[str, Any]:
    engine = db_or_engine.engine if isinstance(db_or_engine, Database) else db_or_engine
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        out = {}
        for name in BASELINE_TABLES:
            out[name] = {
                "columns": [
                    (c["name"], c["type"].python_type, getattr(c["type"], "length", None), c["nullable"])
                    for c in inspector.get_columns(name)
                ],
                "pk": inspector.get_pk_constraint(name)["constrained_columns"],
                "fks": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                    for f in inspector.get_foreign_keys(name)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(name) if not i.get("unique")
                ),
            }
        return out


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_baseline_reproduces_the_8932213_schema(kind: str, tmp_path: Path, dump_file: Path) -> None:
    """0001_baseline on an empty database makes what create_all made at 8932213: same tables, columns
    (order, type family, length, nullability), primary keys, foreign keys, unique constraints, indexes."""
    engine = sa.create_engine(f"sqlite:///{dump_file}")
    try:
        expected = describe_schema(engine)
    finally:
        engine.dispose()
    with empty_store(kind, tmp_path) as db:
        assert upgrade(db, BASELINE) == (None, BASELINE)
        assert table_names(db) == set(BASELINE_TABLES) | {"alembic_version"}
        assert describe_schema(db) == expected


# Upgrading a store with data ----------------------------------------------------------------------
def check_backfill(db: Database, rows: Rows, schema: dict[str, Any]) -> None:
    """One ``migrasi.<table>`` event per row, carrying that row, at its time, by its person, linked
    to its incident; the chain verifies; each incident's events form their own chain; time order."""
    events = audit.events(db)
    assert Counter(e.kind for e in events) == {f"migrasi.{t}": n for t, n in DUMP_COUNTS.items()}
    report = audit.verify(db)
    assert report.ok, report.problem
    assert (report.events, report.head_seq) == (sum(DUMP_COUNTS.values()), len(events))
    assert audit.head(db) == (events[-1].seq, events[-1].hash)

    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == genesis(store_id(db)), "the chain starts from the store's identity"
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
    assert all(a.at <= b.at for a, b in zip(events, events[1:])), "backfilled events are not in time order"

    seen: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for event in events:
        table = event.kind.removeprefix("migrasi.")
        assert event.details["backfilled"] is True and event.details["table"] == table
        recorded = event.details["row"]
        key = tuple(recorded[c] for c in schema["pk"][table])
        assert key not in seen[table], f"{table} row {key} backfilled twice"
        seen[table].add(key)
        row = rows[table][key]
        assert {c: recorded[c] for c in row} == {c: as_recorded(v) for c, v in row.items()}, (table, key)
        incident_id = row["id"] if table == "incidents" else row["incident_id"]
        assert event.incident_id == incident_id
        assert event.flow_run_id == row.get("flow_run_id")
        assert event.actor == (row.get(RECORD_ACTOR.get(table, "")) or MIGRATION_ACTOR)
        own_time = row[RECORD_TIME[table]]
        migrated_at = datetime.fromisoformat(event.details["migrated_at"])
        assert event.at == (own_time if own_time is not None else migrated_at)
    assert {t: len(k) for t, k in seen.items()} == DUMP_COUNTS

    by_incident: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.incident_id is not None:
            by_incident[event.incident_id].append(event)
    assert set(by_incident) == set(k[0] for k in rows["incidents"])
    for incident_id, chain in by_incident.items():
        assert chain[0].incident_prev_hash is None, incident_id
        assert all(b.incident_prev_hash == a.hash for a, b in zip(chain, chain[1:])), incident_id
        assert audit.verify_incident(chain) is None
    assert all(e.incident_prev_hash is None for e in events if e.incident_id is None)


def as_recorded(value: Any) -> Any:
    """A column value as a backfilled event's details carry it (JSON; floats as their repr)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {k: as_recorded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_recorded(v) for v in value]
    return value


def check_added_schema(db: Database) -> None:
    assert table_names(db) == set(BASELINE_TABLES) | ADDED_TABLES | {"alembic_version"}
    with db.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM incidents WHERE follows_id IS NOT NULL")).scalar_one() == 0
        meta = connection.execute(sa.text("SELECT id, store_id FROM store_meta")).all()
        # 0004: every round a decision answered is a closed round, so suspended runs continue where they were
        decided = connection.execute(sa.text("SELECT count(*) FROM decisions WHERE pause_key IS NOT NULL")).scalar_one()
        closed = connection.execute(sa.text("SELECT count(*) FROM gate_rounds WHERE closed_at IS NOT NULL")).scalar_one()
        keys = connection.execute(sa.text("SELECT count(*) FROM decisions WHERE round_key = pause_key")).scalar_one()
        # 0005: facts recorded before it have no English wording: none is invented
        english = connection.execute(sa.text("SELECT count(*) FROM facts WHERE value_en IS NOT NULL")).scalar_one()
    assert closed == decided == keys and meta[0][0] == 1 and uuid.UUID(meta[0][1])
    assert english == 0


@pytest.mark.parametrize(
    ("kind", "how"), [("sqlite", "dump"), ("sqlite", "baseline"), ("postgresql", "baseline")],
    ids=["sqlite-dump", "sqlite-0001", "postgresql-0001"],
)
def test_upgrade_keeps_every_row_and_backfills_the_audit_log(
    kind: str, how: str, tmp_path: Path, dump_file: Path, dump_schema: dict[str, Any], dump_rows: Rows
) -> None:
    with dump_store(kind, tmp_path, dump_file, how) as db:
        before = snapshot(db.engine, dump_schema)
        assert before == dump_rows  # the store holds exactly the dump (PostgreSQL: the copy is faithful)
        raw_before = raw_sqlite_rows(db.sqlite.path, dump_schema) if db.sqlite else None

        assert upgrade(db) == (BASELINE, HEAD)
        require_current(db)

        assert snapshot(db.engine, dump_schema) == dump_rows  # every column of every row
        if db.sqlite:
            assert raw_sqlite_rows(db.sqlite.path, dump_schema) == raw_before  # byte for byte
        check_added_schema(db)
        check_backfill(db, dump_rows, dump_schema)
        assert upgrade(db) == (HEAD, HEAD)  # running it again changes nothing
        assert len(audit.events(db)) == sum(DUMP_COUNTS.values())
        with pytest.raises(sa.exc.DBAPIError, match="audit_events is append-only"):  # backfill, then triggers
            with db.engine.begin() as connection:
                connection.execute(sa.text("DELETE FROM audit_events WHERE kind = 'migrasi.alerts'"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_head_matches_the_models(kind: str, tmp_path: Path) -> None:
    """After the migrations the schema is what today's models (pasopati.schema_tables) declare."""
    from pasopati import schema_tables

    with empty_store(kind, tmp_path) as db:
        upgrade(db)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, schema_tables.metadata)
        assert diff == []


# A store from before migrations ------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_store_from_before_migrations_is_adopted(
    kind: str, tmp_path: Path, dump_file: Path, dump_schema: dict[str, Any], dump_rows: Rows
) -> None:
    """No alembic_version but the baseline's tables: stamped as the baseline, then migrated; a SQLite
    file is first copied to ``<file>.before-0001_baseline``, a readable copy of the data."""
    how = "dump" if kind == "sqlite" else "pre-migration"
    with dump_store(kind, tmp_path, dump_file, how) as db:
        assert current_revision(db) is None
        with pytest.raises(SchemaOutdated, match="was made before migrations existed"):
            require_current(db)

        assert upgrade(db) == (BASELINE, HEAD)
        assert current_revision(db) == HEAD
        assert snapshot(db.engine, dump_schema) == dump_rows
        check_backfill(db, dump_rows, dump_schema)

        if db.sqlite:
            backup = db.sqlite.path.with_name(f"{db.sqlite.path.name}.before-{BASELINE}")
            assert backup.is_file()
            assert sorted(p.name for p in tmp_path.iterdir() if ".before-" in p.name) == [backup.name]
            copy = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
            try:
                assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                assert not tables & ADDED_TABLES  # taken before 0002 ran
                assert {t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in BASELINE_TABLES} == DUMP_COUNTS
            finally:
                copy.close()
            assert raw_sqlite_rows(backup, dump_schema) == raw_sqlite_rows(dump_file, dump_schema)


# Refusals ----------------------------------------------------------------------------------------
def test_empty_store_at_the_default_location_names_pasopati_db_upgrade(tmp_path: Path, store_settings: Any) -> None:
    store_settings(data_dir=tmp_path)
    path = tmp_path / "pasopati.db"
    assert get_settings().database == f"sqlite:///{path}"
    sqlite3.connect(path).close()  # an empty database file
    db = Database(get_settings().database)
    try:
        for check in (lambda: require_current(db), get_database):
            with pytest.raises(SchemaOutdated) as refused:
                check()
            message = str(refused.value)
            assert message == f"the store {path} is empty; migrate it with: {UPGRADE_COMMAND}"
        assert table_names(db) == set()  # refusing created nothing
    finally:
        db.dispose()


def test_missing_sqlite_store_is_unavailable_and_not_created(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nowhere.db'}")
    with pytest.raises(StoreUnavailable, match="no store at .*pasopati up"):
        require_current(db)
    assert not (tmp_path / "nowhere.db").exists()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_empty_store_elsewhere_names_its_url(kind: str, tmp_path: Path, store_settings: Any) -> None:
    with empty_store(kind, tmp_path) as db:
        if db.sqlite:
            sqlite3.connect(db.sqlite.path).close()
        expected = f"PASOPATI_DATABASE_URL='{db.url}' {UPGRADE_COMMAND}"
        with pytest.raises(SchemaOutdated) as refused:
            require_current(db)
        assert str(refused.value).endswith(f"is empty; migrate it with: {expected}"), refused.value
        store_settings(data_dir=tmp_path / "elsewhere", database_url=db.url)
        with pytest.raises(SchemaOutdated) as refused:
            get_database()
        assert str(refused.value).endswith(f"is empty; migrate it with: {expected}"), refused.value
        assert table_names(db) == set()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_store_at_the_baseline_names_both_revisions(kind: str, tmp_path: Path, store_settings: Any) -> None:
    assert head_revision() == HEAD
    with empty_store(kind, tmp_path) as db:
        upgrade(db, BASELINE)
        store_settings(data_dir=tmp_path / "elsewhere", database_url=db.url)
        for check in (lambda: require_current(db), get_database):
            with pytest.raises(SchemaOutdated) as refused:
                check()
            assert str(refused.value) == (
                f"the store {db.describe()} is at revision {BASELINE}, this PASOPATI needs {HEAD}:"
                f" PASOPATI_DATABASE_URL='{db.url}' {UPGRADE_COMMAND}"
            )
        assert current_revision(db) == BASELINE


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_store_from_a_newer_pasopati_is_refused(kind: str, tmp_path: Path, store_settings: Any) -> None:
    with empty_store(kind, tmp_path) as db:
        stamp_unknown_revision(db)
        store_settings(data_dir=tmp_path / "elsewhere", database_url=db.url)
        for check in (lambda: require_current(db), get_database):
            with pytest.raises(SchemaOutdated) as refused:
                check()
            message = str(refused.value)
            assert f"at revision {FUTURE}, which this PASOPATI does not know" in message
            assert "newer version" in message and "never downgrade the store" in message
        assert current_revision(db) == FUTURE


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_refuses_a_store_from_a_newer_pasopati(kind: str, tmp_path: Path) -> None:
    with empty_store(kind, tmp_path) as db:
        stamp_unknown_revision(db)
        with pytest.raises(SchemaOutdated, match="newer version"):
            upgrade(db)
        assert current_revision(db) == FUTURE
        assert not list(tmp_path.glob("*.before-*"))


def make_pre_baseline(db: Database, drop: dict[str, list[str]]) -> None:
    """Remove columns the baseline has, as stores made by older commits lack them."""
    with db.engine.begin() as connection:
        for table, columns in drop.items():
            for column in columns:
                connection.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_store_from_before_the_baseline_is_refused_and_left_alone(
    kind: str, tmp_path: Path, dump_file: Path
) -> None:
    """Columns the baseline has are missing (as in a store made before 871026e): ``upgrade`` names
    every missing column, stamps nothing, drops nothing, changes no row."""
    how = "dump" if kind == "sqlite" else "pre-migration"
    with dump_store(kind, tmp_path, dump_file, how) as db:
        make_pre_baseline(db, {
            "incidents": ["closed_at", "closed_by", "close_reason"],
            "drafts": ["note", "author"],
            "publications": ["flag", "correction_draft_id"],
        })
        tables = table_names(db)
        with pytest.raises(SchemaOutdated) as refused:
            upgrade(db)
        message = str(refused.value)
        assert "predates the migration baseline" in message and "cannot be upgraded in place" in message
        for column in ("incidents.closed_at", "incidents.closed_by", "incidents.close_reason", "drafts.note",
                       "drafts.author", "publications.flag", "publications.correction_draft_id"):
            assert column in message
        assert current_revision(db) is None
        assert table_names(db) == tables and "alembic_version" not in tables
        assert counts(db) == DUMP_COUNTS
        assert not list(tmp_path.glob("*.before-*"))
        with pytest.raises(SchemaOutdated, match="was made before migrations existed"):
            require_current(db)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_store_whose_facts_lack_version_is_refused(kind: str, tmp_path: Path, dump_file: Path) -> None:
    how = "dump" if kind == "sqlite" else "pre-migration"
    with dump_store(kind, tmp_path, dump_file, how) as db:
        ts = "DATETIME" if kind == "sqlite" else "TIMESTAMP WITH TIME ZONE"
        with db.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE facts RENAME TO facts_today"))
            connection.execute(sa.text(
                "CREATE TABLE facts (id INTEGER NOT NULL PRIMARY KEY, incident_id VARCHAR(36) NOT NULL"
                " REFERENCES incidents (id), stage VARCHAR(96) NOT NULL, item_id VARCHAR(64) NOT NULL,"
                " label TEXT NOT NULL, value TEXT, source TEXT, public BOOLEAN NOT NULL, verified_by TEXT NOT NULL,"
                f" recorded_at {ts} NOT NULL, UNIQUE (incident_id, stage, item_id))"
            ))
            connection.execute(sa.text(
                "INSERT INTO facts (id, incident_id, stage, item_id, label, value, source, public, verified_by,"
                " recorded_at) SELECT id, incident_id, change, item_id, label, value, source, public, verified_by,"
                " recorded_at FROM facts_today"
            ))
            connection.execute(sa.text("DROP TABLE facts_today"))
        with pytest.raises(SchemaOutdated) as refused:
            upgrade(db)
        assert "facts.change" in str(refused.value) and "facts.version" in str(refused.value)
        assert current_revision(db) is None
        assert counts(db) == DUMP_COUNTS


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_store_missing_a_baseline_table_is_refused_before_stamping(kind: str, tmp_path: Path, dump_file: Path) -> None:
    how = "dump" if kind == "sqlite" else "pre-migration"
    with dump_store(kind, tmp_path, dump_file, how) as db:
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE acknowledgements"))
        try:
            with pytest.raises(SchemaOutdated, match="acknowledgements"):
                upgrade(db)
        finally:
            revision = current_revision(db)
        assert revision is None
        assert counts(db, tuple(t for t in BASELINE_TABLES if t != "acknowledgements")) == {
            t: n for t, n in DUMP_COUNTS.items() if t != "acknowledgements"
        }


# pasopati up: prepare_store ----------------------------------------------------------------------
@pytest.mark.parametrize("at", [None, BASELINE], ids=["empty", "0001"])
def test_prepare_store_refuses_an_outdated_postgres_store_without_auto_migrate(
    at: str | None, tmp_path: Path
) -> None:
    from pasopati.launcher import prepare_store

    with empty_store("postgresql", tmp_path) as db:
        if at:
            upgrade(db, at)
        settings = Settings(data_dir=tmp_path, database_url=db.url, auto_migrate=False)
        with pytest.raises(SchemaOutdated) as refused:
            prepare_store(settings)
        assert str(refused.value).endswith(f"PASOPATI_DATABASE_URL='{db.url}' {UPGRADE_COMMAND}"), refused.value
        assert current_revision(db) == at
        assert table_names(db) == (set() if at is None else set(BASELINE_TABLES) | {"alembic_version"})
        assert not (tmp_path / "pasopati.db").exists()  # nor did it fall back to a SQLite store


def test_prepare_store_migrates_a_postgres_store_with_auto_migrate(
    tmp_path: Path, dump_file: Path, dump_schema: dict[str, Any], dump_rows: Rows
) -> None:
    from pasopati.launcher import prepare_store

    with dump_store("postgresql", tmp_path, dump_file, "baseline") as db:
        settings = Settings(data_dir=tmp_path, database_url=db.url, auto_migrate=True)
        note = prepare_store(settings)
        assert note == f"store {db.describe()} migrated {BASELINE} → {HEAD}"
        assert current_revision(db) == HEAD
        assert snapshot(db.engine, dump_schema) == dump_rows
        check_backfill(db, dump_rows, dump_schema)
        assert prepare_store(settings) == f"store {db.describe()} at {HEAD}"


def test_prepare_store_creates_and_migrates_a_fresh_sqlite_store(tmp_path: Path) -> None:
    from pasopati.launcher import prepare_store

    settings = Settings(data_dir=tmp_path / "data", database_url="", auto_migrate=False)
    path = tmp_path / "data" / "pasopati.db"
    assert settings.database == f"sqlite:///{path}"
    note = prepare_store(settings)
    assert note == f"store {path} migrated empty → {HEAD}"
    db = Database(settings.database)
    try:
        require_current(db)
        assert table_names(db) == set(BASELINE_TABLES) | ADDED_TABLES | {"alembic_version"}
        assert counts(db, ("store_meta", "audit_head", "audit_events")) == {"store_meta": 1, "audit_head": 1, "audit_events": 0}
        assert audit.verify(db).ok
    finally:
        db.dispose()
    assert not list(path.parent.glob("*.before-*"))  # nothing to back up
    assert prepare_store(settings) == f"store {path} at {HEAD}"


def test_prepare_store_migrates_an_old_sqlite_store_after_a_backup(
    tmp_path: Path, dump_file: Path, dump_schema: dict[str, Any], dump_rows: Rows
) -> None:
    """SQLite is migrated by `pasopati up` even without auto_migrate (the policy), after a backup."""
    from pasopati.launcher import prepare_store

    path = tmp_path / "pasopati.db"
    shutil.copyfile(dump_file, path)
    note = prepare_store(Settings(data_dir=tmp_path, database_url="", auto_migrate=False))
    assert note == f"store {path} migrated {BASELINE} → {HEAD}"
    assert (tmp_path / f"pasopati.db.before-{BASELINE}").is_file()
    db = Database(f"sqlite:///{path}")
    try:
        assert snapshot(db.engine, dump_schema) == dump_rows
        check_backfill(db, dump_rows, dump_schema)
    finally:
        db.dispose()


# Downgrade ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "with_data"),
    [
        pytest.param("sqlite", False, id="sqlite-empty"),
        pytest.param("sqlite", True, id="sqlite-data"),
        pytest.param("postgresql", True, id="postgresql-data"),
    ],
)
def test_downgrade_of_0002_keeps_the_baseline_and_its_data(
    kind: str, with_data: bool, tmp_path: Path, dump_file: Path, dump_schema: dict[str, Any], dump_rows: Rows
) -> None:
    store = dump_store(kind, tmp_path, dump_file, "baseline") if with_data else empty_store(kind, tmp_path)
    with store as db:
        upgrade(db)
        expected = snapshot(db.engine, dump_schema)
        assert expected == (dump_rows if with_data else {t: {} for t in BASELINE_TABLES})

        downgrade(db, BASELINE)
        assert current_revision(db) == BASELINE
        assert table_names(db) == set(BASELINE_TABLES) | {"alembic_version"}
        with db.engine.connect() as connection:
            assert "follows_id" not in {c["name"] for c in sa.inspect(connection).get_columns("incidents")}
            if kind == "postgresql":
                assert connection.execute(sa.text(
                    "SELECT count(*) FROM pg_proc WHERE proname = 'pasopati_audit_append_only'"
                    " AND pronamespace = current_schema()::regnamespace"
                )).scalar_one() == 0
        assert snapshot(db.engine, dump_schema) == expected

        assert upgrade(db) == (BASELINE, HEAD)
        assert snapshot(db.engine, dump_schema) == expected
        check_added_schema(db)
        report = audit.verify(db)
        assert report.ok and report.events == sum(len(r) for r in expected.values())


# Append-only audit log ---------------------------------------------------------------------------
def test_audit_events_are_append_only(db: Database) -> None:
    """UPDATE and DELETE (and TRUNCATE on PostgreSQL) on audit_events are refused by the database."""
    with db.write() as session:
        for n in range(3):
            audit.record(session, "uji.migrasi", actor="Operator Uji", incident_id=None, details={"n": n})
    refused = [
        "UPDATE audit_events SET actor = 'pemalsu' WHERE seq = 2",
        "UPDATE audit_events SET details = '{}'",
        "DELETE FROM audit_events WHERE seq = 3",
        "DELETE FROM audit_events",  # SQLite's truncate optimisation must not skip the trigger
    ]
    if db.dialect == "postgresql":
        refused.append("TRUNCATE audit_events")
    for statement in refused:
        with pytest.raises(sa.exc.DBAPIError, match="audit_events is append-only"):
            with db.engine.begin() as connection:
                connection.execute(sa.text(statement))
    assert [(e.seq, e.actor, e.details) for e in audit.events(db)] == [(n + 1, "Operator Uji", {"n": n}) for n in range(3)]
    assert audit.verify(db).ok
