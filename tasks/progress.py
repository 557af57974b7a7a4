"""The run's progress artifact: which stage it has reached (the store records the stage itself)."""

from __future__ import annotations

from uuid import UUID

from prefect.artifacts import update_progress_artifact

from pasopati.incidents.models import Incident, Stage

STAGES = list(Stage)


def show(incident: Incident, stage: Stage) -> None:
    """Move the progress bar to ``stage``."""
    if incident.progress_artifact_id:
        done = STAGES.index(stage) + 1
        update_progress_artifact(
            UUID(incident.progress_artifact_id),
            progress=100 * done / len(STAGES),
            description=f"Tahap {done}/{len(STAGES)}: {stage.value}",
        )
