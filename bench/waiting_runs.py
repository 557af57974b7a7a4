"""Hundreds of crises waiting for approval at once: one runbook run per prison/remand centre in a
national disaster, every one suspended at the holding-statement approval (`persetujuan-awal`).

Waiting for people must hold no worker process. This bench starts the real stack itself — a fresh
Prefect server, the PASOPATI store, `pasopati serve` (the 20 runbook deployments, warm starts, its
default run limit) as a process — and then:

  1. triggers N `ringan` runs (the `pasopati trigger` code path: Trigger → run_deployment, timeout=0)
     over the 5 categories and the roster's units, paced so that at most --backlog runs are created
     and not yet suspended, and waits until all N are Paused at `persetujuan-awal`;
  2. measures, with all of them waiting: memory of the serving process tree and of the Prefect
     server process tree (RSS summed, and PSS, which counts pages forked processes share once), the
     PostgreSQL backends of the Prefect database, and the API as a UI or the CLI sees it (plain HTTP,
     no client retries): read one flow run, list paused runs (one page; all pages), count them, and
     `pasopati pending` (pasopati.runs.pending) in process;
  3. resumes a sample one at a time with the approval input (the roster holder of the plan's approval
     authority for the run's unit) and times resume call → flow code running again → Paused at the
     verification gate `verifikasi`;
  4. the SQLite leg: the same on a Prefect server on its SQLite default (what `pasopati up` runs),
     adding runs step by step (--sqlite-steps) until a step misses its time budget, a run fails, the
     API does not answer within --api-budget, or the server dies — and prints where and why it stopped.

The PostgreSQL leg runs the Prefect server on a fresh database on 127.0.0.1:5432 (trust auth,
user postgres). Both legs keep the PASOPATI store on its own fresh PostgreSQL database, so the store
never competes with the Prefect server for one SQLite file. The servers log the "database is locked"
errors Prefect normally hides (PREFECT_SERVER_LOG_RETRYABLE_ERRORS), and the bench counts its own
Prefect client's silent retries (503 → back off 2, 4, 8, 16, 32 s), which callers see only as latency.
Every database, process and temp dir is removed at the end, also on failure or Ctrl-C; when something
went wrong the server and serve logs are kept and their path printed. Figures, not assertions: the
run-time is bounded by --budget and --step-budget.

    .venv/bin/python bench/waiting_runs.py [--runs 531] [--resume 20] [--backlog 40]
        [--sqlite-steps 50,100,200,300,531] [--step-budget 420] [--api-budget 10]
        [--skip-postgres] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.conftest import free_port  # noqa: E402  (bench reuses the test stack builders)

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SEVERITY = "ringan"
GATE_HOLDING, GATE_VERIFICATION = "persetujuan-awal", "verifikasi"
RUN_TAG = f"tingkat:{SEVERITY}"  # deployment tag: every bench run has it, the feed poller's runs don't
SUMMARIES = {
    "keamanan-ketertiban": "Tembok pembatas roboh akibat gempa, petugas menyisir blok hunian",
    "kesehatan": "Warga binaan luka-luka setelah gempa, klinik kewalahan",
    "opini-publik": "Video kepanikan di blok hunian saat gempa viral di media sosial",
    "tata-kelola-integritas": "Dugaan pungutan atas bantuan logistik pascagempa",
    "bencana-alam": "Gempa M7,1 mengguncang dan merusak bangunan hunian",
}


# ---------------------------------------------------------------------------------------- helpers


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def descendants(pid: int) -> list[int]:
    """pid and every process below it (read from /proc; psutil is not in the venv)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


@dataclass
class Memory:
    processes: int
    rss_mb: float
    pss_mb: float


def memory(pids: list[int]) -> Memory:
    rss = pss = 0
    alive = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                rss += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
            alive += 1
        except OSError:
            continue
    return Memory(alive, rss / 1024, pss / 1024)


def other_load() -> str:
    """Load average and whether someone else's test run is going (the machine is shared)."""
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    mine = set(descendants(os.getpid())) | {os.getppid()}
    busy = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in mine:
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmd.startswith("postgres") or "waiting_runs.py" in cmd:
                continue  # database backends (ours included); the shell that started this bench
            if "pytest" in cmd or "prefect" in cmd or "pasopati" in cmd:
                busy.append(entry)
    return f"load avg {load}" + (f"; someone else's pytest/prefect/pasopati processes: {len(busy)}" if busy else "")


