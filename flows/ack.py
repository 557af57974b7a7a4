"""Acknowledge a crisis-team call from the Prefect UI: the deployment's Run form takes the runbook
run and your name (the CLI equivalent is `pasopati ack RUN --by NAME`)."""

from __future__ import annotations

from prefect import flow

from pasopati.db import get_database
from pasopati.runs import find_run, incident_of
from pasopati.team.service import acknowledge


@flow(name="konfirmasi-tim", log_prints=True, validate_parameters=True)
def acknowledge_call(run: str, member: str) -> str:
    """Record that MEMBER (on the team, or called as a deputy) acknowledged the call for RUN."""
    result = acknowledge(get_database(), incident_of(find_run(run)), member, via="ui")
    print(result)
    return result
