"""Audit log: hash-chained, append-only events; the store's identity row; linked incidents.

- ``audit_events`` (append-only: triggers refuse UPDATE, DELETE and TRUNCATE) and ``audit_head``.
- ``store_meta``: one row — the store's random id (names its anchors on the Prefect server) and
  the row every write transaction locks (pasopati.db).
- ``incidents.follows_id``: an alert about a closed incident opens a new incident that follows it.
- Backfill: every record already in the store becomes an event (kind ``migrasi.<table>``, at the
  record's own time, ``details.backfilled = true``), so incidents from before this migration have
  a timeline and are covered by the chain from now on. What was never recorded (who typed what in
  a form) cannot be reconstructed and is not invented.

Revision ID: 0002_audit_log
Revises: 0001_baseline
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from pasopati.audit.chain import canonical, event_hash, genesis

revision = "0002_audit_log"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

MIGRATION_ACTOR = "sistem:migrasi-0002"
# table → (time column, incident column, actor column or None); the order breaks ties in time.
BACKFILL = {
    "incidents": ("opened_at", "id", None),
    "runs": ("started_at", "incident_id", None),
    "teams": ("assembled_at", "incident_id", None),
    "facts": ("recorded_at", "incident_id", "verified_by"),
    "drafts": ("created_at", "incident_id", "author"),
    "decisions": ("decided_at", "incident_id", "approver"),
    "publications": ("published_at", "incident_id", None),
    "escalations": ("at", "incident_id", None),
    "notifications": ("sent_at", "incident_id", None),
    "acknowledgements": ("at", "incident_id", "person"),
    "stage_events": ("at", "incident_id", None),
    "evaluations": ("created_at", "incident_id", None),
    "alerts": ("received_at", "incident_id", None),
}


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("incident_id", sa.String(36), nullable=True),
        sa.Column("flow_run_id", sa.String(36), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("incident_prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    op.create_index("ix_audit_events_incident_seq", "audit_events", ["incident_id", "seq"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "store_meta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("follows_id", sa.String(36), nullable=True))

    now = datetime.now(UTC)
    bind = op.get_bind()
    store_id = str(uuid.uuid4())
    meta = sa.table("store_meta", sa.column("id"), sa.column("store_id"),
                    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("checked_at", sa.DateTime(timezone=True)))
    bind.execute(meta.insert().values(id=1, store_id=store_id, created_at=now, checked_at=now))
    seq, head = _backfill(bind, now, genesis(store_id))
    bind.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"), {"seq": seq, "hash": head})
    _append_only(bind.dialect.name)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS pasopati_audit_append_only()")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("follows_id")
    op.drop_table("store_meta")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_events_incident_seq", table_name="audit_events")
    op.drop_table("audit_events")


def _append_only(dialect: str) -> None:
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events"
                " BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION pasopati_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events"
            " FOR EACH ROW EXECUTE FUNCTION pasopati_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events"
            " FOR EACH STATEMENT EXECUTE FUNCTION pasopati_audit_append_only()"
        )


def _backfill(bind: sa.engine.Connection, now: datetime, start: str) -> tuple[int, str]:
    """One event per existing record, oldest first; returns the chain head."""
    metadata = sa.MetaData()
    records: list[tuple[datetime, int, str, dict[str, Any], str | None, str | None]] = []
    for order, (table_name, (time_column, incident_column, actor_column)) in enumerate(BACKFILL.items()):
        table = sa.Table(table_name, metadata, autoload_with=bind)
        for row in bind.execute(sa.select(table)).mappings():
            values = {k: _jsonable(v) for k, v in row.items()}
            at = _aware(row[time_column]) or _aware(row.get("received_at")) or now
            actor = row[actor_column] if actor_column and row[actor_column] else None
            records.append((at, order, table_name, values, row[incident_column], actor))
    records.sort(key=lambda r: (r[0], r[1]))
    events = sa.table(
        "audit_events",
        sa.column("at", sa.DateTime(timezone=True)),
        *(sa.column(c) for c in ("seq", "kind", "incident_id", "flow_run_id", "actor", "details", "prev_hash", "incident_prev_hash", "hash")),
    )
    prev, seq = start, 0
    last_of: dict[str, str] = {}
    batch = []
    for at, _, table_name, values, incident_id, actor in records:
        seq += 1
        details = canonical({"backfilled": True, "migrated_at": now.isoformat(), "table": table_name, "row": values})
        flow_run_id = values.get("flow_run_id") if isinstance(values.get("flow_run_id"), str) else None
        kind, who = f"migrasi.{table_name}", actor or MIGRATION_ACTOR
        incident_prev = last_of.get(incident_id) if incident_id else None
        digest = event_hash(prev_hash=prev, incident_prev_hash=incident_prev, at=at, kind=kind, incident_id=incident_id,
                            flow_run_id=flow_run_id, actor=who, details_json=details)
        batch.append({"seq": seq, "at": at, "kind": kind, "incident_id": incident_id, "flow_run_id": flow_run_id, "actor": who,
                      "details": details, "prev_hash": prev, "incident_prev_hash": incident_prev, "hash": digest})
        prev = digest
        if incident_id:
            last_of[incident_id] = digest
        if len(batch) >= 1000:
            bind.execute(events.insert(), batch)
            batch = []
    if batch:
        bind.execute(events.insert(), batch)
    return seq, prev


def _aware(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return _aware(value).isoformat()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    return value