def stop_process_tree(process: subprocess.Popen[bytes] | None, *, own_group: bool, grace: float = 30) -> None:
    """Terminate a process this bench started and everything below it, by pid (or its own group)."""
    if process is None:
        return
    tree = descendants(process.pid)
    try:
        if own_group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        process.wait(timeout=grace)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    for pid in tree:  # stragglers: kill by pid, only the ones that were ours
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if process.poll() is None:
        process.wait(timeout=10)


@contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send fds 1 and 2 to a file while a child inherits them (launcher.start_server's own Popen)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as f:
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


class Databases:
    """Fresh PostgreSQL databases for this bench, all dropped at the end."""

    def __init__(self) -> None:
        import psycopg2

        self.conn = psycopg2.connect(PG_ADMIN)
        self.conn.autocommit = True
        self.created: list[str] = []

    def create(self, role: str) -> str:
        name = f"pasopati_bench_{role}_{uuid.uuid4().hex[:8]}"
        with self.conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
        self.created.append(name)
        return name

    def backends(self, name: str) -> list[int]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
            return [row[0] for row in cur.fetchall()]

    def drop_all(self) -> None:
        for name in reversed(self.created):
            try:
                with self.conn.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            except Exception as exc:  # keep dropping the others
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        self.created.clear()
        self.conn.close()


class ClientRetries(logging.Handler):
    """Counts the Prefect client's silent retries in this process (503 "database is locked",
    timeouts): the client backs off 2, 4, 8, 16, 32 s, which a caller sees only as latency."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Another attempt will be made" in message:
            if "status code" in message:
                key = "HTTP " + message.split("status code", 1)[1].split(".", 1)[0].strip()
            else:
                key = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else "exception"
            self.counts[key] = self.counts.get(key, 0) + 1
        elif record.levelno >= logging.WARNING:
            print(f"prefect.client: {message}", file=sys.stderr, flush=True)

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


RETRIES = ClientRetries()


def count_client_retries() -> None:
    """Give the Prefect client's HTTP layer a logger of its own: Prefect re-applies its logging
    config whenever settings change (temporary_settings), which would drop a handler added to
    "prefect.client"; a logger outside the logging registry keeps it."""
    import prefect.client.base as client_base

    counting = logging.Logger("bench.prefect.client", logging.DEBUG)
    counting.addHandler(RETRIES)
    client_base.logger = counting


# ---------------------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    kind: str  # "postgres" | "sqlite"
    api_url: str
    server: subprocess.Popen[bytes]
    serve: subprocess.Popen[bytes]
    server_log: Path
    serve_log: Path
    prefect_db: str | None  # PostgreSQL database name of the Prefect server, None on SQLite

    def serve_memory(self) -> Memory:
        return memory(descendants(self.serve.pid))

    def run_processes(self) -> int:
        """Processes running a flow run: the serve tree less serve itself and its forkserver and
        resource tracker (a forked run keeps the forkserver's command line, but not its parent)."""
        tree = descendants(self.serve.pid)
        helpers = {self.serve.pid}
        for pid in tree:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.serve.pid and (b"forkserver" in cmd or b"resource_tracker" in cmd):
                helpers.add(pid)
        return len([p for p in tree if p not in helpers])

    def server_memory(self) -> Memory:
        return memory(descendants(self.server.pid))

    def alive(self) -> str | None:
        if self.server.poll() is not None:
            return f"Prefect server exited with code {self.server.returncode}"
        if self.serve.poll() is not None:
            return f"pasopati serve exited with code {self.serve.returncode}"
        return None


@contextmanager
def stack(kind: str, work: Path, dbs: Databases, store_url: str) -> Iterator[Stack]:
    """Prefect server (started by pasopati.launcher.start_server, as `pasopati up` and the tests do)
    + `pasopati serve` in its own process group, both stopped (with their children) on exit."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pasopati.launcher import start_server
    from pasopati.settings import Settings, get_settings

    home = work / f"prefect-{kind}"
    home.mkdir(parents=True, exist_ok=True)
    # Prefect hides "database is locked" (answered 503, retried by clients) unless asked to log it.
    env = {"PREFECT_HOME": str(home), "PREFECT_SERVER_LOG_RETRYABLE_ERRORS": "true"}
    prefect_db = None
    if kind == "postgres":
        prefect_db = dbs.create("prefect")
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}"
    settings = Settings(port=free_port())
    server_log, serve_log = work / f"server-{kind}.log", work / f"serve-{kind}.log"
    server = serve = None
    try:
        t0 = time.monotonic()
        with output_to(server_log):
            server = start_server(settings, timeout_seconds=120, env_overrides=env)
        log(f"{kind}: Prefect server healthy at {settings.api_url} in {time.monotonic() - t0:.1f} s")
        os.environ["PASOPATI_DATABASE_URL"] = store_url
        get_settings.cache_clear()
        from pasopati.db import Database
        from pasopati.db.schema import upgrade

        upgrade(Database(store_url))  # migrate the store once, as `pasopati up` does, before runs use it
        serve_env = {
            **os.environ,
            "PREFECT_API_URL": settings.api_url,
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        }
        with serve_log.open("wb") as out:
            serve = subprocess.Popen(
                [sys.executable, "-m", "pasopati.cli", "serve"],
                env=serve_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=work,  # runs must not depend on the working directory
                start_new_session=True,  # its own process group: the forkserver and runs stop with it
            )
        with temporary_settings({PREFECT_API_URL: settings.api_url}):
            t0 = time.monotonic()
            while len(requests.post(f"{settings.api_url}/deployments/filter", json={}, timeout=30).json()) < 21:
                if serve.poll() is not None or time.monotonic() - t0 > 120:
                    raise RuntimeError(f"pasopati serve did not come up:\n{serve_log.read_text()[-3000:]}")
                time.sleep(0.5)
            time.sleep(4)  # let the runner settle and the forkserver preload (as bench/alert_to_flow.py)
            log(f"{kind}: pasopati serve ready (21 deployments) in {time.monotonic() - t0:.1f} s")
            yield Stack(kind, settings.api_url, server, serve, server_log, serve_log, prefect_db)
    finally:
        stop_process_tree(serve, own_group=True, grace=40)
        stop_process_tree(server, own_group=False)


# ---------------------------------------------------------------------------------------- runs


@dataclass
class Started:
    id: UUID
    category: str
    unit_id: str
    created_at: float


@dataclass
class Fill:
    """How creating runs until they all waited went."""

    target: int
    started: list[Started] = field(default_factory=list)
    create_seconds: list[float] = field(default_factory=list)  # run_deployment call durations
    poll_seconds: list[float] = field(default_factory=list)  # /flow_runs/count durations while filling
    paused: int = 0
    bad: int = 0
    elapsed: float = 0.0
    serve_peak: Memory = field(default_factory=lambda: Memory(0, 0, 0))
    server_peak: Memory = field(default_factory=lambda: Memory(0, 0, 0))
    problem: str | None = None


def run_filter(state_types: list[str]) -> dict[str, Any]:
    return {"flow_runs": {"tags": {"all_": [RUN_TAG]}, "state": {"type": {"any_": state_types}}}}


def count(api_url: str, state_types: list[str], timeout: float) -> int:
    response = requests.post(f"{api_url}/flow_runs/count", json=run_filter(state_types), timeout=timeout)
    response.raise_for_status()
    return int(response.json())


BAD_STATES = ["FAILED", "CRASHED", "CANCELLED", "CANCELLING"]


def trigger(category: str, unit_name: str, index: int) -> UUID:
    """What `pasopati trigger --severity ringan` does, minus the typer parsing."""
    from prefect.deployments import run_deployment

    from pasopati.incidents.models import Trigger
    from pasopati.runs import deployment_name

    request = Trigger(
        unit=unit_name, summary=f"{SUMMARIES[category]} (bench #{index})", reported_by="bench waiting_runs", source="cli",
        new_incident_reason="bench: a separate crisis per run",
    )
    run = run_deployment(
        deployment_name(category, SEVERITY),
        parameters={"severity": SEVERITY, "trigger": request.model_dump(mode="json")},
        timeout=0,
    )
    return run.id


def fill(st: Stack, fill_state: Fill, backlog: int, budget: float, api_budget: float) -> Fill:
    """Create runs up to fill_state.target, at most ``backlog`` not yet suspended, until all are
    Paused (or the budget runs out, a run fails, the API stops answering, a process dies)."""
    from pasopati.plan.catalog import catalog

    cat = catalog()
    units = cat.roster.units
    categories = cat.categories
    t0 = time.monotonic()
    last_poll = 0.0
    last_report = t0
    already_bad = fill_state.bad
    while True:
        now = time.monotonic()
        if now - t0 > budget:
            fill_state.problem = (
                f"time budget {budget:.0f} s spent: {fill_state.paused}/{fill_state.target} paused, "
                f"{len(fill_state.started)} created"
            )
            break
        if problem := st.alive():
            fill_state.problem = problem
            break
        if now - last_poll >= 1.0:
            try:
                t = time.monotonic()
                fill_state.paused = count(st.api_url, ["PAUSED"], api_budget)
                fill_state.bad = count(st.api_url, BAD_STATES, api_budget)
                fill_state.poll_seconds.append((time.monotonic() - t) / 2)
            except requests.RequestException as exc:
                fill_state.problem = f"API did not answer /flow_runs/count within {api_budget:.0f} s ({type(exc).__name__})"
                break
            last_poll = time.monotonic()
            serve_mem, server_mem = st.serve_memory(), st.server_memory()
            if serve_mem.rss_mb > fill_state.serve_peak.rss_mb:
                fill_state.serve_peak = serve_mem
            if server_mem.rss_mb > fill_state.server_peak.rss_mb:
                fill_state.server_peak = server_mem
            if fill_state.bad > already_bad:
                fill_state.problem = f"{fill_state.bad - already_bad} run(s) failed/crashed/cancelled"
                break
            if fill_state.paused >= fill_state.target:
                break
            if time.monotonic() - last_report >= 15:
                last_report = time.monotonic()
                log(
                    f"{st.kind}: {len(fill_state.started)} created, {fill_state.paused} paused, "
                    f"serve tree {serve_mem.processes} proc {serve_mem.rss_mb:.0f} MB RSS; {other_load()}"
                )
        in_flight = len(fill_state.started) - fill_state.paused - fill_state.bad
        if len(fill_state.started) < fill_state.target and in_flight < backlog:
            i = len(fill_state.started)
            category, unit = categories[i % len(categories)], units[i % len(units)]
            t = time.monotonic()
            try:
                run_id = trigger(category, unit.name, i)
            except Exception as exc:  # the symptom is the figure: report it, do not crash the bench
                fill_state.problem = f"run_deployment failed at run {i + 1}: {type(exc).__name__}: {exc}"[:300]
                break
            fill_state.create_seconds.append(time.monotonic() - t)
            fill_state.started.append(Started(run_id, category, unit.id, time.time()))
        else:
            time.sleep(0.2)
    fill_state.elapsed += time.monotonic() - t0
    return fill_state


def read_all(api_url: str, body: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    """Every flow run matching ``body``, page by page (the server returns at most 200 per call)."""
    runs: list[dict[str, Any]] = []
    while True:
        page = requests.post(
            f"{api_url}/flow_runs/filter", json={**body, "limit": 200, "offset": len(runs), "sort": "ID_DESC"}, timeout=timeout
        )
        page.raise_for_status()
        rows = page.json()
        runs += rows
        if len(rows) < 200:
            return runs


def gates(api_url: str, timeout: float) -> dict[str, int]:
    """Paused bench runs by pause key."""
    by_gate: dict[str, int] = {}
    for run in read_all(api_url, run_filter(["PAUSED"]), timeout):
        key = ((run.get("state") or {}).get("state_details") or {}).get("pause_key") or "?"
        by_gate[key] = by_gate.get(key, 0) + 1
    return by_gate


def suspend_latencies(api_url: str, started: list[Started], timeout: float) -> list[float]:
    """Per run: created (client clock) → Paused at persetujuan-awal (server state timestamp)."""
    from datetime import datetime

    created = {str(s.id): s.created_at for s in started}
    values = []
    for run in read_all(api_url, run_filter(["PAUSED"]), timeout):
        state = run.get("state") or {}
        if run["id"] in created and (state.get("state_details") or {}).get("pause_key") == GATE_HOLDING:
            values.append(datetime.fromisoformat(state["timestamp"]).timestamp() - created[run["id"]])
    return values


def failures(api_url: str, timeout: float, limit: int = 3) -> list[str]:
    try:
        rows = requests.post(
            f"{api_url}/flow_runs/filter", json={**run_filter(BAD_STATES), "limit": limit}, timeout=timeout
        ).json()
    except requests.RequestException as exc:
        return [f"(could not list: {type(exc).__name__})"]
    return [f"{r['name']}: {(r.get('state') or {}).get('name')} — {((r.get('state') or {}).get('message') or '')[:160]}" for r in rows]


# ---------------------------------------------------------------------------------------- measurements


@dataclass
class ApiFigures:
    read_one: list[float] = field(default_factory=list)
    list_page: list[float] = field(default_factory=list)  # one page (≤ 200) of paused runs
    list_all: list[float] = field(default_factory=list)  # every paused run, paged
    list_all_count: int = 0
    count: list[float] = field(default_factory=list)
    pending: list[float] = field(default_factory=list)  # pasopati.runs.pending() in process
    pending_count: int = 0
    problem: str | None = None


def timed(samples: list[float], call: Callable[[], Any]) -> Any:
    t = time.monotonic()
    result = call()
    samples.append(time.monotonic() - t)
    return result


def measure_api(st: Stack, ids: list[UUID], budget: float, reads: int = 40) -> ApiFigures:
    from pasopati.runs import pending

    figures = ApiFigures()
    paused_page = {**run_filter(["PAUSED"]), "limit": 200}
    try:
        for i in range(reads):
            run_id = random.choice(ids)
            response = timed(figures.read_one, lambda: requests.get(f"{st.api_url}/flow_runs/{run_id}", timeout=budget))
            response.raise_for_status()
            if i % 4 == 0:
                timed(figures.list_page, lambda: requests.post(f"{st.api_url}/flow_runs/filter", json=paused_page, timeout=budget).raise_for_status())
                timed(figures.count, lambda: count(st.api_url, ["PAUSED"], budget))
            time.sleep(0.05)
        for _ in range(3):
            figures.list_all_count = len(timed(figures.list_all, lambda: read_all(st.api_url, run_filter(["PAUSED"]), budget)))
        for _ in range(2):
            figures.pending_count = len(timed(figures.pending, pending))
    except requests.RequestException as exc:
        figures.problem = f"API did not answer within {budget:.0f} s ({type(exc).__name__})"
    except Exception as exc:  # pending() goes through the Prefect client (with its retries)
        figures.problem = f"{type(exc).__name__}: {exc}"[:300]
    return figures


@dataclass
class ResumeFigures:
    call: list[float] = field(default_factory=list)  # resume_flow_run returns
    to_running: list[float] = field(default_factory=list)  # flow code running again
    to_gate: list[float] = field(default_factory=list)  # Paused at verifikasi
    refusals: int = 0  # "Run input schema not found": Paused, but the form not saved yet
    problems: list[str] = field(default_factory=list)


def approver(category: str, unit_id: str) -> str:
    from pasopati.plan.catalog import catalog

    cat = catalog()
    plan = cat.plan(category, SEVERITY)
    unit = cat.roster.find_unit(unit_id)
    assert unit is not None
    return cat.roster.holders(plan.plan.approval.authority, unit)[0].name


def resume_sample(st: Stack, sample: list[Started], timeout: float = 120, schema_wait: float = 90) -> ResumeFigures:
    """Resume one run at a time (as an approver clicking Resume) and time it past the gate."""
    from datetime import datetime

    from prefect import get_client
    from prefect.flow_runs import resume_flow_run

    figures = ResumeFigures()
    with get_client(sync_client=True) as client:
        for s in sample:
            run_input = {"verdict": "approve", "approver": approver(s.category, s.unit_id), "reason": "bench"}
            t0 = time.time()
            refused = None
            while True:
                try:
                    resume_flow_run(s.id, run_input=run_input)
                    break
                except RuntimeError as exc:
                    # Prefect sets Paused, then saves the run's input form: a resume in between is
                    # refused. Retry as an approver would; it is a problem only if it never takes.
                    if "schema not found" not in str(exc) or time.time() - t0 > schema_wait:
                        refused = f"resume {s.id}: {exc}"[:200]
                        break
                    figures.refusals += 1
                    time.sleep(1)
            if refused:
                figures.problems.append(refused)
                continue
            figures.call.append(time.time() - t0)
            deadline = time.monotonic() + timeout
            while True:
                run = client.read_flow_run(s.id)
                state = run.state
                if state and state.is_paused() and state.state_details.pause_key == GATE_VERIFICATION:
                    break
                if state and state.is_final():
                    figures.problems.append(f"{run.name} ended {state.name}: {(state.message or '')[:120]}")
                    break
                if time.monotonic() > deadline:
                    figures.problems.append(f"{run.name} not at {GATE_VERIFICATION} after {timeout:.0f} s ({state.name if state else '?'})")
                    break
                time.sleep(0.1)
            if not (state and state.is_paused()):
                continue
            history = client.read_flow_run_states(s.id)
            after = [h for h in history if h.timestamp.timestamp() >= t0 - 0.01]
            running = next((h for h in after if h.type.value == "RUNNING"), None)
            if running:
                figures.to_running.append(running.timestamp.timestamp() - t0)
            figures.to_gate.append(state.timestamp.timestamp() - t0)
            time.sleep(0.3)
    return figures


# ---------------------------------------------------------------------------------------- legs


@dataclass
class Snapshot:
    """Everything measured with ``waiting`` runs suspended."""

    kind: str
    target: int
    waiting: int
    by_gate: dict[str, int]
    fill: Fill
    fill_elapsed: float
    settled: float
    run_procs: int
    suspend: list[float]
    serve_idle: Memory
    server_idle: Memory
    pg_backends: Memory | None
    api: ApiFigures
    resume: ResumeFigures
    locked_server: int
    locked_serve: int
    client_retries: dict[str, int]
    load: str
    problem: str | None


def settle(st: Stack, seconds: float = 90) -> tuple[float, int]:
    """Wait for the last suspended runs' processes to exit (a run is Paused before it has saved its
    input form and exited); returns (seconds waited, run processes still alive)."""
    t0 = time.monotonic()
    while (alive := st.run_processes()) and time.monotonic() - t0 < seconds:
        time.sleep(0.5)
    return time.monotonic() - t0, alive


LOCKED = "(sqlite3.OperationalError) database is locked"  # once per logged error


def log_count(path: Path, needle: str) -> int:
    try:
        return path.read_text(errors="replace").count(needle)
    except OSError:
        return 0


def snapshot(st: Stack, dbs: Databases, fill_state: Fill, resume_n: int, api_budget: float) -> Snapshot:
    problem = fill_state.problem
    by_gate: dict[str, int] = {}
    suspend: list[float] = []
    settled, run_procs = settle(st)
    try:
        by_gate = gates(st.api_url, api_budget * 3)
        suspend = suspend_latencies(st.api_url, fill_state.started, api_budget * 3)
    except requests.RequestException as exc:
        problem = problem or f"API did not answer listing paused runs ({type(exc).__name__})"
    serve_idle, server_idle = st.serve_memory(), st.server_memory()
    pg = memory(dbs.backends(st.prefect_db)) if st.prefect_db else None
    waiting_ids = [s.id for s in fill_state.started]
    api = measure_api(st, waiting_ids, api_budget) if waiting_ids and not st.alive() else ApiFigures(problem="no runs")
    problem = problem or api.problem
    resume = ResumeFigures()
    if resume_n and not st.alive():
        holding = fill_state.started
        try:
            at_holding = {r["id"] for r in read_all(st.api_url, run_filter(["PAUSED"]), api_budget * 3)
                          if (r["state"].get("state_details") or {}).get("pause_key") == GATE_HOLDING}
            holding = [s for s in fill_state.started if str(s.id) in at_holding]
        except requests.RequestException:
            pass
        step = max(1, len(holding) // max(1, resume_n))
        resume = resume_sample(st, holding[::step][:resume_n])
        problem = problem or (f"resume: {resume.problems[0]}" if resume.problems else None)
    return Snapshot(
        kind=st.kind,
        target=fill_state.target,
        waiting=sum(by_gate.values()),
        by_gate=by_gate,
        fill=fill_state,
        fill_elapsed=fill_state.elapsed,
        settled=settled,
        run_procs=run_procs,
        suspend=suspend,
        serve_idle=serve_idle,
        server_idle=server_idle,
        pg_backends=pg,
        api=api,
        resume=resume,
        locked_server=log_count(st.server_log, LOCKED),
        locked_serve=log_count(st.serve_log, LOCKED),
        client_retries=RETRIES.take(),
        load=other_load(),
        problem=problem or st.alive(),
    )


def print_snapshot(s: Snapshot) -> None:
    f = s.fill
    rate = s.fill.paused / s.fill_elapsed if s.fill_elapsed else float("nan")
    print(f"\n== {s.kind}: {s.target} runs requested ==", flush=True)
    print(f"waiting (Paused) by gate: {json.dumps(s.by_gate)}")
    print(f"created {len(f.started)}, paused {f.paused}, failed {f.bad} in {s.fill_elapsed:.1f} s ({rate:.2f} runs/s suspended)")
    print(f"run_deployment call p50 {p50(f.create_seconds) * 1000:.0f} ms p90 {pct(f.create_seconds, .9) * 1000:.0f} ms max {max(f.create_seconds, default=0) * 1000:.0f} ms; "
          f"API count while filling p50 {p50(f.poll_seconds) * 1000:.0f} ms max {max(f.poll_seconds, default=0) * 1000:.0f} ms")
    print(f"created → suspended at {GATE_HOLDING}: p50 {p50(s.suspend):.1f} s p90 {pct(s.suspend, .9):.1f} s max {max(s.suspend, default=0):.1f} s")
    print(f"run processes while waiting: {s.run_procs} (the last exited {s.settled:.1f} s after the fill ended)")
    print(f"serve tree while waiting: {s.serve_idle.processes} proc, RSS {s.serve_idle.rss_mb:.0f} MB, PSS {s.serve_idle.pss_mb:.0f} MB "
          f"(peak while filling: {f.serve_peak.processes} proc, RSS {f.serve_peak.rss_mb:.0f} MB, PSS {f.serve_peak.pss_mb:.0f} MB)")
    print(f"Prefect server tree: {s.server_idle.processes} proc, RSS {s.server_idle.rss_mb:.0f} MB, PSS {s.server_idle.pss_mb:.0f} MB "
          f"(peak {f.server_peak.rss_mb:.0f} MB RSS)")
    if s.pg_backends:
        print(f"PostgreSQL backends of the Prefect DB: {s.pg_backends.processes}, PSS {s.pg_backends.pss_mb:.0f} MB (RSS {s.pg_backends.rss_mb:.0f} MB, shared buffers counted per backend)")
    a = s.api
    print(f"API: read one run p50 {p50(a.read_one) * 1000:.1f} ms p90 {pct(a.read_one, .9) * 1000:.1f} ms · "
          f"list paused (1 page ≤200) p50 {p50(a.list_page) * 1000:.0f} ms · all {a.list_all_count} paused (paged) p50 {p50(a.list_all) * 1000:.0f} ms · "
          f"count p50 {p50(a.count) * 1000:.1f} ms · pasopati pending() {p50(a.pending):.2f} s → {a.pending_count} runs listed")
    r = s.resume
    if r.call or r.problems:
        print(f"resume ({len(r.to_gate)} ok): call p50 {p50(r.call) * 1000:.0f} ms · → running p50 {p50(r.to_running):.2f} s p90 {pct(r.to_running, .9):.2f} s · "
              f"→ Paused at {GATE_VERIFICATION} p50 {p50(r.to_gate):.2f} s p90 {pct(r.to_gate, .9):.2f} s max {max(r.to_gate, default=0):.2f} s")
        if r.refusals:
            print(f"  resume refused {r.refusals}× with 'Run input schema not found' before it took (retried each second)")
        for problem in r.problems[:3]:
            print(f"  resume problem: {problem}")
    print(f"'database is locked' so far: logged by the server {s.locked_server}, in the serve log {s.locked_serve}; "
          f"this bench's Prefect client retried {json.dumps(s.client_retries) if s.client_retries else 'never'} (this step); {s.load}")
    if s.problem:
        print(f"STOPPED: {s.problem}")
    sys.stdout.flush()


def postgres_leg(args: argparse.Namespace, work: Path, dbs: Databases, store_url: str) -> Snapshot:
    with stack("postgres", work, dbs, store_url) as st:
        fill_state = fill(st, Fill(target=args.runs), args.backlog, args.budget, args.api_budget)
        if fill_state.problem:
            for line in failures(st.api_url, args.api_budget):
                print(f"  failed run: {line}")
        snap = snapshot(st, dbs, fill_state, args.resume, args.api_budget)
        print_snapshot(snap)
        return snap


def sqlite_leg(args: argparse.Namespace, work: Path, dbs: Databases, store_url: str) -> list[Snapshot]:
    steps = sorted(int(x) for x in args.sqlite_steps.split(",") if x.strip())
    snaps: list[Snapshot] = []
    with stack("sqlite", work, dbs, store_url) as st:
        fill_state = Fill(target=0)
        for step in steps:
            log(f"sqlite: step to {step} waiting runs (budget {args.step_budget:.0f} s)")
            fill_state.target, fill_state.problem, fill_state.elapsed = step, None, 0.0
            fill_state.create_seconds, fill_state.poll_seconds = [], []
            fill(st, fill_state, args.backlog, args.step_budget, args.api_budget)
            if fill_state.problem:
                for line in failures(st.api_url, args.api_budget):
                    print(f"  failed run: {line}")
            snap = snapshot(st, dbs, fill_state, args.sqlite_resume, args.api_budget)
            # the resumed runs now wait at verifikasi: they still count as waiting
            snap = Snapshot(**{**snap.__dict__, "fill": _copy_fill(fill_state)})
            print_snapshot(snap)
            snaps.append(snap)
            if snap.problem:
                break
    return snaps


def _copy_fill(f: Fill) -> Fill:
    return Fill(f.target, list(f.started), list(f.create_seconds), list(f.poll_seconds), f.paused, f.bad, f.elapsed,
                f.serve_peak, f.server_peak, f.problem)


# ---------------------------------------------------------------------------------------- table


def table(rows: list[Snapshot]) -> None:
    header = (f"{'server db':<10} {'target':>6} {'waiting':>7} {'fill s':>7} {'runs/s':>6} {'create p50':>10} "
              f"{'serve RSS/PSS MB':>16} {'server RSS MB':>13} {'read1 p50/p90 ms':>16} {'list≤200 ms':>11} "
              f"{'all paused ms':>13} {'pending s (n)':>13} {'resume→gate p50/p90 s':>21} {'locked/retries':>14}  stop")
    print("\n" + header)
    print("-" * len(header))
    for s in rows:
        rate = s.fill.paused / s.fill_elapsed if s.fill_elapsed else float("nan")
        r = s.resume
        resume = f"{p50(r.to_gate):.2f}/{pct(r.to_gate, .9):.2f} ({len(r.to_gate)})" if r.to_gate else "-"
        print(
            f"{s.kind:<10} {s.target:>6} {s.waiting:>7} {s.fill_elapsed:>7.0f} {rate:>6.2f} {p50(s.fill.create_seconds) * 1000:>8.0f}ms "
            f"{s.serve_idle.rss_mb:>8.0f}/{s.serve_idle.pss_mb:<7.0f} {s.server_idle.rss_mb:>13.0f} "
            f"{p50(s.api.read_one) * 1000:>7.1f}/{pct(s.api.read_one, .9) * 1000:<8.1f} {p50(s.api.list_page) * 1000:>11.0f} "
            f"{p50(s.api.list_all) * 1000:>13.0f} {p50(s.api.pending):>7.2f} ({s.api.pending_count:>3}) {resume:>21} "
            f"{f'{s.locked_server}/{sum(s.client_retries.values())}':>14}  {s.problem or 'ok'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=531, help="runs waiting at once on PostgreSQL")
    parser.add_argument("--resume", type=int, default=20, help="runs resumed (one at a time) to time the gate")
    parser.add_argument("--backlog", type=int, default=40, help="at most this many runs created and not yet suspended")
    parser.add_argument("--budget", type=float, default=1800, help="seconds for the PostgreSQL fill")
    parser.add_argument("--api-budget", type=float, default=10, help="an API call slower than this counts as not answering")
    parser.add_argument("--sqlite-steps", default="50,100,200,300,531", help="waiting runs per SQLite step (cumulative)")
    parser.add_argument("--step-budget", type=float, default=420, help="seconds per SQLite step")
    parser.add_argument("--sqlite-resume", type=int, default=5, help="runs resumed per SQLite step")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="pasopati-bench-waiting-"))
    for name in ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_API_URL"):
        os.environ.pop(name, None)  # each leg chooses its own server and database
    empty_feeds = work / "feeds.yaml"
    empty_feeds.write_text("feeds: []\n")
    os.environ.update(
        {
            "PASOPATI_DATA_DIR": str(work / "data"),
            "PREFECT_LOCAL_STORAGE_PATH": str(work / "prefect-results"),
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PASOPATI_FEEDS_FILE": str(empty_feeds),
            "PASOPATI_FEED_POLL_MINUTES": "1440",  # the feed poller stays out of the way
        }
    )
    from pasopati.settings import get_settings

    get_settings.cache_clear()
    count_client_retries()
    print(f"code under test: {ROOT} · Python {sys.version.split()[0]} · {os.cpu_count()} cores · {other_load()}")
    print(f"work dir {work}; serve limit {get_settings().serve_limit}, query every {get_settings().serve_query_seconds} s, "
          f"warm starts {get_settings().warm_starts}; PASOPATI store on its own fresh PostgreSQL database per leg", flush=True)
    dbs = Databases()
    rows: list[Snapshot] = []
    finished = False
    try:
        if not args.skip_postgres:
            store_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbs.create('store')}"
            rows.append(postgres_leg(args, work, dbs, store_url))
        if not args.skip_sqlite:
            store_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{dbs.create('store')}"
            sqlite_rows = sqlite_leg(args, work, dbs, store_url)
            rows += sqlite_rows
            if sqlite_rows and sqlite_rows[-1].problem:
                last_ok = next((s for s in reversed(sqlite_rows) if not s.problem), None)
                stop = sqlite_rows[-1]
                held = f"every step up to {last_ok.waiting} waiting runs held" if last_ok else "the first step did not hold"
                print(f"\nSQLite: {held}; stopped at the {stop.target} step with {stop.waiting} waiting: {stop.problem}")
            elif sqlite_rows:
                print(f"\nSQLite: every step held (up to {sqlite_rows[-1].waiting} waiting runs)")
        finished = True
    finally:
        dbs.drop_all()
        if os.environ.get("PASOPATI_KEEP_BENCH_DATA") == "1":
            print(f"kept {work}")
        else:
            if any(s.problem for s in rows) or not finished:  # keep the logs to read why
                logs = Path(tempfile.mkdtemp(prefix="pasopati-bench-waiting-logs-"))
                for path in work.glob("*.log"):
                    shutil.move(str(path), logs / path.name)
                print(f"server and serve logs kept in {logs}")
            shutil.rmtree(work, ignore_errors=True)
    table(rows)
    print(f"\nbench wall time {time.monotonic() - started:.0f} s; {other_load()}")


if __name__ == "__main__":
    main()
