"""Fact corrections after publication: record the new versions, flag every published message that
stated an old value, and prepare the ralat (correction) that goes through approval like any message."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from pasopati.db import get_database
from pasopati.decisions import steps
from pasopati.drafts.models import Draft
from pasopati.identity.prover import Prover
from pasopati.incidents.models import Incident
from pasopati.plan.catalog import catalog
from pasopati.plan.runbook import RunbookPlan
from pasopati.publications.corrections import flag_outdated as flag


@task(name="catat-koreksi-fakta", cache_policy=NO_CACHE)
def record_corrections(
    incident: Incident, plan: RunbookPlan, values: dict[str, str], source: str, verified_by: str, code: str, change: str
) -> str | None:
    """Record corrections submitted as the run's parameters (the Prefect UI's deployment form),
    proven by the verifier's TOTP code; None, or why they were refused (recorded)."""
    outcome = steps.correct(get_database(), incident, plan, values, source=source, by=verified_by, claim=steps.Claim(code=code or None),
                            change=change, via="prefect-parameter", roster=catalog().roster, prover=Prover())
    return None if outcome.accepted else outcome.refusal


@task(name="periksa-koreksi", cache_policy=NO_CACHE)
def correction_recorded(incident: Incident, change: str) -> bool:
    """Whether the proven correction the CLI recorded as ``change`` exists."""
    return steps.correction_recorded(get_database(), incident, change)


@task(name="tandai-pesan-usang")
def flag_outdated(incident: Incident, plan: RunbookPlan, change: str) -> list[Draft]:
    """Flag published messages whose figures changed; one ralat draft per language, to the same channels."""
    return flag(get_database(), incident, plan, change, catalog())
