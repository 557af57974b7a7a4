"""Anchors: the chain head copied to the Prefect server as an artifact, so that hiding an edit
means rewriting both the store and Prefect's artifact history.

Each anchor is a new version of the table artifact ``audit-anchor-<store id>``; Prefect keeps every
version. ``pasopati audit verify`` reads them all and checks the store still has each anchored row
with the anchored hash. Written by the deadline watcher (every ``PASOPATI_WATCH_SECONDS``, when the
head moved), at the end of every run, and by ``pasopati audit anchor``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from pasopati.audit.models import Anchor
from pasopati.audit.service import head
from pasopati.db import Database
from pasopati.db.meta import StoreMetaRow


def store_id(db: Database) -> str:
    with db.read() as session:
        store = session.scalar(select(StoreMetaRow.store_id).where(StoreMetaRow.id == 1))
    if store is None:
        raise RuntimeError(f"the store {db.describe()} has no store_meta row")
    return store


def anchor_key(store: str) -> str:
    """Artifact keys allow lowercase letters, digits and dashes only."""
    return f"audit-anchor-{store.replace('-', '')[:16]}"


def read_anchors(db: Database) -> list[Anchor]:
    """Every anchor the Prefect server holds for this store, oldest first (API errors propagate)."""
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    store = store_id(db)
    anchors, offset = [], 0
    with get_client(sync_client=True) as client:
        while page := client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[anchor_key(store)])), offset=offset, limit=200
        ):
            offset += len(page)
            for artifact in page:
                rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
                anchors += [Anchor.model_validate(row) for row in rows or [] if row.get("store_id") == store]
            if len(page) < 200:
                break
    return sorted(anchors, key=lambda a: (a.seq, a.at))


def write_anchor(db: Database, *, only_if_moved: bool = True) -> Anchor | None:
    """Copy the current head to Prefect; None when the chain is empty or (``only_if_moved``) the
    latest anchor already holds this head."""
    from prefect.artifacts import create_table_artifact

    seq, digest = head(db)
    if seq == 0:
        return None
    store = store_id(db)
    if only_if_moved:
        latest = _latest(store)
        if latest is not None and latest.seq == seq and latest.hash == digest:
            return None
    anchor = Anchor(seq=seq, hash=digest, at=datetime.now(timezone.utc), store_id=store)
    create_table_artifact(
        [anchor.model_dump(mode="json")],
        key=anchor_key(store),
        description=f"Jangkar rantai audit PASOPATI: peristiwa ke-{seq}, hash {digest[:16]}…",
    )
    return anchor


def _latest(store: str) -> Anchor | None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey

    with get_client(sync_client=True) as client:
        latest = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[anchor_key(store)]))
        )
    if not latest:
        return None
    rows = json.loads(latest[0].data) if isinstance(latest[0].data, str) else latest[0].data
    return Anchor.model_validate(rows[0]) if rows else None
