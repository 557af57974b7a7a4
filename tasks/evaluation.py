"""Stage 8: post-crisis evaluation — time to each stage, deadlines met — and the incident's audit
timeline as the run's final artifact, with the chain head anchored on the Prefect server."""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from pasopati.audit import service as audit
from pasopati.audit.anchors import write_anchor
from pasopati.audit.timeline import build, render
from pasopati.db import get_database
from pasopati.evaluations import service as evaluations
from pasopati.evaluations.models import Evaluation
from pasopati.incidents import service as incidents
from pasopati.incidents.models import Incident, Stage
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.settings import get_settings
from pasopati.texts import render as render_text
from tasks.progress import show


# Never cached: a retried run evaluates again once its failed publications went out.
@task(name="evaluasi", cache_policy=NO_CACHE)
def evaluate(incident: Incident, plan: RunbookPlan) -> Evaluation:
    evaluation = evaluations.evaluate(get_database(), incident, plan)
    show(incident, Stage.EVALUATED)
    create_table_artifact(
        [
            {"tahap": t.stage.value, "waktu (UTC)": t.at.isoformat(timespec="seconds"), "menit sejak terdeteksi": round(t.seconds_since_detection / 60, 2)}
            for t in evaluation.timings
        ],
        description="Waktu ke tiap tahap",
    )
    report = render_text(catalog().templates_dir, "ui/evaluation.md.j2", incident=incident, evaluation=evaluation)
    create_markdown_artifact(report, description="Evaluasi pascakrisis")
    publish_timeline(incident)
    return evaluation


def publish_timeline(incident: Incident) -> None:
    """The incident's audit timeline so far, as the run's artifact (what `pasopati audit show
    INCIDENT --format md --upto N` prints), and the chain head anchored on the server."""
    db, settings = get_database(), get_settings()
    events = audit.events(db, incident_id=incident.id)
    timeline = build(events, incidents.subject(incident), settings.ui_url, settings.templates_dir)
    create_markdown_artifact(
        render(timeline, "md", settings.templates_dir).decode(),
        key=f"audit-{incident.id.replace('-', '')[:16]}",
        description=f"Lini masa audit insiden {incident.id} (hingga peristiwa ke-{timeline.header.upto_seq})",
    )
    try:
        write_anchor(db)
    except Exception as exc:  # noqa: BLE001  the watcher anchors again within a minute
        get_run_logger().warning("audit anchor not written: %s", exc)
