"""Anchors: the chain head copied to the Prefect server as an artifact, so that hiding an edit
means rewriting both the store and Prefect's artifact history.

Each anchor is a new version of the table artifact ``audit-anchor-<store id>``; Prefect keeps every
version. ``pasopati audit verify`` reads them all and checks the store still has each anchored row
with the anchored hash. Written by the deadline watcher (every ``PASOPATI_WATCH_SECONDS``, when the
head moved), at the end of every run, and by ``pasopati audit anchor``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

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


class MalformedAnchor(ValueError):
    """An artifact under this store's anchor key that is not an anchor: someone wrote it by hand."""


def read_anchors(db: Database) -> list[Anchor]:
    """Every anchor the Prefect server holds for this store, oldest first.

    Raises MalformedAnchor naming any artifact under the key that is not a valid anchor of this
    store (API errors propagate): a planted artifact must not quietly switch the check off."""
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
                try:
                    found = _anchors_in(artifact.data)
                except (ValueError, TypeError, AttributeError) as exc:
                    raise MalformedAnchor(f"artifact {artifact.id} under {anchor_key(store)} is not an anchor ({str(exc)[:120]})") from exc
                if any(a.store_id != store for a in found):
                    raise MalformedAnchor(f"artifact {artifact.id} under {anchor_key(store)} names another store")
                anchors += found
            if len(page) < 200:
                break
    return sorted(anchors, key=lambda a: (a.seq, a.at))


def write_anchor(db: Database, *, only_if_moved: bool = True) -> Anchor | None:
    """Copy the current head to Prefect; None when the chain is empty or (``only_if_moved``) the
    latest anchor already holds this head."""
    from prefect import get_client
    from prefect.client.schemas.actions import ArtifactCreate
    from prefect.context import FlowRunContext, TaskRunContext

    seq, digest = head(db)
    if seq == 0:
        return None
    store = store_id(db)
    if only_if_moved:
        latest = _latest(store)
        if latest is not None and latest.seq == seq and latest.hash == digest:
            return None
    anchor = Anchor(seq=seq, hash=digest, at=datetime.now(UTC), store_id=store)
    # Through the client, so `pasopati audit anchor` (outside any run) writes the same artifact a run does.
    flow_context, task_context = FlowRunContext.get(), TaskRunContext.get()
    with get_client(sync_client=True) as client:
        client.create_artifact(
            ArtifactCreate(
                key=anchor_key(store),
                type="table",
                data=json.dumps([anchor.model_dump(mode="json")]),
                description=f"Jangkar rantai audit PASOPATI: peristiwa ke-{seq}, hash {digest[:16]}…",
                flow_run_id=flow_context.flow_run.id if flow_context and flow_context.flow_run else None,
                task_run_id=task_context.task_run.id if task_context else None,
            )
        )
    return anchor


def _latest(store: str) -> Anchor | None:
    from prefect import get_client
    from prefect.client.schemas.filters import (
        ArtifactCollectionFilter,
        ArtifactCollectionFilterKey,
    )

    with get_client(sync_client=True) as client:
        latest = client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[anchor_key(store)]))
        )
    try:
        found = _anchors_in(latest[0].data) if latest else []
    except (ValueError, TypeError, AttributeError):
        return None  # not ours: write a good anchor after it (verify reports the bad one)
    return found[-1] if found else None


def _anchors_in(data: object) -> list[Anchor]:
    rows = json.loads(data) if isinstance(data, str) else data
    if not isinstance(rows, list) or not rows:
        raise ValueError("expected a non-empty list of anchors")
    return [Anchor.model_validate(row) for row in rows]
