"""Ask Prefect for the runs stored in ``run_starts``: try one now, or every one that is due.

The request's id is Prefect's idempotency key: a retry after a lost answer, or two processes (the
intake's retry loop, the CLI, the watcher) trying the same request at once, get the same flow run.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol
from uuid import UUID

import httpx

from pasopati.db import Database
from pasopati.incidents import service as incidents
from pasopati.starts import service as starts
from pasopati.starts.models import RunStart, StartStatus

log = logging.getLogger(__name__)


class Runs(Protocol):
    """What a start needs of Prefect (``PrefectRuns``; tests pass one pointed at a dead server)."""

    def create(self, start: RunStart) -> str: ...

    def cancel(self, flow_run_id: str, message: str) -> None: ...


class PrefectRuns:
    """The Prefect API of the current profile (``PREFECT_API_URL``)."""

    def create(self, start: RunStart) -> str:
        from prefect.deployments import run_deployment

        run = run_deployment(
            start.deployment, parameters=start.parameters, timeout=0, flow_run_name=start.flow_run_name,
            tags=start.tags or None, idempotency_key=start.id, as_subflow=False,
        )
        return str(run.id)

    def cancel(self, flow_run_id: str, message: str) -> None:
        from prefect import get_client
        from prefect.exceptions import ObjectNotFound
        from prefect.states import Cancelled, Cancelling

        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(flow_run_id))
            except ObjectNotFound:  # gone from Prefect (deleted): nothing left to cancel
                return
            if run.state is None or run.state.is_final():
                return
            # A Running or Pending run has (or is getting) a process for its runner to stop: Cancelling,
            # from which Prefect lets it go only to Cancelled (EnforceCancellingToCancelledTransition),
            # so a process still starting cannot begin the flow. Cancelled outright would not hold: the
            # server accepts Cancelled → Running from an engine that was starting (seen in the e2e tier).
            # A scheduled or suspended run has no process: Cancelled, and it is never picked up again
            # (PreventPendingTransitions).
            busy = run.state.is_running() or run.state.is_pending()
            state = Cancelling(message=message) if busy else Cancelled(message=message)
            client.set_flow_run_state(run.id, state, force=True)


def attempt(db: Database, start: RunStart, runs: Runs) -> RunStart:
    """One try: cancel the run an escalation released (if any), then create the run. Never raises
    for Prefect's faults: the outcome is stored on the request and returned."""
    if not start.status.is_open:
        return start
    if incidents.is_closed(db, start.incident_id):
        return starts.abandon(db, start.id, reason=f"incident {start.incident_id} was closed before its run started")
    try:
        if start.supersedes:
            runs.cancel(start.supersedes, start.supersede_message or "superseded")
        flow_run_id = runs.create(start)
    except Exception as exc:  # noqa: BLE001  any fault of the attempt is the request's state, never the caller's crash
        log.warning("run start %s (%s) failed: %s", start.id, start.deployment, describe(exc))
        return starts.attempt_failed(db, start.id, describe(exc), permanent=is_permanent(exc))
    done = starts.started(db, start.id, flow_run_id)
    if done.status is not StartStatus.STARTED:  # superseded or abandoned while Prefect was creating it
        _cancel_quietly(runs, flow_run_id, f"not started: this request was {done.status.value} before Prefect had the run")
    return done


def _cancel_quietly(runs: Runs, flow_run_id: str, message: str) -> None:
    try:
        runs.cancel(flow_run_id, message)
    except Exception as exc:  # noqa: BLE001  the run's own admission refuses it anyway (incidents.open_for_run)
        log.warning("could not cancel run %s (%s): %s", flow_run_id, message, describe(exc))


def drain(db: Database, runs: Runs) -> list[RunStart]:
    """Try every due request once (oldest first); returns what became of each."""
    return [attempt(db, start, runs) for start in starts.due(db)]


def is_permanent(exc: BaseException) -> bool:
    """Prefect refused the request itself (a 4xx other than not-found, timeout, conflict, too many
    requests). A missing deployment is not permanent: `pasopati up` may still be serving them."""
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    if isinstance(exc, ObjectNotFound):
        return False
    if isinstance(exc, PrefectHTTPStatusError | httpx.HTTPStatusError):
        code = exc.response.status_code
        return 400 <= code < 500 and code not in (404, 408, 409, 429)
    return False


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Retrier:
    """Tries the due requests every ``every`` seconds in a daemon thread (the intake runs one: it is
    up when Prefect is not, and the watcher is itself a Prefect run). A fault of one pass is logged
    and the next pass comes; ``stop`` ends it."""

    def __init__(self, db: Database, runs: Runs, every: float):
        self.db, self.runs, self.every = db, runs, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pasopati-run-starts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 30)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                drain(self.db, self.runs)
            except Exception:  # noqa: BLE001  a store hiccup must not end the retries for good
                log.exception("retrying run starts failed; next pass in %.0f s", self.every)
