"""The store's database: one engine per URL, write transactions that serialise, read-only access
for auditors, and errors that say what is wrong with the store.

SQLite by default (``PASOPATI_DATABASE_URL`` empty), PostgreSQL through ``postgresql+psycopg://…``
(``postgresql+psycopg2://`` works too). The same code runs on both.

**One domain act = one write transaction.** ``Database.write()`` takes the store's writer lock first
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT … FOR UPDATE`` on the single ``store_meta``
row), so acts never interleave: a check-then-insert inside one is race-free, and the audit chain
(``pasopati.audit``) can append to its head without a second writer racing it. Measured cost: see
``bench/audit.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from pasopati.db.types import Base, CleanStr, clean_json, clean_text

__all__ = [
    "Base",
    "CleanStr",
    "Database",
    "SchemaOutdated",
    "StoreUnavailable",
    "clean_json",
    "clean_text",
    "get_database",
]

WRITE_OPTION = "pasopati_write"
SQLITE_BUSY_SECONDS = 30


class StoreUnavailable(RuntimeError):
    """The store cannot be used: missing, deleted while open, corrupt, unwritable or unreachable."""


class SchemaOutdated(RuntimeError):
    """The store's schema is not the one this version of PASOPATI needs; the message says what to run."""


@dataclass
class SQLiteFile:
    path: Path
    read_only: bool
    # The file this process opened first (device, inode). A store deleted or replaced under a
    # running process is refused from then on, until a restart: writing into an unlinked file, or
    # carrying on in a restored older copy (which would rewrite the chain after its head), is never
    # what an operator meant.
    identity: tuple[int, int] | None = None

    def connect(self) -> sqlite3.Connection:
        # URI mode "rw" never creates a file: a store deleted under a running process is an error,
        # not a silent new empty store (pasopati.db.schema creates it, once, on purpose).
        try:
            if self.read_only:
                connection = self._read_only()
            else:
                connection = sqlite3.connect(
                    f"file:{self.path}?mode=rw", uri=True, timeout=SQLITE_BUSY_SECONDS, check_same_thread=False
                )
            self.check_identity()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"cannot open the store {self.path}: {exc}") from exc
        connection.isolation_level = None  # we issue BEGIN ourselves (DEFERRED or IMMEDIATE)
        return connection

    def _read_only(self) -> sqlite3.Connection:
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=SQLITE_BUSY_SECONDS, check_same_thread=False)
        try:
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # A WAL store on read-only media (an auditor's copy, a read-only mount) cannot make its
            # -shm file: read it as immutable instead (nothing may write it meanwhile; nothing can).
            connection.close()
            connection = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        return connection

    def check_identity(self) -> None:
        """Raise StoreUnavailable if the file is gone or is not the one this process opened first."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise StoreUnavailable(f"the store {self.path} was deleted while PASOPATI had it open") from None
        found = (stat.st_dev, stat.st_ino)
        if self.identity is None:
            self.identity = found
        elif found != self.identity:
            raise StoreUnavailable(
                f"the store {self.path} was replaced while PASOPATI had it open: refusing to use the new file"
                " until PASOPATI is restarted (check which copy is the right one first)"
            )


class Database:
    """Engine and transactions for one store URL.

    ``read_only``: SQLite opens the file with ``mode=ro``; PostgreSQL sessions default to read-only
    transactions (the auditors' role should also lack write grants; README "Auditors")."""

    def __init__(self, url: str, *, read_only: bool = False):
        self.url = url
        self.read_only = read_only
        self.sqlite = sqlite_file(url, read_only)
        self.engine = self._engine()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)

    def expected_revision(self) -> str:
        from pasopati.db.schema import head_revision

        return head_revision()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return str(self.sqlite.path) if self.sqlite else make_url(self.url).render_as_string(hide_password=True)

    def _engine(self) -> Engine:
        if self.sqlite is None:
            engine = create_engine(self.url, pool_pre_ping=True)
            if self.read_only:
                event.listen(engine, "connect", _postgres_read_only)
            return engine
        file = self.sqlite
        engine = create_engine("sqlite://", creator=file.connect, poolclass=QueuePool, pool_size=5, max_overflow=10)
        event.listen(engine, "connect", lambda conn, record: _sqlite_connected(conn, file))
        event.listen(engine, "begin", lambda conn: _sqlite_begin(conn, file))
        return engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One domain act: a transaction holding the store's writer lock; commits on success."""
        if self.read_only:
            raise StoreUnavailable(f"the store {self.describe()} is open read-only")
        with _translated(self), self._writer.begin() as session:
            if self.sqlite is None:
                session.execute(text("SELECT id FROM store_meta WHERE id = 1 FOR UPDATE"))
            else:
                session.connection()  # BEGIN IMMEDIATE now: the lock (and the file check) before any read
            # Under the lock, the schema this process was built for: a store migrated (or rolled
            # back) under a running process is refused, not written in a shape it no longer has.
            if (revision := session.scalar(text("SELECT version_num FROM alembic_version"))) != self.expected_revision():
                from pasopati.db.schema import require_current

                require_current(self)  # raises SchemaOutdated with the command to run
                raise SchemaOutdated(f"the store {self.describe()} changed revision to {revision} under this process: restart it")
            yield session

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Session]:
        """A read transaction; never blocks writers. ``snapshot``: every statement sees the same
        moment (PostgreSQL REPEATABLE READ; a SQLite read transaction always does), for readers
        that compare several reads, such as the chain head with the rows after it."""
        with _translated(self), self._sessions.begin() as session:
            if snapshot and self.sqlite is None:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    @contextmanager
    def translating(self) -> Iterator[None]:
        """Errors meaning "the store itself is unusable" become StoreUnavailable (for callers that
        use the engine directly, e.g. migrations)."""
        with _translated(self):
            yield

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_file(url: str, read_only: bool) -> SQLiteFile | None:
    parsed = make_url(url)
    if not parsed.get_backend_name() == "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise ValueError("the store needs a SQLite file, not an in-memory database")
    return SQLiteFile(Path(parsed.database).resolve(), read_only)


