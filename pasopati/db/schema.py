"""Where the store's schema stands, migrating it (Alembic), and whether the store is healthy.

Policy (``pasopati up``): the embedded SQLite store is migrated in place after a backup copy;
a PostgreSQL store is migrated only with ``PASOPATI_AUTO_MIGRATE=true`` and otherwise refused with
the exact command to run, because a shared production database is migrated by its operator.
Every other command refuses a store that is not at this version's schema.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from pasopati.db import Database, SchemaOutdated, StoreUnavailable
from pasopati.db.types import clean_text

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001_baseline"
# The tables a store made before migrations existed has; their presence without a version means
# "created by create_all at commit 8932213" (README, "Upgrading").
PRE_ALEMBIC_TABLES = {"incidents", "alerts", "drafts", "decisions", "publications"}
UPGRADE_COMMAND = "pasopati db upgrade"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@lru_cache
def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def current_revision(db: Database) -> str | None:
    with db.translating(), db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def has_tables(db: Database) -> bool:
    with db.translating(), db.engine.connect() as connection:
        return bool(PRE_ALEMBIC_TABLES & set(inspect(connection).get_table_names()))


def command_for(db: Database) -> str:
    """The exact command that migrates this store (with its URL when it is not the default)."""
    from pasopati.settings import get_settings

    if db.url == get_settings().database and not get_settings().database_url:
        return UPGRADE_COMMAND
    # The password, if any, stays out of messages and logs: the operator has it in their environment.
    return f"PASOPATI_DATABASE_URL='{make_url(db.url).render_as_string(hide_password=True)}' {UPGRADE_COMMAND}"


def require_current(db: Database) -> None:
    """Raise SchemaOutdated (with the command to run) unless the store is at this version's head."""
    if db.sqlite and not db.sqlite.path.exists():
        raise StoreUnavailable(f"no store at {db.sqlite.path}: start PASOPATI with `pasopati up` or run `{command_for(db)}`")
    revision = current_revision(db)
    if revision == head_revision():
        return
    if revision is None:
        made = "was made before migrations existed" if has_tables(db) else "is empty"
        raise SchemaOutdated(f"the store {db.describe()} {made}; migrate it with: {command_for(db)}")
    if revision not in known_revisions():
        raise SchemaOutdated(
            f"the store {db.describe()} is at revision {revision}, which this PASOPATI does not know"
            " (migrated by a newer version?): upgrade PASOPATI, never downgrade the store"
        )
    raise SchemaOutdated(f"the store {db.describe()} is at revision {revision}, this PASOPATI needs {head_revision()}: {command_for(db)}")


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str]:
    """Migrate to ``revision`` (a store from before migrations is first adopted as the baseline).

    Returns (revision before, revision after). A SQLite file is created if missing and backed up
    (``<file>.before-<revision>``) before any change. Raises SchemaOutdated, changing nothing, for a
    store this PASOPATI cannot migrate (made by a newer version, or older than the baseline)."""
    if db.sqlite and not db.sqlite.path.exists():
        db.sqlite.path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(db.sqlite.path).close()  # the one place a store file is created
    before = current_revision(db)
    if before is not None and before not in known_revisions():
        raise SchemaOutdated(
            f"the store {db.describe()} is at revision {before}, which this PASOPATI does not know"
            " (migrated by a newer version?): upgrade PASOPATI, never downgrade the store"
        )
    adopt = before is None and has_tables(db)
    if adopt:
        _check_baseline(db)
    target = head_revision() if revision == "head" else revision
    if db.sqlite and (adopt or (before is not None and before != target)):
        _backup(db.sqlite.path, before or BASELINE)
    config = alembic_config()
    if adopt:
        _run(db, config, lambda c: command.stamp(c, BASELINE))
        before = BASELINE
    _run(db, config, lambda c: command.upgrade(c, revision))
    return before, current_revision(db) or ""


def downgrade(db: Database, revision: str) -> str:
    """Migrate down to ``revision`` (for an operator undoing an upgrade; data of later revisions is lost)."""
    if db.sqlite:
        _backup(db.sqlite.path, current_revision(db) or "none")
    _run(db, alembic_config(), lambda c: command.downgrade(c, revision))
    return current_revision(db) or ""


def _run(db: Database, config: Config, step: Callable[[Config], None]) -> None:
    """Run an alembic command in one transaction on one connection of ``db`` (env.py takes it from
    the config). On SQLite, foreign keys are off meanwhile (ALTER is done by copying tables, which
    would trip them) and checked before the commit."""
    with db.translating(), db.engine.connect() as connection:
        raw = connection.connection.driver_connection if db.sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction, where SQLite honours it
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if raw is not None and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise SchemaOutdated(f"the migration would leave broken references: {broken[:5]}")
        finally:
            config.attributes.pop("connection", None)
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def _backup(path: Path, revision: str) -> Path:
    target = path.with_name(f"{path.name}.before-{revision}")
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with sqlite3.connect(target) as copy:
            source.backup(copy)
    finally:
        source.close()
    return target


@lru_cache
def baseline_columns() -> dict[str, set[str]]:
    """Table → columns of the baseline schema, read off the baseline migration run on a scratch database."""
    engine = create_engine("sqlite://")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, BASELINE)
        inspector = inspect(connection)
        columns = {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names() if t != "alembic_version"}
    engine.dispose()
    return columns


def _check_baseline(db: Database) -> None:
    """A store made before migrations must have every table and column of the baseline; an older
    one cannot be adopted (and is left exactly as it is)."""
    with db.engine.connect() as connection:
        inspector = inspect(connection)
        present = set(inspector.get_table_names())
        missing = []
        for table, columns in sorted(baseline_columns().items()):
            if table not in present:
                missing.append(f"table {table}")
                continue
            have = {c["name"] for c in inspector.get_columns(table)}
            missing += [f"{table}.{column}" for column in sorted(columns - have)]
    if missing:
        raise SchemaOutdated(
            f"the store {db.describe()} predates the migration baseline (it lacks {', '.join(missing)});"
            " it cannot be upgraded in place: keep it for the record and start a new store"
        )


def health(db: Database, *, thorough: bool = False) -> list[str]:
    """Problems that make the store unusable right now (empty list: healthy).

    Checks the file is there and the same one the process opened (SQLite), the schema is current,
    and (unless read-only) that a write commits. ``thorough`` adds SQLite's ``PRAGMA quick_check``,
    which reads every page (seconds on a large store: for startup, not for each /health call)."""
    problems: list[str] = []
    try:
        require_current(db)
        if thorough and db.sqlite:
            with db.read() as session:
                result = [row[0] for row in session.execute(text("PRAGMA quick_check"))]
            if result != ["ok"]:
                problems.append(f"the store {db.describe()} is corrupt: {'; '.join(result[:5])}")
        if not db.read_only:
            from datetime import datetime

            from pasopati.db.meta import StoreMetaRow

            with db.write() as session:
                row = session.get(StoreMetaRow, 1)
                if row is None:
                    raise StoreUnavailable(f"the store {db.describe()} has no store_meta row")
                row.checked_at = datetime.now(UTC)
            if db.sqlite:
                # A write can succeed into the WAL file while the store file itself refuses writes
                # (immutable, read-only mount): a checkpoint writes the store file, so it tells.
                with db.translating(), db.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    except (StoreUnavailable, SchemaOutdated) as exc:
        problems.append(str(exc))
    except Exception as exc:  # noqa: BLE001  anything else the driver says is a reason too
        problems.append(clean_text(f"the store {db.describe()} failed a check: {type(exc).__name__}: {exc}"))
    return problems
