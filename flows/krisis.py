"""The runbook flow: team → holding statement → approval → publish → verification → drafts →
approval → publish → evaluation. One flow per category so the Prefect UI reads like the guideline
(flow "krisis-keamanan-ketertiban", deployment "berat").

Waiting for people suspends the run (no process held); on resume Prefect re-runs this function
from the top and every task before the gate returns its persisted result instead of running again.
"""


from prefect import flow
from prefect.context import get_run_context
from prefect.states import Completed, Failed, State

from flows.approval import approved_drafts
from flows.verification import verified
from pasopati.decisions.gates import GATE_FULL, GATE_HOLDING
from pasopati.incidents.models import Trigger
from pasopati.incidents.service import RunRefused
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import Severity
from pasopati.publications.models import RUN_NOT_PUBLISHED, RUN_PARTIAL
from tasks.drafting import draft_holding_statement, draft_messages
from tasks.evaluation import evaluate
from tasks.incident import admit_run, open_incident, record_reported_facts
from tasks.publishing import describe, publish_all, unfinished
from tasks.team import assemble_team, notify_team

NOT_PUBLISHED, PARTIAL = RUN_NOT_PUBLISHED, RUN_PARTIAL


def run_runbook(category: str, severity: Severity, trigger: Trigger) -> State:
    """Run the runbook; the final state says what happened: "Selesai", "Ditolak" (an approver
    rejected a gate: nothing of it went out), Failed "Sebagian terbit" (some channels did not take
    their message: `pasopati publish retry` sends them), Failed "Tidak terbit" (the holding
    statement reached no channel: the run stopped before verification; `pasopati publish retry`
    sends it and continues the incident) or Failed "run refused: …" (the run contradicts its
    deployment or may not carry the incident its trigger names: nothing was opened or changed,
    the refusal is in the audit log)."""
    plan = catalog().plan(category, severity)
    flow_run = get_run_context().flow_run  # type: ignore[union-attr]
    assert flow_run is not None, "a runbook runs as a Prefect flow run"
    try:
        admit_run(severity, trigger, str(flow_run.id), flow_run.deployment_id)
        incident = open_incident(plan, trigger, str(flow_run.id))
    except RunRefused as refused:
        return Failed(message=str(refused))
    team = assemble_team(incident, plan)
    notify_team(incident, team)

    # Be first: the holding statement goes for approval before full verification.
    reported = record_reported_facts(incident, plan, trigger)
    holding = draft_holding_statement(incident, plan, team, reported)
    published, rejected = [], None
    if (approved := approved_drafts(GATE_HOLDING, incident, plan, team, holding)) is None:
        rejected = "pernyataan awal ditolak: tidak ada yang terbit"
    else:
        published += publish_all(incident, approved)
        if not any(p.reached_anyone for p in published):
            # The public has not been told: verifying and drafting on as if it had would hide that.
            evaluate(incident, plan)
            return Failed(name=NOT_PUBLISHED, message=f"{NOT_PUBLISHED} — pernyataan awal tidak terbit di kanal mana pun "
                          f"({describe(published)}); kirim ulang: pasopati publish retry {flow_run.id}")

        drafts = draft_messages(incident, plan, team, verified(incident, plan))
        if (approved := approved_drafts(GATE_FULL, incident, plan, team, drafts)) is None:
            rejected = "pernyataan lengkap ditolak: hanya pernyataan awal yang terbit"
        else:
            published += publish_all(incident, approved)

    evaluation = evaluate(incident, plan)
    crisis = f"{(evaluation.timings[-1].seconds_since_detection if evaluation.timings else 0) / 60:.0f} menit sejak terdeteksi"
    if unfinished(published):
        return Failed(name=PARTIAL, message=f"{PARTIAL} — {describe(published)} ({crisis}); "
                      f"kirim ulang: pasopati publish retry {flow_run.id}", data=evaluation)
    if rejected:
        return Completed(name="Ditolak", message=f"Ditolak — {rejected} ({crisis})", data=evaluation)
    return Completed(name="Selesai", message=f"Selesai — {evaluation.publications_sent} publikasi terkirim ({crisis})", data=evaluation)


FLOW_OPTIONS = dict(persist_result=True, log_prints=True, validate_parameters=True)


@flow(name="krisis-keamanan-ketertiban", **FLOW_OPTIONS)
def krisis_keamanan_ketertiban(severity: Severity, trigger: Trigger) -> State:
    """Keamanan dan ketertiban: escape, riot, hostage, assault, drugs, illegal phones."""
    return run_runbook("keamanan-ketertiban", severity, trigger)


@flow(name="krisis-kesehatan", **FLOW_OPTIONS)
def krisis_kesehatan(severity: Severity, trigger: Trigger) -> State:
    """Kesehatan: death in custody, outbreak, food poisoning, suicide."""
    return run_runbook("kesehatan", severity, trigger)


@flow(name="krisis-opini-publik", **FLOW_OPTIONS)
def krisis_opini_publik(severity: Severity, trigger: Trigger) -> State:
    """Opini publik: viral video, 'sel mewah' claims, overcrowding virality, hoaxes."""
    return run_runbook("opini-publik", severity, trigger)


@flow(name="krisis-tata-kelola-integritas", **FLOW_OPTIONS)
def krisis_tata_kelola_integritas(severity: Severity, trigger: Trigger) -> State:
    """Tata kelola dan integritas: pungli, extortion, officers in drug trade, bribery."""
    return run_runbook("tata-kelola-integritas", severity, trigger)


@flow(name="krisis-bencana-alam", **FLOW_OPTIONS)
def krisis_bencana_alam(severity: Severity, trigger: Trigger) -> State:
    """Bencana alam: earthquake, flood, fire, landslide."""
    return run_runbook("bencana-alam", severity, trigger)


CATEGORY_FLOWS = {
    "keamanan-ketertiban": krisis_keamanan_ketertiban,
    "kesehatan": krisis_kesehatan,
    "opini-publik": krisis_opini_publik,
    "tata-kelola-integritas": krisis_tata_kelola_integritas,
    "bencana-alam": krisis_bencana_alam,
}
