"""Stage bookkeeping shared by every stage: the store's timeline and the run's progress artifact."""

from __future__ import annotations

from uuid import UUID

from prefect.artifacts import update_progress_artifact

from pasopati.models import Incident, Stage
from pasopati.store import get_store

STAGES = list(Stage)


def reach(incident: Incident, stage: Stage) -> None:
    """Record that the run reached ``stage`` (first time only) and move the progress bar."""
    get_store().mark_stage(incident.id, stage)
    if incident.progress_artifact_id:
        done = STAGES.index(stage) + 1
        update_progress_artifact(
            UUID(incident.progress_artifact_id),
            progress=100 * done / len(STAGES),
            description=f"Stage {done}/{len(STAGES)}: {stage.value}",
        )
