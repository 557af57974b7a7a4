"""Start and cancel runbook runs on the Prefect server for alert intake."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.deployments import run_deployment
from prefect.states import Cancelled, Cancelling

from pasopati.incidents.models import Trigger
from pasopati.plan.runbook import Severity
from pasopati.runs import deployment_name


class PrefectRuns:
    def start(self, category: str, severity: Severity, trigger: Trigger) -> str:
        run = run_deployment(
            deployment_name(category, severity),
            parameters={"trigger": trigger.model_dump(mode="json")},
            timeout=0,
            tags=["sumber:alert"],
        )
        return str(run.id)

    def cancel(self, flow_run_id: str, message: str) -> None:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(flow_run_id))
            if run.state is None or run.state.is_final():
                return
            # Only a Running run has a process for its runner to stop. A suspended, scheduled or
            # still-starting (Pending) one is cancelled outright; a process that was just starting
            # finds its run final when it proposes Running, and exits without running the flow.
            state = Cancelling(message=message) if run.state.is_running() else Cancelled(message=message)
            client.set_flow_run_state(run.id, state, force=True)
