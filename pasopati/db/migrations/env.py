"""Alembic environment for the PASOPATI store (run through ``pasopati db …`` / pasopati.db.schema)."""

from __future__ import annotations

from alembic import context

# Every table of the store, so autogenerate sees the whole schema (migrations only; the core's own
# imports stay one-way).
import pasopati.schema_tables  # noqa: F401
from pasopati.db.types import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