def _sqlite_connected(connection: sqlite3.Connection, file: SQLiteFile) -> None:
    if not file.read_only:
        # Several served runs write at once: WAL lets readers proceed while one writes.
        connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")


def _sqlite_begin(connection: Any, file: SQLiteFile) -> None:
    # Every transaction: a store deleted or replaced under a running intake is noticed before
    # anything is written into an unlinked inode or a different file.
    try:
        file.check_identity()
    except StoreUnavailable:
        connection.invalidate()
        raise
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _postgres_read_only(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    connection.commit()


@contextmanager
def _translated(db: Database) -> Iterator[None]:
    """Database errors that mean "the store itself is unusable" become StoreUnavailable."""
    try:
        yield
    except StoreUnavailable:
        raise
    except DBAPIError as exc:
        message = str(exc.orig).lower()
        fatal = ("no such table", "not a database", "disk is full", "readonly database", "disk i/o error",
                 "unable to open", "read-only transaction", "permission denied", "connection refused",
                 "could not connect", "does not exist", "malformed", "database is locked")
        # On PostgreSQL an OperationalError is the connection or the server (killed backend,
        # restart, network): the act was rolled back, the store is unavailable for now.
        lost = exc.connection_invalidated or (isinstance(exc, OperationalError) and db.sqlite is None)
        if lost or any(f in message for f in fatal):
            raise StoreUnavailable(f"the store {db.describe()} is unusable: {str(exc.orig).strip()[:500]}") from exc
        raise


@lru_cache
def _database(url: str, read_only: bool) -> Database:
    from pasopati.db.schema import require_current

    db = Database(url, read_only=read_only)
    require_current(db)
    return db


def get_database(*, read_only: bool = False) -> Database:
    """The configured store, checked to be at this version's schema (SchemaOutdated otherwise).

    Never creates or migrates: ``pasopati up`` and ``pasopati db upgrade`` do (pasopati.db.schema)."""
    from pasopati.settings import get_settings

    return _database(get_settings().database, read_only)


def reset_cache() -> None:
    """Forget the open databases (a process that migrated, tests that switch stores)."""
    _database.cache_clear()
