"""Acknowledge a crisis-team call from the Prefect UI: the deployment's Run form takes the runbook
run, your name and your TOTP code (the CLI equivalent is `pasopati ack RUN --by NAME --code CODE`)."""

from __future__ import annotations

from prefect import flow
from prefect.states import Failed, State

from pasopati.db import get_database
from pasopati.decisions import steps
from pasopati.identity.prover import Prover
from pasopati.plan.catalog import catalog
from pasopati.runs import RunLookupError, find_run, incident_of


@flow(name="konfirmasi-tim", log_prints=True, validate_parameters=True)
def acknowledge_call(run: str, member: str, kode: str = "") -> str | State:
    """Record that MEMBER (on the team, or called as a deputy) acknowledged the call for RUN,
    proven by their TOTP code; a refusal is recorded and ends this run Failed with the reason."""
    try:
        incident = incident_of(find_run(run))
    except RunLookupError as exc:
        return Failed(message=f"Ditolak — {exc}")
    outcome = steps.acknowledge(get_database(), incident, member, claim=steps.Claim(code=kode or None), via="ui",
                                roster=catalog().roster, prover=Prover())
    if not outcome.accepted:
        return Failed(message=f"Ditolak — {outcome.refusal}")
    print(outcome.message)
    return outcome.message
