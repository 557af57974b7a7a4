"""Suspend a run at a gate round under a state that says which gate it waits at.

Prefect's ``suspend_flow_run`` always names the state "Suspended"; the Prefect UI then shows every
waiting crisis alike, and a refused decision is visible only when someone reopens the form. This is
the same suspension (a Paused state with ``reschedule``: no process is held; PREFECT_NOTES) with a
name that reads as the gate ("Menunggu-persetujuan-awal") and a message saying what happened last
("Keputusan sebelumnya DITOLAK: …"). Built from the same Prefect 3.8 pieces ``suspend_flow_run``
uses (prefect/flow_runs.py): re-check on a Prefect upgrade, like pasopati/warm.py.
"""

from __future__ import annotations

from typing import TypeVar

from prefect._flow_run_suspension import mark_flow_run_suspension_requested
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.exceptions import Abort, Pause
from prefect.input import keyset_from_paused_state
from prefect.input.run_input import RunInput, run_input_subclass_from_type
from prefect.states import Paused
from prefect.utilities.engine import propose_state_sync

from pasopati.decisions.gates import waiting_state_name

T = TypeVar("T", bound=RunInput)


def suspend_at(form: type[T], key: str, *, timeout: int, message: str) -> T:
    """Wait at pause ``key`` for ``form``; returns the input once the run is resumed past it.

    Raises prefect.exceptions.Pause (the process exits; Prefect re-runs the flow on resume) and
    RuntimeError when the server refuses the suspension."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        raise RuntimeError("a gate waits only inside a flow run")
    flow_run_id = context.flow_run.id
    proposed = Paused(timeout_seconds=timeout, pause_key=key, reschedule=True, name=waiting_state_name(key), message=message[:2000])
    keyset = keyset_from_paused_state(proposed)
    proposed.state_details.run_input_keyset = keyset
    model = run_input_subclass_from_type(form)
    with get_client(sync_client=True) as client:
        try:
            state = propose_state_sync(client=client, state=proposed, flow_run_id=flow_run_id)
        except Abort as exc:
            raise RuntimeError(f"the run cannot be suspended at {key}: {exc}") from exc
        if state.is_running():  # this pause key was used before and the run resumed past it
            return model.load(keyset)  # type: ignore[return-value]
        if not state.is_paused():
            raise RuntimeError(f"the run cannot be suspended at {key}: the server answered {state}")
        model.save(keyset)
    mark_flow_run_suspension_requested(flow_run_id, state)
    raise Pause(state=state)
