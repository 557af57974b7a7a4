"""Alert received → matching runbook flow's code running, three ways, in one run:

  default  Prefect's served-deployment defaults (poll every 10 s, a spawned interpreter per run)
  tuned    the tuned baseline from PREFECT_NOTES (poll every 0.25 s, still a spawned interpreter)
  ours     what `pasopati up` runs (poll every 0.25 s, runs forked from a warm forkserver)

Each alert goes through the real intake pipeline (classification, correlation, incident, run
creation) to a real Prefect server; "flow code running" is the run's start_time, which the engine
sets when it enters Running, immediately before calling the flow function.

    .venv/bin/python bench/alert_to_flow.py [--samples 12] [--default-samples 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import prefect_server  # noqa: E402  (bench reuses the test stack builders)

CONFIGS = {
    "default": {"PASOPATI_SERVE_QUERY_SECONDS": "10", "PASOPATI_WARM_STARTS": "false"},
    "tuned": {"PASOPATI_SERVE_QUERY_SECONDS": "0.25", "PASOPATI_WARM_STARTS": "false"},
    "ours": {"PASOPATI_SERVE_QUERY_SECONDS": "0.25", "PASOPATI_WARM_STARTS": "true"},
}
UNITS = ["Lapas Cipinang", "Rutan Salemba", "Lapas Banyuasin", "Lapas Pangkalpinang", "Lapas Nabire", "Lapas Sukamiskin"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=12)
    parser.add_argument("--default-samples", type=int, default=6, help="the default config takes ~5-10 s a sample")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pasopati-bench-"))
    os.environ.update({"PASOPATI_DATA_DIR": str(work), "PASOPATI_CORRELATION_WINDOW_HOURS": "0", "PREFECT_LOGGING_LEVEL": "WARNING"})
    with prefect_server(work / "prefect") as api_url:
        os.environ["PREFECT_API_URL"] = api_url
        results = {}
        for name, env in CONFIGS.items():
            samples = args.default_samples if name == "default" else args.samples
            results[name] = measure(name, env, samples, work)
    print("\nalert received → flow code running (seconds)")
    print(f"{'config':<8} {'n':>3} {'p50':>7} {'p90':>7} {'min':>7} {'max':>7}")
    for name, values in results.items():
        values.sort()
        p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
        print(f"{name:<8} {len(values):>3} {statistics.median(values):7.3f} {p90:7.3f} {values[0]:7.3f} {values[-1]:7.3f}")
    ours = statistics.median(results["ours"])
    for name in ("default", "tuned"):
        print(f"p50 {name} / ours = {statistics.median(results[name]) / ours:.1f}×")


def measure(name: str, env: dict[str, str], samples: int, work: Path) -> list[float]:
    from prefect import get_client

    from pasopati.alerts.classify import load_rules
    from pasopati.alerts.models import Alert
    from pasopati.db import Database, get_database
    from pasopati.db.schema import upgrade
    from pasopati.intake.pipeline import Intake
    from pasopati.plan.catalog import catalog
    from pasopati.settings import get_settings
    from pasopati.starts.prefect import PrefectRuns

    log = (work / f"serve-{name}.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "pasopati.cli", "serve"], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        with get_client(sync_client=True) as client:
            while len(client.read_deployments()) < 21:
                time.sleep(0.3)
        time.sleep(2 if name != "ours" else 4)  # let the runner settle (and the forkserver preload)
        get_settings.cache_clear()
        upgrade(Database(get_settings().database))  # what `pasopati up` does first
        intake = Intake(get_database(), catalog(), load_rules(), PrefectRuns(), get_settings())
        latencies = []
        for i in range(samples):
            alert = Alert(source="bench", text=f"Tiga narapidana kabur dari {UNITS[i % len(UNITS)]} pagi ini ({name} {i})")
            t0 = time.time()
            outcome = intake.receive([alert], "bench", [alert.model_dump_json()])[0]
            assert outcome.status == "started", outcome
            start = wait_started(client_run_id=UUID(outcome.flow_run_id or ""))
            latencies.append(start - t0)
            print(f"{name:<8} sample {i + 1:>2}: {latencies[-1]:.3f} s", flush=True)
            time.sleep(0.5)
        return latencies
    finally:
        serve.terminate()
        serve.wait(timeout=60)


def wait_started(client_run_id: UUID, timeout: float = 60) -> float:
    from prefect import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(client_run_id)
            if run.start_time is not None:
                return run.start_time.timestamp()
            time.sleep(0.05)
    raise TimeoutError(f"run {client_run_id} not started after {timeout} s")


if __name__ == "__main__":
    main()
