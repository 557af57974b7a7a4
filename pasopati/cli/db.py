"""``pasopati db``: the store's schema (Alembic migrations) and health."""

from __future__ import annotations

from typing import Annotated

import typer

from pasopati.cli.common import app, clear_errors, fail

db_app = typer.Typer(no_args_is_help=True, help="The store: migrations and health.")
app.add_typer(db_app, name="db")


def _database(read_only: bool = False):  # type: ignore[no-untyped-def]
    from pasopati.db import Database
    from pasopati.settings import get_settings

    return Database(get_settings().database, read_only=read_only)


@db_app.command("upgrade")
def upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Migrate the store (a SQLite file is backed up first; a store from before migrations is adopted)."""
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    from pasopati.db.schema import upgrade as migrate

    with clear_errors():
        db = _database()
        try:
            before, after = migrate(db, revision)
        except CommandError as exc:
            fail(f"revision {revision!r}: {exc}")
        except DBAPIError as exc:  # e.g. two upgrades at once: the other one won; nothing half-done (one transaction)
            fail(f"the upgrade was rolled back: {str(exc.orig).strip()[:300]}; check with `pasopati db current`")
    typer.echo(f"store {db.describe()}: {before or 'empty'} → {after}")


@db_app.command("current")
def current() -> None:
    """Show the store's revision and the one this PASOPATI needs."""
    from pasopati.db.schema import current_revision, head_revision

    with clear_errors():
        db = _database(read_only=True)
        revision = current_revision(db)
    typer.echo(f"store {db.describe()}: {revision or 'no revision'}; this PASOPATI needs {head_revision()}")


@db_app.command("check")
def check(thorough: Annotated[bool, typer.Option(help="Also read every page (SQLite quick_check).")] = True) -> None:
    """Exit 0 only if the store is there, current, not corrupt and takes a write."""
    from pasopati.db.schema import health

    with clear_errors():
        db = _database()
        problems = health(db, thorough=thorough)
    if problems:
        fail("; ".join(problems))
    typer.echo(f"ok: store {db.describe()} is current, readable and writable")
