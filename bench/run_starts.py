"""A burst of crises at once on the SQLite default (issue 12): how many runs start, bare Prefect
against PASOPATI's stored, retried run starts, on one Prefect server (SQLite) with the 20 runbooks
served, in one run.

  bare   N threads call ``run_deployment`` at once (what intake did before): a call the Prefect
         client gives up on (503 "database is locked" after its retries) is a run that never starts.
  ours   N threads post one crisis alert each to the intake pipeline at once; every start is stored
         first and retried (as the intake's retry loop does) until Prefect has the run.

Printed: runs asked for, runs Prefect has, failed attempts, seconds until the last run existed.

    .venv/bin/python bench/run_starts.py [--burst 30]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import prefect_server  # noqa: E402  (bench reuses the test stack builders)

UNITS = ["Lapas Cipinang", "Rutan Salemba", "Lapas Banyuasin", "Lapas Pangkalpinang", "Lapas Nabire", "Lapas Sukamiskin",
         "Lapas Makassar", "LPKA Bandung", "Rutan Pondok Bambu"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pasopati-bench-starts-"))
    # Every alert a crisis of its own (no correlation), as 30 different crises would be.
    os.environ.update({"PASOPATI_DATA_DIR": str(work), "PASOPATI_CORRELATION_WINDOW_HOURS": "0",
                       "PREFECT_LOGGING_LEVEL": "ERROR", "PASOPATI_START_RETRY_SECONDS": "1"})
    with prefect_server(work / "prefect") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        serve = subprocess.Popen([sys.executable, "-m", "pasopati.cli", "serve"], stdout=(work / "serve.log").open("wb"),
                                 stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_served()
            bare = burst_bare(args.burst)
            ours = burst_ours(args.burst)
            print(f"\n{args.burst} crises at once, Prefect server on SQLite, runbooks served")
            print(f"{'':<6} {'asked':>6} {'runs':>6} {'failed tries':>13} {'seconds':>8}")
            for name, (asked, runs, failures, seconds) in (("bare", bare), ("ours", ours)):
                print(f"{name:<6} {asked:>6} {runs:>6} {failures:>13} {seconds:>8.1f}", flush=True)
        finally:
            stop(serve)


def stop(serve: subprocess.Popen[bytes]) -> None:
    """The serve process and the runs it forked (its own process group)."""
    for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
        try:
            os.killpg(serve.pid, sig)
            serve.wait(timeout=wait)
            return
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue


def wait_served() -> None:
    from prefect import get_client

    from pasopati.db import Database
    from pasopati.db.schema import upgrade
    from pasopati.settings import get_settings

    with get_client(sync_client=True) as client:
        while len(client.read_deployments()) < 21:
            time.sleep(0.3)
    time.sleep(4)  # let the runner settle and the forkserver preload
    get_settings.cache_clear()
    upgrade(Database(get_settings().database))  # what `pasopati up` does first


def burst_bare(n: int) -> tuple[int, int, int, float]:
    from prefect.deployments import run_deployment

    from pasopati.incidents.models import Trigger

    def one(i: int) -> bool:
        report = Trigger(unit=UNITS[i % len(UNITS)], summary=f"Tiga narapidana kabur (bare {i})", source="cli",
                         new_incident_reason="bench: a separate crisis")
        try:
            run_deployment("krisis-keamanan-ketertiban/sedang", parameters={"trigger": report.model_dump(mode="json")},
                           timeout=0, as_subflow=False)
        except Exception as exc:  # noqa: BLE001  a lost start is the figure measured
            print(f"bare {i}: {type(exc).__name__}: {str(exc)[:120]}", flush=True)
            return False
        return True

    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        made = sum(pool.map(one, range(n)))
    return n, made, n - made, time.monotonic() - t0


def burst_ours(n: int) -> tuple[int, int, int, float]:
    from pasopati.alerts.classify import load_rules
    from pasopati.alerts.models import Alert
    from pasopati.db import get_database
    from pasopati.intake.pipeline import Intake
    from pasopati.plan.catalog import catalog
    from pasopati.settings import get_settings
    from pasopati.starts import prefect as run_starts
    from pasopati.starts import service as starts
    from pasopati.starts.models import StartStatus

    db = get_database()
    intake = Intake(db, catalog(), load_rules(), run_starts.PrefectRuns(), get_settings())

    def one(i: int) -> str | None:
        alert = Alert(source="bench", text=f"Tiga narapidana kabur dari {UNITS[i % len(UNITS)]} pagi ini (burst {i})")
        outcome = intake.receive([alert], "bench", [alert.model_dump_json()])[0]
        if outcome.start_id is None:  # the alert itself started nothing: say why (not a lost start)
            print(f"ours {i}: {outcome.status} ({'; '.join(outcome.reasons[-2:])[:200]})", flush=True)
        return outcome.start_id

    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        ids = [i for i in pool.map(one, range(n)) if i]
    print(f"ours: {len(ids)} of {n} alerts asked for a run", flush=True)
    while time.monotonic() - t0 < 600:
        if all(starts.get(db, i).status is StartStatus.STARTED for i in ids):
            break
        run_starts.drain(db, run_starts.PrefectRuns())  # what the intake's retry loop does every few seconds
        time.sleep(0.5)
    done = [starts.get(db, i) for i in ids]
    seconds = time.monotonic() - t0
    failures = sum(s.attempts - (s.status is StartStatus.STARTED) for s in done)
    return len(ids), sum(s.status is StartStatus.STARTED for s in done), failures, seconds


if __name__ == "__main__":
    main()
