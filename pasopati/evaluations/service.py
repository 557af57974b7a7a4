"""The evaluation act: measure the incident from the store and record it with its audit event."""

from __future__ import annotations

from pasopati.audit.service import record, system
from pasopati.db import Database
from pasopati.decisions.models import Verdict
from pasopati.decisions.service import accepted_in
from pasopati.drafts.service import all_in as drafts_in
from pasopati.evaluations.models import DeadlineCheck, Evaluation, Outcome, StageTiming
from pasopati.evaluations.tables import EvaluationRow
from pasopati.incidents.models import Incident, Stage
from pasopati.incidents.service import mark_stage, stages_in
from pasopati.plan.runbook import RunbookPlan
from pasopati.publications.models import PublicationStatus
from pasopati.publications.service import all_in as publications_in
from pasopati.team.service import team_in
from pasopati.time import utcnow


def evaluate(db: Database, incident: Incident, plan: RunbookPlan) -> Evaluation:
    """Time to each stage, deadlines met, publications sent and failed; replaces an earlier
    evaluation of the incident (a retried run evaluates again once what failed went out)."""
    with db.write() as session:
        mark_stage(session, incident.id, Stage.EVALUATED)
        stages = stages_in(session, incident.id)
        publications = publications_in(session, incident.id)
        drafts = {d.id: d for d in drafts_in(session, incident.id)}  # every severity the incident passed
        sent = [p for p in publications if p.status is PublicationStatus.SENT]
        failed = [p for p in publications if p.status is not PublicationStatus.SENT]
        deadlines = []
        for spec in plan.plan.messages:
            times = [p.published_at for p in sent if p.published_at and drafts[p.draft_id].message_type is spec.type]
            due = next((d.due_at for d in drafts.values() if d.message_type is spec.type and d.severity is plan.severity), None)
            if due is not None:
                deadlines.append(DeadlineCheck(message_type=spec.type, due_at=due, published_at=min(times, default=None)))
        team = team_in(session, incident.id, plan.severity)
        accepted = accepted_in(session, incident.id)
        approved = any(d.verdict.approves for d in accepted)
        rejected = sorted({d.gate for d in accepted if d.verdict is Verdict.REJECT and d.severity is plan.severity})
        outcome: Outcome = "publication-failed" if failed else ("published" if approved and sent else "rejected")
        evaluation = Evaluation(
            incident_id=incident.id,
            outcome=outcome,
            timings=[
                StageTiming(stage=stage, at=at, seconds_since_detection=(at - incident.detected_at).total_seconds())
                for stage, at in sorted(stages.items(), key=lambda kv: kv[1])
            ],
            deadlines=deadlines,
            publications_sent=len(sent),
            publications_failed=len(failed),
            team_gaps=[f"{m.role}@{m.org}" for m in team.gaps] if team else [],
            rejected_gates=rejected,
        )
        session.merge(EvaluationRow(incident_id=incident.id, created_at=utcnow(), data=evaluation.model_dump(mode="json")))
        record(
            session, "evaluation.recorded", actor=system("evaluasi"), incident_id=incident.id, flow_run_id=incident.flow_run_id,
            details={
                "outcome": outcome, "publications_sent": len(sent), "publications_failed": len(failed),
                "deadlines": [{"message_type": d.message_type.value, "due_at": d.due_at.isoformat(),
                               "published_at": d.published_at.isoformat() if d.published_at else None, "met": d.met}
                              for d in deadlines],
                "minutes_since_detection": {t.stage.value: round(t.seconds_since_detection / 60, 2) for t in evaluation.timings},
                "team_gaps": evaluation.team_gaps, "rejected_gates": rejected,
            },
        )
        return evaluation


def get(db: Database, incident_id: str) -> Evaluation | None:
    with db.read() as session:
        row = session.get(EvaluationRow, incident_id)
        return Evaluation.model_validate(row.data) if row else None
