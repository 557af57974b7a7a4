"""Stage 8: post-crisis evaluation — time to each stage, deadlines met, as artifacts and in the store."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from pasopati.catalog import catalog
from pasopati.drafting import environment
from pasopati.models import DeadlineCheck, Evaluation, Incident, PublicationStatus, Stage, StageTiming
from pasopati.runbook import RunbookPlan
from pasopati.store import get_store
from tasks.progress import reach


# Never cached: a retried run evaluates again once its failed publications went out.
@task(name="evaluasi", cache_policy=NO_CACHE)
def evaluate(incident: Incident, plan: RunbookPlan) -> Evaluation:
    store = get_store()
    reach(incident, Stage.EVALUATED)
    stages = store.stages(incident.id)
    timings = [
        StageTiming(stage=stage, at=at, seconds_since_detection=(at - incident.detected_at).total_seconds())
        for stage, at in sorted(stages.items(), key=lambda kv: kv[1])
    ]
    publications = store.publications(incident.id)
    drafts = {d.id: d for d in store.drafts(incident.id)}  # every severity the incident passed
    sent = [p for p in publications if p.status is PublicationStatus.SENT]
    deadlines = []
    for spec in plan.plan.messages:
        times = [p.published_at for p in sent if p.published_at and drafts[p.draft_id].message_type is spec.type]
        due = next((d.due_at for d in drafts.values() if d.message_type is spec.type and d.severity is plan.severity), None)
        if due is not None:
            deadlines.append(DeadlineCheck(message_type=spec.type, due_at=due, published_at=min(times, default=None)))
    failed = [p for p in publications if p.status is not PublicationStatus.SENT]
    approved = any(d.verdict.value == "approve" for d in store.decisions(incident.id))
    team = store.team(incident.id, plan.severity.value)
    evaluation = Evaluation(
        incident_id=incident.id,
        outcome="publication-failed" if failed else ("published" if approved and sent else "rejected"),
        timings=timings,
        deadlines=deadlines,
        publications_sent=len(sent),
        publications_failed=len(failed),
        team_gaps=[f"{m.role}@{m.org}" for m in team.gaps] if team else [],
    )
    store.save_evaluation(evaluation)
    create_table_artifact(
        [
            {"stage": t.stage.value, "at (UTC)": t.at.isoformat(timespec="seconds"), "minutes since detection": round(t.seconds_since_detection / 60, 2)}
            for t in timings
        ],
        description="Time to each stage",
    )
    report = environment(catalog().templates_dir).get_template("ui/evaluation.md.j2")
    create_markdown_artifact(report.render(incident=incident, evaluation=evaluation), description="Post-crisis evaluation")
    return evaluation
